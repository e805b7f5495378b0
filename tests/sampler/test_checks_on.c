/*
 * The library's own checks, in a build that compiles them in
 * (CBENCH_CHECKS: the sanitizer builds): a misuse that the prose forbids
 * aborts with the check's message instead of corrupting state. Here,
 * making a record by stack outside cbench's own work (records.h: what it
 * allocates must be cbench's).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>

#include "child.h"
#include "records.h"

typedef struct plain {
    cb_stack_record stack;
} plain;

static cb_records table = CB_RECORDS_INIT(plain);

static void make_a_record_without_own_work(void)
{
    uint64_t pc = 0x401000;
    cb_records_lock(&table);
    cb_records_find_locked(&table, &pc, 1);
}

static void test_making_a_record_outside_own_work_fails_its_check(void **state)
{
    (void)state;
    child_outcome o = run_in_child(make_a_record_without_own_work);
    assert_child_aborted_with(&o, "cbench: check failed: ");
    assert_child_aborted_with(&o, "records.c:");
    assert_child_aborted_with(&o, "cb_own_now()");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_making_a_record_outside_own_work_fails_its_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
