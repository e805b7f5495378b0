/*
 * CTest's files, read (see ctest.h).
 *
 * CMake writes one CTestTestfile.cmake per build folder: add_test(NAME
 * COMMAND ARGS...) per test, set_tests_properties(NAMES... PROPERTIES K V
 * ...) after it, and subdirs("x") for each folder below. The reader knows
 * those three commands and CMake's argument syntax (quoted with
 * backslash escapes, bracket [=[...]=], unquoted) and ignores everything
 * else. It finds the top of the build tree (the highest folder above the
 * binary that still has a CTest file) and walks it through subdirs(),
 * at most MAX_FILES files, so a build tree of any shape is read once per
 * binary in a few milliseconds.
 *
 * A test's command is compared with the binary by real path. When several
 * tests run the binary, the first one without extra arguments is taken
 * (cbench runs a binary with none), else the first one.
 */
#include "ctest.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/fault.h"

#define MAX_FILES 4096
#define MAX_ARGS 256

typedef struct reader {
    const char *binary; /* real path */
    cb_ctest_info *out;
    bool exact;     /* the test found runs the binary with no arguments */
    int files;
    bool no_memory;
} reader;

/* ---- CMake's argument syntax ---- */

typedef struct lexer {
    const char *p, *end;
} lexer;

static void skip_space(lexer *L)
{
    while (L->p < L->end) {
        if (*L->p == '#') {
            while (L->p < L->end && *L->p != '\n')
                L->p++;
        } else if (*L->p == ' ' || *L->p == '\t' || *L->p == '\n' || *L->p == '\r') {
            L->p++;
        } else {
            return;
        }
    }
}

/* "[", '='*, "[": the bracket's level (number of '='), or -1. */
static int bracket_open(const char *p, const char *end)
{
    if (p >= end || *p != '[')
        return -1;
    int level = 0;
    for (p++; p < end && *p == '='; p++)
        level++;
    return p < end && *p == '[' ? level : -1;
}

/* One argument into a fresh string; NULL at ')' or the end (or ENOMEM,
 * with r->no_memory). Escapes in quoted arguments are undone but "\;",
 * which stays: it is a list's literal ';'. */
static char *next_arg(lexer *L, reader *r)
{
    skip_space(L);
    if (L->p >= L->end || *L->p == ')')
        return NULL;
    char *s = cb_fault_malloc((size_t)(L->end - L->p) + 1);
    if (!s) {
        r->no_memory = true;
        return NULL;
    }
    size_t n = 0;
    int level = bracket_open(L->p, L->end);
    if (level >= 0) {
        L->p += level + 2;
        if (L->p < L->end && *L->p == '\n')
            L->p++;
        for (; L->p < L->end; L->p++) {
            if (*L->p == ']' && L->p + level + 1 < L->end && L->p[level + 1] == ']' &&
                strspn(L->p + 1, "=") >= (size_t)level) {
                L->p += level + 2;
                break;
            }
            s[n++] = *L->p;
        }
    } else if (*L->p == '"') {
        for (L->p++; L->p < L->end && *L->p != '"'; L->p++) {
            if (*L->p == '\\' && L->p + 1 < L->end) {
                char c = *++L->p;
                if (c == ';')
                    s[n++] = '\\';
                s[n++] = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
            } else {
                s[n++] = *L->p;
            }
        }
        L->p++;
    } else {
        while (L->p < L->end && !strchr(" \t\r\n()#", *L->p))
            s[n++] = *L->p++;
    }
    s[n] = '\0';
    return s;
}

static void free_args(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
}

/* ---- what the commands mean ---- */

/* ENVIRONMENT's value: a CMake list, "\;" a literal ';'. */
static int set_environment(cb_ctest_info *out, const char *list)
{
    for (size_t i = 0; i < out->nenv; i++)
        free(out->env[i]);
    free(out->env);
    out->env = NULL;
    out->nenv = 0;
    size_t cap = 1;
    for (const char *p = list; *p; p++)
        cap += *p == ';';
    if (!(out->env = cb_fault_calloc(cap, sizeof out->env[0])))
        return -1;
    const char *p = list;
    while (*p) {
        char *item = cb_fault_malloc(strlen(p) + 1);
        if (!item)
            return -1;
        size_t n = 0;
        for (; *p && *p != ';'; p++) {
            if (*p == '\\' && p[1] == ';')
                p++;
            item[n++] = *p;
        }
        item[n] = '\0';
        if (*p == ';')
            p++;
        if (n && strchr(item, '='))
            out->env[out->nenv++] = item;
        else
            free(item);
    }
    return 0;
}

static char *join_dir(const char *dir, const char *path)
{
    char *s;
    if (path[0] == '/')
        return cb_fault_strdup(path);
    return cb_fault_asprintf(&s, "%s/%s", dir, path) < 0 ? NULL : s;
}

static void on_add_test(reader *r, const char *dir, char **args, int n)
{
    if (n < 2 || (r->out->found && r->exact))
        return;
    char real[PATH_MAX];
    char *cmd = join_dir(dir, args[1]);
    if (!cmd) {
        r->no_memory = true;
        return;
    }
    bool same = realpath(cmd, real) && strcmp(real, r->binary) == 0;
    free(cmd);
    if (!same)
        return;
    char *name = cb_fault_strdup(args[0]), *cwd = cb_fault_strdup(dir);
    if (!name || !cwd) {
        free(name);
        free(cwd);
        r->no_memory = true;
        return;
    }
    free(r->out->test);
    free(r->out->cwd);
    r->out->test = name;
    r->out->cwd = cwd;
    r->out->found = true;
    r->exact = n == 2;
    if (set_environment(r->out, "") != 0)
        r->no_memory = true;
}

static void on_properties(reader *r, const char *dir, char **args, int n)
{
    if (!r->out->found)
        return;
    int props = 0;
    bool mine = false;
    while (props < n && strcmp(args[props], "PROPERTIES") != 0)
        mine |= strcmp(args[props++], r->out->test) == 0;
    if (!mine)
        return;
    for (int i = props + 1; i + 1 < n; i += 2) {
        if (strcmp(args[i], "WORKING_DIRECTORY") == 0) {
            char *cwd = join_dir(dir, args[i + 1]);
            if (!cwd) {
                r->no_memory = true;
                return;
            }
            free(r->out->cwd);
            r->out->cwd = cwd;
        } else if (strcmp(args[i], "ENVIRONMENT") == 0 &&
                   set_environment(r->out, args[i + 1]) != 0) {
            r->no_memory = true;
            return;
        }
    }
}

static void read_file(reader *r, const char *dir);

/* CMake's command names are case-insensitive. */
static bool is_command(const char *name, size_t len, const char *command)
{
    return len == strlen(command) && strncasecmp(name, command, len) == 0;
}

static void read_text(reader *r, const char *dir, const char *text, size_t len)
{
    lexer L = {text, text + len};
    char *args[MAX_ARGS];
    for (;;) {
        skip_space(&L);
        const char *name = L.p;
        while (L.p < L.end && (*L.p == '_' || ((*L.p | 32) >= 'a' && (*L.p | 32) <= 'z')))
            L.p++;
        size_t nlen = (size_t)(L.p - name);
        skip_space(&L);
        if (!nlen || L.p >= L.end || *L.p != '(')
            return;
        L.p++;
        int n = 0;
        char *a;
        while ((a = next_arg(&L, r)) != NULL) {
            if (n < MAX_ARGS)
                args[n++] = a;
            else
                free(a);
        }
        if (r->no_memory || L.p >= L.end) {
            free_args(args, n);
            return;
        }
        L.p++; /* ')' */
        if (is_command(name, nlen, "add_test"))
            on_add_test(r, dir, args, n);
        else if (is_command(name, nlen, "set_tests_properties"))
            on_properties(r, dir, args, n);
        else if (is_command(name, nlen, "subdirs"))
            for (int i = 0; i < n && !r->no_memory; i++) {
                char *sub = join_dir(dir, args[i]);
                if (sub)
                    read_file(r, sub);
                else
                    r->no_memory = true;
                free(sub);
            }
        free_args(args, n);
    }
}

static void read_file(reader *r, const char *dir)
{
    if (++r->files > MAX_FILES)
        return;
    char *path;
    if (cb_fault_asprintf(&path, "%s/CTestTestfile.cmake", dir) < 0) {
        r->no_memory = true;
        return;
    }
    FILE *f = fopen(path, "re");
    free(path);
    if (!f)
        return;
    char *text = NULL;
    size_t len = 0, cap = 0;
    char buf[8192];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        if (len + got > cap) {
            char *more = cb_fault_realloc(text, cap = (len + got) * 2);
            if (!more) {
                r->no_memory = true;
                break;
            }
            text = more;
        }
        memcpy(text + len, buf, got);
        len += got;
    }
    fclose(f);
    if (!r->no_memory)
        read_text(r, dir, text, len);
    free(text);
}

static bool has_testfile(const char *dir)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/CTestTestfile.cmake", dir);
    return access(path, R_OK) == 0;
}

int cb_ctest_lookup(const char *path, cb_ctest_info *out)
{
    memset(out, 0, sizeof out[0]);
    char real[PATH_MAX], top[PATH_MAX];
    if (!realpath(path, real))
        snprintf(real, sizeof real, "%s", path);
    snprintf(top, sizeof top, "%s", real);
    char *slash = strrchr(top, '/');
    if (slash)
        *(slash == top ? slash + 1 : slash) = '\0';
    if (!(out->cwd = cb_fault_strdup(top)))
        return errno = ENOMEM, -1;
    /* The top of the build tree: up while the parent has a CTest file. */
    bool any = has_testfile(top);
    for (int up = 0; up < 64 && strcmp(top, "/") != 0; up++) {
        char parent[PATH_MAX];
        snprintf(parent, sizeof parent, "%s", top);
        char *s = strrchr(parent, '/');
        *(s == parent ? s + 1 : s) = '\0';
        if (!has_testfile(parent))
            break;
        snprintf(top, sizeof top, "%s", parent);
        any = true;
    }
    if (!any)
        return 0;
    reader r = {.binary = real, .out = out};
    read_file(&r, top);
    if (r.no_memory) {
        cb_ctest_free(out);
        return errno = ENOMEM, -1;
    }
    if (!out->found) {
        /* Not a test of that tree: still its own folder. */
        free(out->test);
        out->test = NULL;
    }
    return 0;
}

void cb_ctest_free(cb_ctest_info *info)
{
    for (size_t i = 0; i < info->nenv; i++)
        free(info->env[i]);
    free(info->env);
    free(info->test);
    free(info->cwd);
    memset(info, 0, sizeof info[0]);
}
