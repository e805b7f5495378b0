/*
 * The symbol cache across profile writes: a library loaded between two
 * writes is reported to the symbolizer it has (not a new one, which would
 * load every module's debug information again), one unloaded starts it
 * afresh; and symbolizing never loads debuginfod's client into the
 * program.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile/mappings.h"
#include "profile/symcache.h"

__attribute__((noinline)) static int local_function(int x)
{
    __asm__ volatile("" ::: "memory");
    return x + 1;
}

/* The name the cache gives addr, under the mappings as they are now. */
static void lookup_now(uint64_t addr, char *name, size_t len)
{
    cb_mapping *maps;
    size_t n;
    assert_int_equal(cb_mappings_read(&maps, &n), 0);
    cb_symcache_acquire(maps, n);
    cb_line lines[8];
    unsigned flags;
    int k = cb_symcache_lookup(addr, lines, 8, &flags);
    snprintf(name, len, "%s", k > 0 && lines[k - 1].function ? lines[k - 1].function : "");
    cb_symcache_release();
    cb_mappings_free(maps, n);
}

static bool mapped(const char *what)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[1024];
    bool found = false;
    while (f && fgets(line, sizeof line, f))
        found |= strstr(line, what) != NULL;
    if (f)
        fclose(f);
    return found;
}

static void test_a_library_loaded_between_writes_keeps_the_symbolizer(void **state)
{
    (void)state;
    char name[256];
    lookup_now((uint64_t)(uintptr_t)local_function, name, sizeof name);
    assert_string_equal(name, "local_function");
    unsigned made = cb_symcache_generation();

    void *h = dlopen(STRESS_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
    assert_non_null(h);
    void *work = dlsym(h, "stress_plugin_work");
    assert_non_null(work);
    lookup_now((uint64_t)(uintptr_t)work, name, sizeof name);
    assert_string_equal(name, "stress_plugin_work"); /* the new module is known */
    lookup_now((uint64_t)(uintptr_t)local_function, name, sizeof name);
    assert_string_equal(name, "local_function");
    assert_int_equal(cb_symcache_generation(), made);

    assert_int_equal(dlclose(h), 0);
    lookup_now((uint64_t)(uintptr_t)local_function, name, sizeof name);
    assert_string_equal(name, "local_function");
    assert_int_equal(cb_symcache_generation(), made + 1);
}

/* Modules without debug information (libcmocka's, here) are looked for
 * on this machine only: libdwfl's own search ends by loading the
 * debuginfod client (and libcurl) into the program. */
static void test_symbolizing_loads_no_debuginfod_client(void **state)
{
    (void)state;
    char name[256];
    lookup_now((uint64_t)(uintptr_t)_cmocka_run_group_tests, name, sizeof name);
    assert_string_equal(name, "_cmocka_run_group_tests");
    lookup_now((uint64_t)(uintptr_t)dlsym(RTLD_DEFAULT, "strlen"), name, sizeof name);
    assert_false(mapped("libdebuginfod"));
    assert_false(mapped("libcurl"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_library_loaded_between_writes_keeps_the_symbolizer),
        cmocka_unit_test(test_symbolizing_loads_no_debuginfod_client),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
