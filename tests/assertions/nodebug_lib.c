/*
 * A shared library built without debug information and stripped of its
 * symbol table, as distributions ship theirs (OpenSSL's libcrypto): only
 * its exported functions have names, in the dynamic symbol table. A
 * failure message must still name its frames (assert_prog's
 * stripped_library_fails).
 */
#include <stdlib.h>

void *nodebug_make(size_t n);
void *nodebug_make_via_static(size_t n);

__attribute__((noinline)) static void *hidden_helper(size_t n)
{
    char *p = malloc(n);
    if (p)
        p[0] = 1;
    __asm__ volatile("" ::: "memory");
    return p;
}

__attribute__((noinline)) void *nodebug_make(size_t n)
{
    void *p = hidden_helper(n);
    __asm__ volatile("" ::: "memory");
    return p;
}
