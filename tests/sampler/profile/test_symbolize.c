/*
 * Tests of the in-process symbolizer (sampler/profile/symbolize.c).
 *
 * Addresses come from this file's own code, with their expected lines
 * marked by __LINE__: a callee hands back its return address, and the
 * return address minus one is the call instruction, an exact address on a
 * known line, as a profiler passes it for every frame but the leaf. The
 * functions are noinline so that they exist with their own names, and each
 * call is followed by an empty asm so that it cannot become a tail call
 * (whose return address would be in another function).
 *
 * Whether libc has debuginfo installed depends on the machine, so tests on
 * libc addresses check that the flags agree with what came back rather
 * than assuming either.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>

#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "profile/symbolize.h"

#define MAX_LINES 16

static __attribute__((noinline)) uintptr_t caller_pc(void)
{
    /* The return address points after the call; -1 is inside it. */
    uintptr_t pc = (uintptr_t)__builtin_return_address(0) - 1;
    __asm__ volatile("" ::: "memory");
    return pc;
}

enum { LEAF_DECL_LINE = __LINE__ + 1 };
static __attribute__((noinline)) uintptr_t leaf_site(int *call_line)
{
    *call_line = __LINE__ + 1;
    uintptr_t pc = caller_pc();
    __asm__ volatile("" ::: "memory");
    return pc;
}

enum { INLINED_DECL_LINE = __LINE__ + 1 };
static inline __attribute__((always_inline)) uintptr_t inlined_part(int *call_line)
{
    *call_line = __LINE__ + 1;
    uintptr_t pc = caller_pc();
    __asm__ volatile("" ::: "memory");
    return pc;
}

enum { OUTER_DECL_LINE = __LINE__ + 1 };
static __attribute__((noinline)) uintptr_t outer_site(int *inner_line, int *call_line)
{
    *call_line = __LINE__ + 1;
    uintptr_t pc = inlined_part(inner_line);
    __asm__ volatile("" ::: "memory");
    return pc;
}

enum { WRAPPER_DECL_LINE = __LINE__ + 1 };
static inline __attribute__((always_inline)) uintptr_t inlined_wrapper(int *inner_line,
                                                                       int *mid_line)
{
    *mid_line = __LINE__ + 1;
    uintptr_t pc = inlined_part(inner_line);
    __asm__ volatile("" ::: "memory");
    return pc;
}

static __attribute__((noinline)) uintptr_t outer_twice(int *inner_line, int *mid_line,
                                                       int *call_line)
{
    *call_line = __LINE__ + 1;
    uintptr_t pc = inlined_wrapper(inner_line, mid_line);
    __asm__ volatile("" ::: "memory");
    return pc;
}

static int setup(void **state)
{
    cb_symbolizer *s = cb_symbolizer_new();
    if (s == NULL)
        return -1;
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    cb_symbolizer_free(*state);
    return 0;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The flags must say exactly what holds for every returned line. */
static void assert_flags_match_lines(const cb_line *lines, int n, unsigned flags)
{
    bool all_function = true, all_file = true, all_line = true;
    for (int i = 0; i < n; i++) {
        all_function &= lines[i].function != NULL;
        all_file &= lines[i].file != NULL;
        all_line &= lines[i].line > 0;
        if (lines[i].function != NULL)
            assert_non_null(lines[i].system_name);
    }
    if (n == 0) {
        assert_int_equal(flags, 0);
        return;
    }
    assert_int_equal(!!(flags & CB_SYM_FUNCTION), all_function);
    assert_int_equal(!!(flags & CB_SYM_FILE), all_file);
    assert_int_equal(!!(flags & CB_SYM_LINE), all_line);
}

static void test_static_function_resolves_to_name_file_and_call_line(void **state)
{
    int call_line = 0;
    uintptr_t pc = leaf_site(&call_line);
    cb_line lines[MAX_LINES];
    unsigned flags = 0;
    int n = cb_symbolize(*state, pc, lines, MAX_LINES, &flags);

    assert_int_equal(n, 1);
    assert_flags_match_lines(lines, n, flags);
    assert_true(flags & CB_SYM_FUNCTION);
    assert_true(flags & CB_SYM_FILE);
    assert_true(flags & CB_SYM_LINE);
    assert_true(flags & CB_SYM_INLINE);
    assert_string_equal(lines[0].function, "leaf_site");
    assert_string_equal(lines[0].system_name, "leaf_site");
    assert_string_equal(base_name(lines[0].file), "test_symbolize.c");
    assert_int_equal(lines[0].line, call_line);
    assert_int_equal(lines[0].start_line, LEAF_DECL_LINE);
}

static void test_function_entry_resolves_to_its_function(void **state)
{
    cb_line lines[MAX_LINES];
    unsigned flags = 0;
    int n = cb_symbolize(*state, (uintptr_t)&leaf_site, lines, MAX_LINES, &flags);

    assert_int_equal(n, 1);
    assert_flags_match_lines(lines, n, flags);
    assert_string_equal(lines[0].function, "leaf_site");
    assert_true(lines[0].line >= LEAF_DECL_LINE && lines[0].line <= LEAF_DECL_LINE + 6);
}

static void test_inlined_function_gives_chain_innermost_first(void **state)
{
    int inner_line = 0, call_line = 0;
    uintptr_t pc = outer_site(&inner_line, &call_line);
    cb_line lines[MAX_LINES];
    unsigned flags = 0;
    int n = cb_symbolize(*state, pc, lines, MAX_LINES, &flags);

    assert_int_equal(n, 2);
    assert_flags_match_lines(lines, n, flags);
    assert_int_equal(flags, CB_SYM_FUNCTION | CB_SYM_FILE | CB_SYM_LINE | CB_SYM_INLINE);

    assert_string_equal(lines[0].function, "inlined_part");
    assert_string_equal(base_name(lines[0].file), "test_symbolize.c");
    assert_int_equal(lines[0].line, inner_line);
    assert_int_equal(lines[0].start_line, INLINED_DECL_LINE);

    assert_string_equal(lines[1].function, "outer_site");
    assert_string_equal(base_name(lines[1].file), "test_symbolize.c");
    assert_int_equal(lines[1].line, call_line);
    assert_int_equal(lines[1].start_line, OUTER_DECL_LINE);
}

static void test_nested_inlines_give_every_frame_with_its_call_site(void **state)
{
    int inner_line = 0, mid_line = 0, call_line = 0;
    uintptr_t pc = outer_twice(&inner_line, &mid_line, &call_line);
    cb_line lines[MAX_LINES];
    unsigned flags = 0;
    int n = cb_symbolize(*state, pc, lines, MAX_LINES, &flags);

    assert_int_equal(n, 3);
    assert_flags_match_lines(lines, n, flags);
    assert_true(flags & CB_SYM_INLINE);
    assert_string_equal(lines[0].function, "inlined_part");
    assert_int_equal(lines[0].line, inner_line);
    assert_string_equal(lines[1].function, "inlined_wrapper");
    assert_int_equal(lines[1].line, mid_line);
    assert_int_equal(lines[1].start_line, WRAPPER_DECL_LINE);
    assert_string_equal(lines[2].function, "outer_twice");
    assert_int_equal(lines[2].line, call_line);
}

static void test_chain_longer_than_max_keeps_innermost_and_is_not_complete(void **state)
{
    int inner_line = 0, call_line = 0;
    uintptr_t pc = outer_site(&inner_line, &call_line);
    cb_line lines[1];
    unsigned flags = 0;
    int n = cb_symbolize(*state, pc, lines, 1, &flags);

    assert_int_equal(n, 1);
    assert_string_equal(lines[0].function, "inlined_part");
    assert_int_equal(lines[0].line, inner_line);
    assert_false(flags & CB_SYM_INLINE);
}

static void test_same_address_gives_same_strings_again(void **state)
{
    int call_line = 0;
    uintptr_t pc = leaf_site(&call_line);
    cb_line first[MAX_LINES], again[MAX_LINES];
    unsigned flags = 0;
    assert_int_equal(cb_symbolize(*state, pc, first, MAX_LINES, &flags), 1);
    /* Symbolize something elsewhere in between: earlier strings must
     * survive it, as the profile builder keeps them until it is done. */
    cb_line other[MAX_LINES];
    cb_symbolize(*state, (uintptr_t)dlsym(RTLD_DEFAULT, "getpid"), other, MAX_LINES, &flags);
    assert_int_equal(cb_symbolize(*state, pc, again, MAX_LINES, &flags), 1);
    assert_ptr_equal(first[0].function, again[0].function);
    assert_ptr_equal(first[0].file, again[0].file);
    assert_string_equal(first[0].function, "leaf_site");
}

static void test_libc_function_resolves_to_its_name(void **state)
{
    void *getpid_addr = dlsym(RTLD_DEFAULT, "getpid");
    assert_non_null(getpid_addr);
    cb_line lines[MAX_LINES];
    unsigned flags = 0;
    int n = cb_symbolize(*state, (uintptr_t)getpid_addr, lines, MAX_LINES, &flags);

    assert_true(n >= 1);
    assert_flags_match_lines(lines, n, flags);
    assert_true(flags & CB_SYM_FUNCTION);
    /* With debuginfo the DWARF name (__getpid), without it the symbol. */
    assert_non_null(strstr(lines[n - 1].function, "getpid"));
}

static void test_unmapped_address_gives_no_lines(void **state)
{
    cb_line lines[MAX_LINES];
    unsigned flags = 123;
    assert_int_equal(cb_symbolize(*state, 0x10, lines, MAX_LINES, &flags), 0);
    assert_int_equal(flags, 0);
    assert_int_equal(cb_symbolize(*state, UINT64_MAX - 0x10, lines, MAX_LINES, &flags), 0);
    assert_int_equal(flags, 0);
}

static void test_zero_max_writes_nothing(void **state)
{
    int call_line = 0;
    uintptr_t pc = leaf_site(&call_line);
    cb_line lines[1] = {{.function = "untouched"}};
    unsigned flags = 0;
    assert_int_equal(cb_symbolize(*state, pc, lines, 0, &flags), 0);
    assert_string_equal(lines[0].function, "untouched");
}

/* The executable PT_LOAD segment of the loaded object that holds `addr`. */
struct text_range {
    uintptr_t addr, lo, hi;
};

static int find_text_of(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct text_range *t = arg;
    bool holds = false;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && t->addr >= lo && t->addr < lo + ph->p_memsz)
            holds = true;
    }
    for (int i = 0; holds && i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            t->lo = info->dlpi_addr + ph->p_vaddr;
            t->hi = t->lo + ph->p_memsz;
            return 1;
        }
    }
    return 0;
}

/* Symbolizes addresses spread over [lo, hi): whatever debuginfo is
 * installed, every answer must be consistent. Returns how many had a name. */
static int sweep(cb_symbolizer *s, uintptr_t lo, uintptr_t hi, uintptr_t step)
{
    int named = 0;
    for (uintptr_t a = lo; a < hi; a += step) {
        cb_line lines[MAX_LINES];
        unsigned flags = 0;
        int n = cb_symbolize(s, a, lines, MAX_LINES, &flags);
        assert_true(n >= 0 && n <= MAX_LINES);
        assert_flags_match_lines(lines, n, flags);
        if (!(flags & CB_SYM_INLINE))
            assert_true(n <= 1); /* only DWARF scopes give a chain */
        if (n > 0 && lines[n - 1].function != NULL)
            named++;
    }
    return named;
}

static void test_libc_lines_agree_with_flags_with_or_without_debuginfo(void **state)
{
    struct text_range t = {.addr = (uintptr_t)dlsym(RTLD_DEFAULT, "strlen")};
    assert_true(t.addr != 0);
    assert_true(dl_iterate_phdr(find_text_of, &t));
    /* About 500 addresses; names come from .dynsym even without DWARF. */
    uintptr_t step = (t.hi - t.lo) / 500 | 1;
    assert_true(sweep(*state, t.lo, t.hi, step) > 0);
}

static void test_main_binary_text_agrees_with_flags_everywhere(void **state)
{
    struct text_range t = {.addr = (uintptr_t)&leaf_site};
    assert_true(dl_iterate_phdr(find_text_of, &t));
    assert_true(sweep(*state, t.lo, t.hi, 5) > 0);
}

/* The vDSO's code symbolizes from its own dynamic symbols (it has no
 * file to read): its exported functions are named. Where the kernel maps
 * none (some emulators), the loader lists none either. */
static void test_vdso_addresses_symbolize_by_its_exports(void **state)
{
    struct text_range t = {.addr = getauxval(AT_SYSINFO_EHDR)};
    bool listed = t.addr != 0 && dl_iterate_phdr(find_text_of, &t);
    if (t.addr == 0) {
        assert_false(listed);
        return;
    }
    assert_true(listed);
    assert_true(sweep(*state, t.lo, t.hi, 3) > 0);
}

static int main_program_bias(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    *(uintptr_t *)arg = info->dlpi_addr;
    return 1; /* the first object listed is the program */
}

/* Every PLT stub of this test binary gets the name objdump gives it,
 * "<target>@plt", wherever in the stub the address falls. */
static void test_plt_stubs_are_named_as_objdump_names_them(void **state)
{
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(len > 0);
    exe[len] = '\0';
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "objdump -d -j .plt -j .plt.sec -j .plt.got '%s' 2>/dev/null", exe);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    uintptr_t bias = 0;
    dl_iterate_phdr(main_program_bias, &bias);
    char line[512];
    int stubs = 0;
    while (fgets(line, sizeof line, p)) {
        unsigned long addr;
        char name[256];
        /* The resolver's stub (PLT0) is labelled "<first>@plt-0x10": not a stub of its own. */
        size_t nlen = 0;
        if (sscanf(line, "%lx <%255[^>]>:", &addr, name) != 2 || (nlen = strlen(name)) < 4 ||
            strcmp(name + nlen - 4, "@plt") != 0)
            continue;
        for (uintptr_t off = 0; off < 8; off += 4) {
            cb_line lines[MAX_LINES];
            unsigned flags = 0;
            int n = cb_symbolize(*state, bias + addr + off, lines, MAX_LINES, &flags);
            if (n != 1 || !(flags & CB_SYM_FUNCTION))
                fail_msg("%s at +%#lx: %d lines, flags %#x", name, addr + off, n, flags);
            assert_string_equal(lines[0].function, name);
        }
        stubs++;
    }
    assert_int_equal(pclose(p), 0);
    /* The test calls cmocka, a shared library, through its PLT. */
    assert_true(stubs > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_static_function_resolves_to_name_file_and_call_line),
        cmocka_unit_test(test_function_entry_resolves_to_its_function),
        cmocka_unit_test(test_inlined_function_gives_chain_innermost_first),
        cmocka_unit_test(test_nested_inlines_give_every_frame_with_its_call_site),
        cmocka_unit_test(test_chain_longer_than_max_keeps_innermost_and_is_not_complete),
        cmocka_unit_test(test_same_address_gives_same_strings_again),
        cmocka_unit_test(test_libc_function_resolves_to_its_name),
        cmocka_unit_test(test_libc_lines_agree_with_flags_with_or_without_debuginfo),
        cmocka_unit_test(test_unmapped_address_gives_no_lines),
        cmocka_unit_test(test_zero_max_writes_nothing),
        cmocka_unit_test(test_main_binary_text_agrees_with_flags_everywhere),
        cmocka_unit_test(test_vdso_addresses_symbolize_by_its_exports),
        cmocka_unit_test(test_plt_stubs_are_named_as_objdump_names_them),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
