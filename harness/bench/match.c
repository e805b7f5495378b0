/*
 * Go's -run/-bench matching (testing/match.go), with POSIX regexes.
 *
 * The pattern is cut once, when compiled, into alternatives of levels,
 * each level one compiled regex. Cutting follows Go's splitRegexp: a
 * backslash protects the next byte, brackets are counted (an unmatched ']'
 * is literal), parentheses outside brackets are counted, and only a '/' or
 * '|' at depth zero cuts. Matching copies the name once and walks its
 * levels in place.
 */
#include "bench/match.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/own.h"

typedef struct level {
    bool any; /* empty element: matches every name */
    regex_t re;
} level;

typedef struct alternative {
    level *levels;
    size_t n;
} alternative;

struct cb_match {
    alternative *alts;
    size_t nalts;
};

/* Allocations here are the harness's own: a benchmark's allocs/op must
 * not see them. */
static void *internal_calloc(size_t n, size_t size)
{
    cb_own_begin();
    void *p = calloc(n, size);
    cb_own_end();
    return p;
}

static void internal_free(void *p)
{
    cb_own_begin();
    free(p);
    cb_own_end();
}

static int compile_level(level *l, const char *text, size_t len, char *err, size_t errlen)
{
    if (len == 0) {
        l->any = true;
        return 0;
    }
    char *src = internal_calloc(1, len + 1);
    if (!src) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(src, text, len);
    cb_own_begin();
    int rc = regcomp(&l->re, src, REG_EXTENDED | REG_NOSUB);
    cb_own_end();
    if (rc != 0) {
        char why[128];
        regerror(rc, &l->re, why, sizeof why);
        snprintf(err, errlen, "bad pattern element \"%s\": %s", src, why);
    }
    internal_free(src);
    return rc == 0 ? 0 : -1;
}

/* Where the element starting at s ends: the offset of the cutting '/' or
 * '|', or of the terminating NUL. */
static size_t element_end(const char *s)
{
    int brackets = 0, parens = 0;
    size_t i = 0;
    for (; s[i]; i++) {
        switch (s[i]) {
        case '[':
            brackets++;
            break;
        case ']':
            if (--brackets < 0)
                brackets = 0;
            break;
        case '(':
            parens += brackets == 0;
            break;
        case ')':
            parens -= brackets == 0;
            break;
        case '\\':
            if (s[i + 1])
                i++;
            break;
        case '/':
        case '|':
            if (brackets == 0 && parens == 0)
                return i;
            break;
        }
    }
    return i;
}

/* Grows alternative a by one level. */
static level *add_level(alternative *a)
{
    level *grown = internal_calloc(a->n + 1, sizeof *grown);
    if (!grown)
        return NULL;
    if (a->n)
        memcpy(grown, a->levels, a->n * sizeof *grown);
    internal_free(a->levels);
    a->levels = grown;
    return &a->levels[a->n++];
}

static alternative *add_alternative(cb_match *m)
{
    alternative *grown = internal_calloc(m->nalts + 1, sizeof *grown);
    if (!grown)
        return NULL;
    if (m->nalts)
        memcpy(grown, m->alts, m->nalts * sizeof *grown);
    internal_free(m->alts);
    m->alts = grown;
    return &m->alts[m->nalts++];
}

cb_match *cb_match_new(const char *pattern, char *err, size_t len)
{
    cb_match *m = internal_calloc(1, sizeof *m);
    alternative *a = m ? add_alternative(m) : NULL;
    if (!a) {
        snprintf(err, len, "out of memory");
        cb_match_free(m);
        return NULL;
    }
    const char *s = pattern ? pattern : "";
    for (;;) {
        size_t end = element_end(s);
        level *l = add_level(a);
        if (!l) {
            snprintf(err, len, "out of memory");
            cb_match_free(m);
            return NULL;
        }
        if (compile_level(l, s, end, err, len) < 0) {
            l->any = true; /* nothing compiled: nothing to free */
            cb_match_free(m);
            return NULL;
        }
        if (!s[end])
            return m;
        if (s[end] == '|' && !(a = add_alternative(m))) {
            snprintf(err, len, "out of memory");
            cb_match_free(m);
            return NULL;
        }
        s += end + 1;
    }
}

static bool level_matches(const level *l, const char *text)
{
    if (l->any)
        return true;
    cb_own_begin(); /* regexec may allocate */
    bool ok = regexec(&l->re, text, 0, NULL, 0) == 0;
    cb_own_end();
    return ok;
}

/* Go's simpleMatch.matches over the levels of `name`, which is modified
 * in place ('/' become NULs while a level is tested, then are put back). */
static bool alternative_matches(const alternative *a, char *name, bool *partial)
{
    size_t nlevels = 0;
    char *p = name;
    for (;;) {
        char *slash = strchr(p, '/');
        if (nlevels < a->n) {
            if (slash)
                *slash = '\0';
            bool ok = level_matches(&a->levels[nlevels], p);
            if (slash)
                *slash = '/';
            if (!ok)
                return false;
        }
        nlevels++;
        if (!slash)
            break;
        p = slash + 1;
    }
    *partial = nlevels < a->n;
    return true;
}

bool cb_match_name(const cb_match *m, const char *name, bool *partial)
{
    bool part = false, ok = false;
    char small[256];
    size_t n = strlen(name);
    char *copy = n < sizeof small ? small : internal_calloc(1, n + 1);
    if (!copy)
        return false;
    memcpy(copy, name, n + 1);
    for (size_t i = 0; i < m->nalts && !ok; i++)
        ok = alternative_matches(&m->alts[i], copy, &part);
    if (copy != small)
        internal_free(copy);
    if (partial)
        *partial = ok && part;
    return ok;
}

void cb_match_free(cb_match *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nalts; i++) {
        for (size_t j = 0; j < m->alts[i].n; j++) {
            if (!m->alts[i].levels[j].any)
                regfree(&m->alts[i].levels[j].re);
        }
        internal_free(m->alts[i].levels);
    }
    internal_free(m->alts);
    internal_free(m);
}
