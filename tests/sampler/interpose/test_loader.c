/*
 * The lock-free object lookup that serves libunwind (sampler/interpose/loader.c):
 * for addresses in the program, in libc, in libunwind, in the vDSO and in
 * a library loaded with dlopen, the object it shows must be the one
 * glibc's own dl_iterate_phdr shows as holding the address (same load
 * address, same program headers), and an address in no object must be
 * refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "interpose/loader.h"

struct seen {
    uintptr_t addr; /* looked for */
    bool found;
    ElfW(Addr) base;
    const ElfW(Phdr) *phdr;
    ElfW(Half) phnum;
    int calls;
};

static bool holds(const struct dl_phdr_info *info, uintptr_t addr)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && lo <= addr && addr < lo + ph->p_memsz)
            return true;
    }
    return false;
}

static int record_holder(struct dl_phdr_info *info, size_t size, void *data)
{
    struct seen *s = data;
    s->calls++;
    assert_true(size >= offsetof(struct dl_phdr_info, dlpi_phnum) + sizeof info->dlpi_phnum);
    if (!holds(info, s->addr))
        return 0;
    s->found = true;
    s->base = info->dlpi_addr;
    s->phdr = info->dlpi_phdr;
    s->phnum = info->dlpi_phnum;
    return 1;
}

/* glibc's answer (through the interposer, which passes this callback,
 * not libunwind's, to the real function) against the lock-free one. */
static void assert_same_object(uintptr_t addr)
{
    struct seen truth = {.addr = addr}, got = {.addr = addr};
    assert_int_equal(dl_iterate_phdr(record_holder, &truth), 1);
    int rc = 0;
    assert_true(cb_loader_visit_holder(addr, record_holder, &got, &rc));
    assert_int_equal(rc, 1);
    assert_int_equal(got.calls, 1);
    assert_true(got.found);
    assert_int_equal(got.base, truth.base);
    assert_ptr_equal(got.phdr, truth.phdr);
    assert_int_equal(got.phnum, truth.phnum);
}

static void test_program_address_gives_the_program(void **state)
{
    (void)state;
    assert_same_object((uintptr_t)&test_program_address_gives_the_program);
}

static void test_libc_address_gives_libc(void **state)
{
    (void)state;
    assert_same_object((uintptr_t)dlsym(RTLD_DEFAULT, "strlen"));
}

static void test_libunwind_address_gives_libunwind(void **state)
{
    (void)state;
    assert_same_object((uintptr_t)dlsym(RTLD_DEFAULT, "unw_backtrace"));
}

static void test_vdso_address_gives_the_vdso(void **state)
{
    (void)state;
    uintptr_t vdso = getauxval(AT_SYSINFO_EHDR);
    if (vdso == 0) {
        /* No vDSO here (some emulators): the process has no [vdso] mapping. */
        FILE *f = fopen("/proc/self/maps", "r");
        assert_non_null(f);
        char line[512];
        while (fgets(line, sizeof line, f))
            assert_null(strstr(line, "[vdso]"));
        fclose(f);
        return;
    }
    const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)vdso;
    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)(vdso + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X)) {
            assert_same_object(vdso + ph[i].p_offset + ph[i].p_filesz / 2);
            return;
        }
    fail_msg("the vDSO has no executable segment");
}

static void test_library_loaded_later_is_found_until_closed(void **state)
{
    (void)state;
    void *h = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
    assert_non_null(h);
    uintptr_t f = (uintptr_t)dlsym(h, "crc32");
    assert_true(f != 0);
    assert_same_object(f);
    dlclose(h);
}

static void test_address_in_no_object_is_refused(void **state)
{
    (void)state;
    void *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(anon != MAP_FAILED);
    struct seen got = {.addr = (uintptr_t)anon};
    int rc = -7;
    assert_false(cb_loader_visit_holder((uintptr_t)anon, record_holder, &got, &rc));
    assert_int_equal(got.calls, 0);
    assert_int_equal(rc, -7);
    munmap(anon, 4096);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_program_address_gives_the_program),
        cmocka_unit_test(test_libc_address_gives_libc),
        cmocka_unit_test(test_libunwind_address_gives_libunwind),
        cmocka_unit_test(test_vdso_address_gives_the_vdso),
        cmocka_unit_test(test_library_loaded_later_is_found_until_closed),
        cmocka_unit_test(test_address_in_no_object_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
