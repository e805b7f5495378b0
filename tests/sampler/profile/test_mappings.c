/*
 * Tests of the process mappings reader (sampler/profile/mappings.c).
 *
 * The reader takes build IDs from the loaded images in memory; the tests
 * check them against a second, independent source: the ELF files on disk,
 * read with libelf and libdwelf's dwelf_elf_gnu_build_id.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dlfcn.h>
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "profile/mappings.h"

struct maps {
    cb_mapping *m;
    size_t n;
};

static int setup(void **state)
{
    struct maps *maps = calloc(1, sizeof *maps);
    if (maps == NULL || cb_mappings_read(&maps->m, &maps->n) != 0) {
        free(maps);
        return -1;
    }
    *state = maps;
    return 0;
}

static int teardown(void **state)
{
    struct maps *maps = *state;
    cb_mappings_free(maps->m, maps->n);
    free(maps);
    return 0;
}

static __attribute__((noinline)) int main_binary_function(int x)
{
    __asm__ volatile("" ::: "memory");
    return x + 1;
}

/* The GNU build ID of the ELF file at `path`, as lowercase hex, read from
 * the file on disk. Returns 0, or -1 when the file has none. */
static int build_id_from_file(const char *path, char *out, size_t out_size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    elf_version(EV_CURRENT);
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    int rc = -1;
    const unsigned char *id;
    ssize_t len = elf ? dwelf_elf_gnu_build_id(elf, (const void **)&id) : -1;
    if (len > 0 && (size_t)len * 2 < out_size) {
        for (ssize_t i = 0; i < len; i++)
            snprintf(out + 2 * i, 3, "%02x", id[i]);
        rc = 0;
    }
    elf_end(elf);
    close(fd);
    return rc;
}

static long find_by_file_suffix(const struct maps *maps, const char *name)
{
    for (size_t i = 0; i < maps->n; i++) {
        const char *slash = strrchr(maps->m[i].file, '/');
        if (slash != NULL && strncmp(slash + 1, name, strlen(name)) == 0)
            return (long)i;
    }
    return -1;
}

static void test_first_mapping_is_main_binary_holding_its_code(void **state)
{
    struct maps *maps = *state;
    assert_true(maps->n >= 2);
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(len > 0);
    exe[len] = '\0';

    uintptr_t pc = (uintptr_t)&main_binary_function;
    assert_true(maps->m[0].start <= pc && pc < maps->m[0].limit);
    assert_string_equal(maps->m[0].file, exe);
}

static void test_every_mapping_is_nonempty_and_page_aligned(void **state)
{
    struct maps *maps = *state;
    long page = sysconf(_SC_PAGESIZE);
    for (size_t i = 0; i < maps->n; i++) {
        assert_true(maps->m[i].start < maps->m[i].limit);
        assert_int_equal(maps->m[i].start % (uint64_t)page, 0);
        assert_int_equal(maps->m[i].limit % (uint64_t)page, 0);
        assert_null(strstr(maps->m[i].file, " (deleted)"));
    }
}

static void test_mappings_after_the_first_are_sorted_and_disjoint(void **state)
{
    struct maps *maps = *state;
    for (size_t i = 2; i < maps->n; i++)
        assert_true(maps->m[i - 1].limit <= maps->m[i].start);
}

static void test_main_binary_build_id_matches_file_on_disk(void **state)
{
    struct maps *maps = *state;
    char want[65];
    assert_int_equal(build_id_from_file("/proc/self/exe", want, sizeof want), 0);
    assert_true(strlen(maps->m[0].build_id) > 0);
    assert_string_equal(maps->m[0].build_id, want);
}

static void test_libc_mapping_has_build_id_of_its_file(void **state)
{
    struct maps *maps = *state;
    long i = find_by_file_suffix(maps, "libc.so");
    assert_true(i > 0);
    assert_true(strlen(maps->m[i].build_id) > 0);
    char want[65];
    if (build_id_from_file(maps->m[i].file, want, sizeof want) == 0)
        assert_string_equal(maps->m[i].build_id, want);
    /* Lowercase hex, as pprof and debuginfod spell it. */
    assert_int_equal(strspn(maps->m[i].build_id, "0123456789abcdef"), strlen(maps->m[i].build_id));
}

/* The list says what the auxiliary vector says: a vDSO at the address the
 * kernel gave, under its pseudo name, or (some emulators map none) no
 * "[vdso]" at all. */
static void test_vdso_is_listed_with_its_pseudo_name(void **state)
{
    struct maps *maps = *state;
    uintptr_t vdso = getauxval(AT_SYSINFO_EHDR);
    long found = -1;
    for (size_t i = 0; i < maps->n; i++)
        if (strcmp(maps->m[i].file, "[vdso]") == 0)
            found = (long)i;
    if (!vdso) {
        assert_int_equal(found, -1);
        return;
    }
    assert_true(found >= 0);
    assert_true(maps->m[found].start <= vdso && vdso < maps->m[found].limit);
    assert_int_equal(cb_mappings_find(maps->m, maps->n, vdso), found);
}

static void test_find_returns_mapping_holding_address(void **state)
{
    struct maps *maps = *state;
    uintptr_t main_pc = (uintptr_t)&main_binary_function;
    assert_int_equal(cb_mappings_find(maps->m, maps->n, main_pc), 0);

    void *getpid_addr = dlsym(RTLD_DEFAULT, "getpid");
    assert_non_null(getpid_addr);
    long libc = find_by_file_suffix(maps, "libc.so");
    assert_int_equal(cb_mappings_find(maps->m, maps->n, (uintptr_t)getpid_addr), libc);

    /* Every mapping's first and last byte find it; one past it does not
     * find it. */
    for (size_t i = 0; i < maps->n; i++) {
        assert_int_equal(cb_mappings_find(maps->m, maps->n, maps->m[i].start), (long)i);
        assert_int_equal(cb_mappings_find(maps->m, maps->n, maps->m[i].limit - 1), (long)i);
        assert_int_not_equal(cb_mappings_find(maps->m, maps->n, maps->m[i].limit), (long)i);
    }
}

static void test_find_returns_minus_one_outside_every_mapping(void **state)
{
    struct maps *maps = *state;
    assert_int_equal(cb_mappings_find(maps->m, maps->n, 0x10), -1);
    assert_int_equal(cb_mappings_find(maps->m, maps->n, UINT64_MAX), -1);
    assert_int_equal(cb_mappings_find(maps->m, 0, 0x10), -1);
    /* Data is not code: a stack address is in no executable mapping. */
    int local = 0;
    assert_int_equal(cb_mappings_find(maps->m, maps->n, (uintptr_t)&local), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_mapping_is_main_binary_holding_its_code),
        cmocka_unit_test(test_every_mapping_is_nonempty_and_page_aligned),
        cmocka_unit_test(test_mappings_after_the_first_are_sorted_and_disjoint),
        cmocka_unit_test(test_main_binary_build_id_matches_file_on_disk),
        cmocka_unit_test(test_libc_mapping_has_build_id_of_its_file),
        cmocka_unit_test(test_vdso_is_listed_with_its_pseudo_name),
        cmocka_unit_test(test_find_returns_mapping_holding_address),
        cmocka_unit_test(test_find_returns_minus_one_outside_every_mapping),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
