// C++ allocations reach the counters through operator new and delete,
// which libstdc++ builds on malloc, aligned_alloc and free.
#include <cstdarg>
#include <cstddef>
#include <csetjmp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

extern "C" {
#include <cmocka.h>

#include "interpose/heap.h"
}

namespace {

struct alignas(64) Wide {
    char bytes[100];
};

// The compiler may drop a new/delete pair it can see through; a pointer
// that escapes to a volatile keeps the allocation real.
void *volatile escape;

void new_and_delete_are_counted_exactly(void **)
{
    cb_heap_scope s;
    cb_heap_delta d;
    cb_heap_scope_begin(&s);
    int *one = new int(7);
    escape = one;
    int *many = new int[10];
    escape = many;
    Wide *wide = new Wide;
    escape = wide;
    delete one;
    delete[] many;
    cb_heap_scope_end(&s, &d);
    assert_int_equal(d.mallocs, 3);
    assert_int_equal(d.frees, 2);
    assert_int_equal(d.bytes, sizeof(int) + 10 * sizeof(int) + sizeof(Wide));
    assert_int_equal(d.live_bytes, static_cast<int64_t>(sizeof(Wide)));
    assert_true(reinterpret_cast<uintptr_t>(wide) % 64 == 0);
    delete wide;
}

void containers_count_every_growth(void **)
{
    cb_heap_scope s;
    cb_heap_delta d;
    cb_heap_scope_begin(&s);
    {
        std::vector<int> v;
        v.reserve(4);
        v.reserve(100); // a second buffer; the first is freed
        auto p = std::make_unique<std::string>(200, 'x'); // the string and its buffer
    }
    cb_heap_scope_end(&s, &d);
    assert_int_equal(d.mallocs, 4);
    assert_int_equal(d.frees, 4);
    assert_int_equal(d.live_bytes, 0);
}

} // namespace

int main()
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_and_delete_are_counted_exactly),
        cmocka_unit_test(containers_count_every_growth),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
