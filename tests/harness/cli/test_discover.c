/*
 * Finding test binaries without running them: the ELF note (in sections,
 * or in program headers alone), the protocol version, and the folder walk
 * (hidden folders, CMakeFiles, symlink loops, links to one binary, files
 * that are not test binaries), with the names given to what is found.
 *
 * MARKED_PROGRAM carries the note (CBENCH_MARK_BINARY_ in main);
 * PLAIN_PROGRAM does not. Folders are built under a fresh temporary one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "discover.h"

static char root[256];

static void sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    assert_int_equal(system(cmd), 0);
}

static int make_root(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/cbench-discover-XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int remove_root(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    return system(cmd) == 0 ? 0 : -1;
}

static char *path_in(const char *name)
{
    static char buf[4][512];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, 512, "%s/%s", root, name);
    return p;
}

static void test_marked_binary_is_recognised(void **state)
{
    (void)state;
    char why[160];
    assert_int_equal(cb_discover_check(MARKED_PROGRAM, why, sizeof why), 1);
}

static void test_binary_without_the_note_is_not(void **state)
{
    (void)state;
    char why[160] = "";
    assert_int_equal(cb_discover_check(PLAIN_PROGRAM, why, sizeof why), 0);
    assert_non_null(strstr(why, "no cbench note"));
}

static void test_scripts_folders_and_plain_files_are_not(void **state)
{
    (void)state;
    char why[160];
    sh("printf '#!/bin/sh\\nexit 0\\n' > %s && chmod +x %s", path_in("script"), path_in("script"));
    assert_int_equal(cb_discover_check(path_in("script"), why, sizeof why), 0);
    assert_non_null(strstr(why, "not an ELF"));
    sh("cp %s %s && chmod 644 %s", MARKED_PROGRAM, path_in("noexec"), path_in("noexec"));
    assert_int_equal(cb_discover_check(path_in("noexec"), why, sizeof why), 0);
    assert_non_null(strstr(why, "not executable"));
    assert_int_equal(cb_discover_check(root, why, sizeof why), 0);
    assert_non_null(strstr(why, "not a regular file"));
    assert_int_equal(cb_discover_check(path_in("missing"), why, sizeof why), -1);
    assert_non_null(strstr(why, "No such file"));
}

/* A copy of the marked program with edits at given file offsets. */
static void patched_copy(const char *dst, void (*edit)(unsigned char *img, size_t len))
{
    FILE *f = fopen(MARKED_PROGRAM, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size_t len = (size_t)ftell(f);
    rewind(f);
    unsigned char *img = malloc(len);
    assert_non_null(img);
    assert_int_equal(fread(img, 1, len, f), len);
    fclose(f);
    edit(img, len);
    int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, img, len), (ssize_t)len);
    close(fd);
    free(img);
}

static void drop_section_headers(unsigned char *img, size_t len)
{
    assert_true(len > sizeof(Elf64_Ehdr));
    Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
    assert_int_equal(eh->e_ident[EI_CLASS], ELFCLASS64);
    eh->e_shoff = 0;
    eh->e_shnum = 0;
    eh->e_shstrndx = 0;
}

/* The note's descriptor follows "cbench\0" padded to 8 bytes. */
static void set_version_2(unsigned char *img, size_t len)
{
    static const unsigned char note[] = {7, 0, 0,   0,   4,   0,   0,   0,   1, 0,
                                         0, 0, 'c', 'b', 'e', 'n', 'c', 'h', 0, 0};
    for (size_t i = 0; i + sizeof note + 4 <= len; i++) {
        if (memcmp(img + i, note, sizeof note) == 0) {
            img[i + sizeof note] = 2;
            return;
        }
    }
    fail_msg("note not found in the marked program");
}

static void test_note_is_found_through_program_headers_alone(void **state)
{
    (void)state;
    char why[160] = "";
    patched_copy(path_in("no_sections"), drop_section_headers);
    assert_int_equal(cb_discover_check(path_in("no_sections"), why, sizeof why), 1);
}

static void test_other_protocol_version_is_refused(void **state)
{
    (void)state;
    char why[160] = "";
    patched_copy(path_in("version2"), set_version_2);
    assert_int_equal(cb_discover_check(path_in("version2"), why, sizeof why), 0);
    assert_non_null(strstr(why, "protocol 2"));
}

static void test_folder_walk_finds_sorted_test_binaries_only(void **state)
{
    (void)state;
    sh("cd %s && mkdir -p tree/b tree/a/deep tree/.hidden tree/CMakeFiles", root);
    sh("cd %s/tree && cp %s b/test_z && cp %s a/test_y && cp %s a/deep/test_x && cp %s top", root,
       MARKED_PROGRAM, MARKED_PROGRAM, MARKED_PROGRAM, MARKED_PROGRAM);
    sh("cd %s/tree && cp %s .hidden/test_h && cp %s CMakeFiles/test_c && cp %s a/plain", root,
       MARKED_PROGRAM, MARKED_PROGRAM, PLAIN_PROGRAM);
    sh("cd %s/tree && cp %s a/noexec && chmod 644 a/noexec && ln -s .. a/loop && ln -s top z_link"
       " && ln -s nowhere dangling && echo text > notes.txt",
       root, MARKED_PROGRAM);
    char *notes = NULL;
    size_t notes_len = 0;
    FILE *nf = open_memstream(&notes, &notes_len);
    char *ops[] = {path_in("tree")};
    cb_binaries b;
    char err[256];
    assert_int_equal(cb_discover(ops, 1, nf, &b, err, sizeof err), 0);
    fclose(nf);
    assert_int_equal(b.n, 4);
    assert_string_equal(b.v[0].name, "a%2Fdeep%2Ftest_x");
    assert_string_equal(b.v[1].name, "a%2Ftest_y");
    assert_string_equal(b.v[2].name, "b%2Ftest_z");
    assert_string_equal(b.v[3].name, "top");
    char want[600];
    snprintf(want, sizeof want, "%s/tree/a/test_y", root);
    assert_string_equal(b.v[1].display, want);
    assert_string_equal(b.v[1].path, want);
    /* Executables that are not test binaries are mentioned; other files are not. */
    assert_non_null(strstr(notes, "a/plain: no cbench note"));
    assert_null(strstr(notes, "noexec"));
    assert_null(strstr(notes, "notes.txt"));
    free(notes);
    cb_discover_free(&b);
}

static void test_current_folder_gives_relative_display_names(void **state)
{
    (void)state;
    sh("mkdir -p %s/cwd/sub && cp %s %s/cwd/sub/t", root, MARKED_PROGRAM, root);
    char old[512];
    assert_non_null(getcwd(old, sizeof old));
    assert_int_equal(chdir(path_in("cwd")), 0);
    char dot[] = ".";
    char *ops[] = {dot};
    cb_binaries b;
    char err[256];
    int rc = cb_discover(ops, 1, NULL, &b, err, sizeof err);
    assert_int_equal(chdir(old), 0);
    assert_int_equal(rc, 0);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.v[0].display, "sub/t");
    assert_string_equal(b.v[0].path, "./sub/t");
    assert_string_equal(b.v[0].name, "sub%2Ft");
    cb_discover_free(&b);
}

static void test_explicit_paths_must_be_test_binaries(void **state)
{
    (void)state;
    cb_binaries b;
    char err[256];
    char *plain[] = {(char *)PLAIN_PROGRAM};
    assert_int_equal(cb_discover(plain, 1, NULL, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a cbench test binary"));
    char *missing[] = {path_in("does-not-exist")};
    assert_int_equal(cb_discover(missing, 1, NULL, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "does-not-exist"));
    assert_non_null(strstr(err, "No such file"));
}

static void test_names_are_unique_across_operands(void **state)
{
    (void)state;
    sh("mkdir -p %s/one %s/two && cp %s %s/one/t && cp %s %s/two/t", root, root, MARKED_PROGRAM,
       root, MARKED_PROGRAM, root);
    char *ops[] = {path_in("one"), path_in("two"), path_in("one/t")};
    cb_binaries b;
    char err[256];
    assert_int_equal(cb_discover(ops, 3, NULL, &b, err, sizeof err), 0);
    /* one/t given twice (in its folder, then by name) runs once. */
    assert_int_equal(b.n, 2);
    assert_string_equal(b.v[0].name, "t");
    assert_string_equal(b.v[1].name, "t~2");
    cb_discover_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marked_binary_is_recognised),
        cmocka_unit_test(test_binary_without_the_note_is_not),
        cmocka_unit_test(test_scripts_folders_and_plain_files_are_not),
        cmocka_unit_test(test_note_is_found_through_program_headers_alone),
        cmocka_unit_test(test_other_protocol_version_is_refused),
        cmocka_unit_test(test_folder_walk_finds_sorted_test_binaries_only),
        cmocka_unit_test(test_current_folder_gives_relative_display_names),
        cmocka_unit_test(test_explicit_paths_must_be_test_binaries),
        cmocka_unit_test(test_names_are_unique_across_operands),
    };
    return cmocka_run_group_tests(tests, make_root, remove_root);
}
