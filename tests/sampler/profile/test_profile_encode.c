/*
 * The pprof writer: what it writes decodes back to what was added, and
 * follows Go's conventions (string table, ids, addresses, mappings,
 * symbols, inline frames, labels, lost samples, text form, write errors).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profile/profile.h"
#include "profile_reader.h"

static const cb_profile_spec cpu_spec = {
    .name = "cpu",
    .ntypes = 2,
    .types = {{"samples", "count"}, {"cpu", "nanoseconds"}},
    .period_type = {"cpu", "nanoseconds"},
    .period = 10000000,
    .default_type = -1,
    .leaf_is_pc = true,
    .text = CB_TEXT_COUNT,
};

static const cb_profile_spec allocs_spec = {
    .name = "allocs",
    .ntypes = 2,
    .types = {{"alloc_objects", "count"}, {"alloc_space", "bytes"}},
    .period_type = {"space", "bytes"},
    .period = 524288,
    .default_type = 1,
    .leaf_is_pc = false,
    .text = CB_TEXT_COUNT,
};

/* Known code addresses: a return address inside encode_caller (the line of
 * the call below), and an exact PC inside encode_leaf. */
static volatile int sink;
static int caller_line;

static __attribute__((noinline)) uint64_t return_address(void)
{
    return (uint64_t)(uintptr_t)__builtin_return_address(0);
}

static __attribute__((noinline)) uint64_t encode_caller(void)
{
    caller_line = __LINE__ + 1;
    uint64_t ra = return_address();
    sink++;
    return ra;
}

static __attribute__((always_inline)) inline uint64_t encode_inlined(void)
{
    return return_address();
}

static int inline_call_line;

static __attribute__((noinline)) uint64_t encode_outer(void)
{
    inline_call_line = __LINE__ + 1;
    uint64_t ra = encode_inlined();
    sink++;
    return ra;
}

static __attribute__((noinline)) void encode_leaf_body(void)
{
    sink++;
    sink *= 3;
}

/* An exact PC inside encode_leaf_body, as a timer would interrupt it. */
static uint64_t encode_leaf(void)
{
    return (uint64_t)(uintptr_t)&encode_leaf_body + 1;
}

static FILE *write_profile(cb_profile *p, int debug)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(cb_profile_write(p, f, debug), 0);
    return f;
}

static pb_profile *round_trip(cb_profile *p)
{
    FILE *f = write_profile(p, 0);
    pb_profile *pb = read_profile_stream(f);
    fclose(f);
    assert_non_null(pb);
    return pb;
}

static const Perftools__Profiles__Location *location_at(const pb_profile *p, uint64_t address)
{
    for (size_t i = 0; i < p->n_location; i++)
        if (p->location[i]->address == address)
            return p->location[i];
    return NULL;
}

static const char *function_name(const pb_profile *p, const Perftools__Profiles__Line *l)
{
    return pstr(p, find_function(p, l->function_id)->name);
}

static void test_string_table_starts_empty_and_ids_are_unique_nonzero(void **state)
{
    (void)state;
    cb_profile *p = cb_profile_new(&cpu_spec);
    uint64_t stack[] = {encode_leaf(), encode_caller()};
    int64_t v[2] = {1, 10000000};
    assert_int_equal(cb_profile_add(p, stack, 2, v, NULL, 0), 0);
    pb_profile *pb = round_trip(p);
    assert_true(pb->n_string_table > 0);
    assert_string_equal(pb->string_table[0], "");
    for (size_t i = 0; i < pb->n_location; i++) {
        assert_int_not_equal(pb->location[i]->id, 0);
        for (size_t j = i + 1; j < pb->n_location; j++) {
            assert_int_not_equal(pb->location[i]->id, pb->location[j]->id);
            /* Each address resolved once. */
            assert_int_not_equal(pb->location[i]->address, pb->location[j]->address);
        }
    }
    for (size_t i = 0; i < pb->n_function; i++) {
        assert_int_not_equal(pb->function[i]->id, 0);
        for (size_t j = i + 1; j < pb->n_function; j++)
            assert_int_not_equal(pb->function[i]->id, pb->function[j]->id);
    }
    for (size_t i = 0; i < pb->n_mapping; i++)
        assert_int_equal(pb->mapping[i]->id, i + 1);
    for (size_t i = 0; i < pb->n_string_table; i++)
        for (size_t j = i + 1; j < pb->n_string_table; j++)
            assert_string_not_equal(pb->string_table[i], pb->string_table[j]);
    free_profile(pb);
    cb_profile_free(p);
}

static void test_sample_types_period_and_times_follow_go(void **state)
{
    (void)state;
    cb_profile *p = cb_profile_new(&cpu_spec);
    cb_profile_set_time(p, 1700000000000000000, 2500000000);
    pb_profile *pb = round_trip(p);
    assert_int_equal(pb->n_sample_type, 2);
    assert_string_equal(pstr(pb, pb->sample_type[0]->type), "samples");
    assert_string_equal(pstr(pb, pb->sample_type[0]->unit), "count");
    assert_string_equal(pstr(pb, pb->sample_type[1]->type), "cpu");
    assert_string_equal(pstr(pb, pb->sample_type[1]->unit), "nanoseconds");
    assert_string_equal(pstr(pb, pb->period_type->type), "cpu");
    assert_string_equal(pstr(pb, pb->period_type->unit), "nanoseconds");
    assert_int_equal(pb->period, 10000000);
    assert_int_equal(pb->time_nanos, 1700000000000000000);
    assert_int_equal(pb->duration_nanos, 2500000000);
    assert_int_equal(pb->default_sample_type, 0);
    free_profile(pb);
    cb_profile_free(p);

    p = cb_profile_new(&allocs_spec);
    pb = round_trip(p);
    assert_string_equal(pstr(pb, pb->default_sample_type), "alloc_space");
    assert_string_equal(pstr(pb, pb->period_type->type), "space");
    assert_int_equal(pb->period, 524288);
    free_profile(pb);
    cb_profile_free(p);
}

static void test_leaf_is_exact_pc_and_callers_are_return_address_minus_one(void **state)
{
    (void)state;
    uint64_t leaf = encode_leaf(), ra = encode_caller();
    uint64_t stack[] = {leaf, ra};
    int64_t v[2] = {3, 30000000};

    cb_profile *p = cb_profile_new(&cpu_spec);
    cb_profile_add(p, stack, 2, v, NULL, 0);
    pb_profile *pb = round_trip(p);
    assert_int_equal(pb->n_sample, 1);
    assert_int_equal(pb->sample[0]->n_location_id, 2);
    const Perftools__Profiles__Location *l0 = find_location(pb, pb->sample[0]->location_id[0]);
    const Perftools__Profiles__Location *l1 = find_location(pb, pb->sample[0]->location_id[1]);
    assert_int_equal(l0->address, leaf);
    assert_int_equal(l1->address, ra - 1);
    free_profile(pb);
    cb_profile_free(p);

    /* In a profile whose leaf is a return address (heap), it is adjusted too. */
    p = cb_profile_new(&allocs_spec);
    cb_profile_add(p, &ra, 1, v, NULL, 0);
    pb = round_trip(p);
    assert_int_equal(find_location(pb, pb->sample[0]->location_id[0])->address, ra - 1);
    free_profile(pb);
    cb_profile_free(p);
}

static void test_same_stack_and_labels_add_up_into_one_sample(void **state)
{
    (void)state;
    cb_profile *p = cb_profile_new(&cpu_spec);
    uint64_t stack[] = {encode_leaf(), encode_caller()};
    int64_t v[2] = {1, 10000000};
    cb_label a = {.key = "phase", .str = "a"}, b = {.key = "phase", .str = "b"};
    cb_profile_add(p, stack, 2, v, &a, 1);
    cb_profile_add(p, stack, 2, v, &a, 1);
    cb_profile_add(p, stack, 2, v, &b, 1);
    cb_profile_add(p, stack, 1, v, NULL, 0);
    pb_profile *pb = round_trip(p);
    assert_int_equal(pb->n_sample, 3);
    assert_int_equal(label_value(pb, 0, "phase", "a"), 2);
    assert_int_equal(label_value(pb, 1, "phase", "a"), 20000000);
    assert_int_equal(label_value(pb, 0, "phase", "b"), 1);
    assert_int_equal(total_value(pb, 0), 4);
    free_profile(pb);
    cb_profile_free(p);
}

static void test_locations_are_symbolized_with_file_and_line(void **state)
{
    (void)state;
    cb_profile *p = cb_profile_new(&cpu_spec);
    uint64_t ra = encode_caller();
    uint64_t stack[] = {encode_leaf(), ra};
    int64_t v[2] = {1, 1};
    cb_profile_add(p, stack, 2, v, NULL, 0);
    pb_profile *pb = round_trip(p);
    const Perftools__Profiles__Location *leaf = location_at(pb, stack[0]);
    const Perftools__Profiles__Location *caller = location_at(pb, ra - 1);
    assert_non_null(leaf);
    assert_non_null(caller);
    assert_int_equal(leaf->n_line, 1);
    assert_string_equal(function_name(pb, leaf->line[0]), "encode_leaf_body");
    assert_string_equal(function_name(pb, caller->line[0]), "encode_caller");
    assert_int_equal(caller->line[0]->line, caller_line);
    const Perftools__Profiles__Function *f = find_function(pb, caller->line[0]->function_id);
    assert_non_null(strstr(pstr(pb, f->filename), "test_profile_encode.c"));
    assert_true(f->start_line > 0 && f->start_line < caller_line);
    free_profile(pb);
    cb_profile_free(p);
}

static void test_inlined_calls_give_several_lines_innermost_first(void **state)
{
    (void)state;
    cb_profile *p = cb_profile_new(&allocs_spec);
    /* return_address() returns into encode_inlined, inlined into encode_outer. */
    uint64_t ra = encode_outer();
    int64_t v[2] = {1, 64};
    cb_profile_add(p, &ra, 1, v, NULL, 0);
    pb_profile *pb = round_trip(p);
    const Perftools__Profiles__Location *l = location_at(pb, ra - 1);
    assert_non_null(l);
    assert_int_equal(l->n_line, 2);
    assert_string_equal(function_name(pb, l->line[0]), "encode_inlined");
    assert_string_equal(function_name(pb, l->line[1]), "encode_outer");
    assert_int_equal(l->line[1]->line, inline_call_line);
    free_profile(pb);
    cb_profile_free(p);
}

static void test_mappings_put_main_binary_first_with_build_id_and_flags(void **state)
{
    (void)state;
    cb_profile *p = cb_profile_new(&cpu_spec);
    uint64_t stack[] = {encode_leaf(), encode_caller()};
    int64_t v[2] = {1, 1};
    cb_profile_add(p, stack, 2, v, NULL, 0);
    pb_profile *pb = round_trip(p);
    assert_true(pb->n_mapping >= 2);
    const Perftools__Profiles__Mapping *m = pb->mapping[0];
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    assert_string_equal(pstr(pb, m->filename), exe);
    assert_true(m->memory_start <= stack[0] && stack[0] < m->memory_limit);
    assert_true(strlen(pstr(pb, m->build_id)) >= 16);
    assert_true(m->has_functions);
    assert_true(m->has_filenames);
    assert_true(m->has_line_numbers);
    assert_true(m->has_inline_frames);
    const Perftools__Profiles__Location *l = location_at(pb, stack[0]);
    assert_int_equal(l->mapping_id, m->id);
    free_profile(pb);
    cb_profile_free(p);
}

static void test_unknown_address_keeps_a_bare_location(void **state)
{
    (void)state;
    cb_profile *p = cb_profile_new(&cpu_spec);
    uint64_t stack[] = {0x10};
    int64_t v[2] = {1, 1};
    cb_profile_add(p, stack, 1, v, NULL, 0);
    pb_profile *pb = round_trip(p);
    const Perftools__Profiles__Location *l = location_at(pb, 0x10);
    assert_non_null(l);
    assert_int_equal(l->n_line, 0);
    assert_int_equal(l->mapping_id, 0);
    free_profile(pb);
    cb_profile_free(p);
}

static void test_lost_samples_appear_as_a_frame_of_their_own(void **state)
{
    (void)state;
    cb_profile *p = cb_profile_new(&cpu_spec);
    int64_t v[2] = {7, 70000000};
    assert_int_equal(cb_profile_add_synthetic(p, "cbench_lost_samples", v), 0);
    pb_profile *pb = round_trip(p);
    assert_int_equal(flat_value(pb, 0, "cbench_lost_samples"), 7);
    free_profile(pb);
    cb_profile_free(p);
}

static void test_text_form_lists_records_largest_first_with_symbols(void **state)
{
    (void)state;
    cb_profile *p = cb_profile_new(&cpu_spec);
    uint64_t ra = encode_caller();
    uint64_t a[] = {encode_leaf(), ra}, b[] = {ra};
    int64_t small[2] = {1, 10}, big[2] = {5, 50};
    cb_profile_add(p, b, 1, small, NULL, 0);
    cb_profile_add(p, a, 2, big, NULL, 0);
    FILE *f = write_profile(p, 1);
    rewind(f);
    char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_non_null(strstr(text, "cpu profile: total 6\n"));
    char *first = strstr(text, "5 50 @ ");
    char *second = strstr(text, "1 10 @ ");
    assert_non_null(first);
    assert_non_null(second);
    assert_true(first < second);
    assert_non_null(strstr(first, "\tencode_leaf_body\t"));
    assert_non_null(strstr(first, "test_profile_encode.c:"));
    cb_profile_free(p);
}

static void test_write_to_full_stream_fails_with_its_errno(void **state)
{
    (void)state;
    cb_profile *p = cb_profile_new(&cpu_spec);
    uint64_t stack[] = {encode_leaf()};
    int64_t v[2] = {1, 1};
    cb_profile_add(p, stack, 1, v, NULL, 0);
    FILE *full = fopen("/dev/full", "w");
    assert_non_null(full);
    errno = 0;
    assert_int_equal(cb_profile_write(p, full, 0), -1);
    assert_int_equal(errno, ENOSPC);
    fclose(full);

    FILE *readonly = fopen("/dev/null", "r");
    errno = 0;
    assert_int_equal(cb_profile_write(p, readonly, 0), -1);
    assert_int_equal(errno, EBADF);
    fclose(readonly);
    cb_profile_free(p);
}

static int emit_ok(FILE *f, void *arg)
{
    return fputs(arg, f) < 0 ? -1 : 0;
}

static int emit_fail(FILE *f, void *arg)
{
    (void)arg;
    fputs("partial", f);
    errno = EIO;
    return -1;
}

static void test_atomic_file_replaces_only_when_complete(void **state)
{
    (void)state;
    char dir[] = "/tmp/cbench-atomic-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], cmd[512];
    snprintf(path, sizeof path, "%s/p.pb.gz", dir);
    assert_int_equal(cb_write_file_atomic(path, emit_ok, "first"), 0);
    assert_int_equal(cb_write_file_atomic(path, emit_fail, NULL), -1);
    FILE *f = fopen(path, "r");
    char buf[16] = {0};
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "first");
    /* Nothing but the profile is left in the folder. */
    snprintf(cmd, sizeof cmd, "test $(ls %s | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/missing/p.pb.gz", dir);
    errno = 0;
    assert_int_equal(cb_write_file_atomic(path, emit_ok, "x"), -1);
    assert_int_equal(errno, ENOENT);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* Symbols are cached across writes; a module loaded in between must still
 * be symbolized, and an address in it must not get a stale answer. */
static void test_module_loaded_between_writes_is_symbolized(void **state)
{
    (void)state;
    int64_t v[2] = {1, 1};
    cb_profile *p = cb_profile_new(&cpu_spec);
    uint64_t leaf = encode_leaf();
    cb_profile_add(p, &leaf, 1, v, NULL, 0);
    pb_profile *pb = round_trip(p);
    free_profile(pb);
    cb_profile_free(p);

    void *h = dlopen(STRESS_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
    assert_non_null(h);
    uint64_t pc = (uint64_t)(uintptr_t)dlsym(h, "stress_plugin_work") + 1;
    p = cb_profile_new(&cpu_spec);
    cb_profile_add(p, &pc, 1, v, NULL, 0);
    pb = round_trip(p);
    const Perftools__Profiles__Location *l = location_at(pb, pc);
    assert_non_null(l);
    assert_true(l->n_line >= 1);
    assert_string_equal(function_name(pb, l->line[0]), "stress_plugin_work");
    assert_non_null(strstr(pstr(pb, pb->mapping[l->mapping_id - 1]->filename), "stress_plugin"));
    free_profile(pb);
    cb_profile_free(p);
    dlclose(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_table_starts_empty_and_ids_are_unique_nonzero),
        cmocka_unit_test(test_sample_types_period_and_times_follow_go),
        cmocka_unit_test(test_leaf_is_exact_pc_and_callers_are_return_address_minus_one),
        cmocka_unit_test(test_same_stack_and_labels_add_up_into_one_sample),
        cmocka_unit_test(test_locations_are_symbolized_with_file_and_line),
        cmocka_unit_test(test_inlined_calls_give_several_lines_innermost_first),
        cmocka_unit_test(test_mappings_put_main_binary_first_with_build_id_and_flags),
        cmocka_unit_test(test_unknown_address_keeps_a_bare_location),
        cmocka_unit_test(test_lost_samples_appear_as_a_frame_of_their_own),
        cmocka_unit_test(test_text_form_lists_records_largest_first_with_symbols),
        cmocka_unit_test(test_write_to_full_stream_fails_with_its_errno),
        cmocka_unit_test(test_atomic_file_replaces_only_when_complete),
        cmocka_unit_test(test_module_loaded_between_writes_is_symbolized),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
