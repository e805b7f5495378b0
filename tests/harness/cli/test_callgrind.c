/*
 * callgrind's format into a pprof profile (harness/cli/callgrind.c), on
 * files written here by hand in the format callgrind 3.19 writes with
 * --separate-callers: compressed names defined by fn= and by cfn=,
 * relative and repeated positions, a call's inclusive cost skipped,
 * recursion depths dropped from stacks, names as symbolizers give them;
 * and files that are not
 * callgrind's refused with the line, writing nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callgrind.h"
#include "cbench/profile.h"
#include "pprof/pprof.h"

static char dir[] = "/tmp/cbench-callgrind-XXXXXX";
static char in[256], out[256];

static void write_file(const char *text)
{
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    unlink(out);
}

/* The sample whose stack, leaf first, is the names given ("" ends). */
static int64_t value_of(const cb_pprof *p, const char *const *stack)
{
    for (size_t i = 0; i < p->nsamples; i++) {
        const cb_pprof_sample *s = &p->samples[i];
        uint32_t k = 0;
        for (; k < s->nlocs && stack[k][0]; k++) {
            const cb_pprof_location *l = &p->locations[s->locs[k]];
            if (strcmp(p->functions[l->lines[0].function].name, stack[k]))
                break;
        }
        if (k == s->nlocs && !stack[k][0])
            return s->values[0];
    }
    return -1;
}

static const char two_functions[] = "# callgrind format\n"
                                    "version: 1\n"
                                    "creator: callgrind-3.19.0\n"
                                    "pid: 8351\n"
                                    "cmd:  ./prog --bench .\n"
                                    "part: 1\n"
                                    "\n"
                                    "desc: Trigger: Client Request: x\n"
                                    "positions: line\n"
                                    "events: Ir\n"
                                    "summary: 1242\n"
                                    "\n"
                                    "ob=(5) /tmp/prog\n"
                                    "fl=(146) /tmp/prog.c\n"
                                    "fn=(1194) a'body'main\n"
                                    "3 900\n"
                                    "+1 3\n"
                                    "fn=(1198) b'body'main\n"
                                    "4 303\n"
                                    "fn=(1186) main\n"
                                    "6 14\n"
                                    "cfn=(1190) body'main\n"
                                    "calls=1 -1\n"
                                    "* 1228\n"
                                    "fn=(1190)\n"
                                    "5 1\n"
                                    "cfn=(1194)\n"
                                    "calls=1 -2\n"
                                    "* 903\n"
                                    "* 2\n"
                                    "cfn=(1202) rec'2'body'main\n"
                                    "calls=1 -3\n"
                                    "* 19\n"
                                    "fn=(1202)\n"
                                    "-3 19\n"
                                    "\n"
                                    "totals: 1242\n";

static void own_costs_become_stacks(void **state)
{
    (void)state;
    write_file(two_functions);
    assert_int_equal(cb_callgrind_to_pprof(in, out), 0);
    cb_pprof p;
    assert_int_equal(cb_pprof_read(&p, out), 0);
    assert_int_equal(p.nsample_types, 1);
    assert_string_equal(p.sample_types[0].type, "instructions");
    assert_string_equal(p.sample_types[0].unit, "count");
    assert_string_equal(p.mappings[0].file, "./prog");
    assert_int_equal(value_of(&p, (const char *[]){"a", "body", "main", ""}), 903);
    assert_int_equal(value_of(&p, (const char *[]){"b", "body", "main", ""}), 303);
    assert_int_equal(value_of(&p, (const char *[]){"body", "main", ""}), 3);
    assert_int_equal(value_of(&p, (const char *[]){"main", ""}), 14);
    /* the recursion depth "2" is not a frame */
    assert_int_equal(value_of(&p, (const char *[]){"rec", "body", "main", ""}), 19);
    int64_t total = 0;
    for (size_t i = 0; i < p.nsamples; i++)
        total += p.samples[i].values[0];
    assert_int_equal(total, 1242); /* the calls' inclusive costs were not added */
    for (size_t i = 0; i < p.nfunctions; i++)
        if (!strcmp(p.functions[i].name, "a"))
            assert_string_equal(p.functions[i].filename, "/tmp/prog.c");
    cb_pprof_free(&p);
}

static const char *filename_of(const cb_pprof *p, const char *name)
{
    for (size_t i = 0; i < p->nfunctions; i++)
        if (!strcmp(p->functions[i].name, name))
            return p->functions[i].filename;
    return NULL;
}

/* Symbol versions cut, the loader's unnamed entry left out of the root,
 * a callee's file from the cfi= before its cfn=. */
static void names_are_as_symbolizers_give_them(void **state)
{
    (void)state;
    write_file("events: Ir\n"
               "ob=(1) /tmp/prog\n"
               "fl=(1) /tmp/prog.c\n"
               "fn=(1) main'__libc_start_main@@GLIBC_2.34'_start'0x000000000001ab70\n"
               "cfi=(2) /tmp/work.c\n"
               "cfn=(2) work'main'__libc_start_main@@GLIBC_2.34'_start'0x000000000001ab70\n"
               "calls=1 5\n"
               "10 100\n"
               "10 7\n"
               "fn=(2)\n"
               "5 100\n");
    assert_int_equal(cb_callgrind_to_pprof(in, out), 0);
    cb_pprof p;
    assert_int_equal(cb_pprof_read(&p, out), 0);
    assert_int_equal(
        value_of(&p, (const char *[]){"work", "main", "__libc_start_main", "_start", ""}), 100);
    assert_int_equal(value_of(&p, (const char *[]){"main", "__libc_start_main", "_start", ""}), 7);
    assert_string_equal(filename_of(&p, "work"), "/tmp/work.c");
    assert_string_equal(filename_of(&p, "main"), "/tmp/prog.c");
    assert_null(filename_of(&p, "0x000000000001ab70"));
    cb_pprof_free(&p);
}

static void refuse(const char *text, const char *why)
{
    write_file(text);
    assert_int_equal(cb_callgrind_to_pprof(in, out), -1);
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(cbench_last_error(), why));
    assert_int_equal(access(out, F_OK), -1); /* nothing written */
}

static void what_is_not_callgrind_is_refused_with_its_line(void **state)
{
    (void)state;
    refuse("", "empty");
    refuse("events: Ir\nfn=(1) f\n12 abc\n", ":3: a cost is not a number");
    refuse("events: Ir\n5 10\n", ":2: a cost line before any fn=");
    refuse("events: Dr Dw\nfn=(1) f\n", ":1: no Ir among the events");
    refuse("events: Ir\nfn=(x) f\n", ":2: a name's id");
    refuse("{\"not\": \"callgrind\"}\n", ":1: not a line of callgrind's format");
    write_file("events: Ir\n");
    unlink(in);
    assert_int_equal(cb_callgrind_to_pprof(in, out), -1);
    assert_int_equal(errno, ENOENT);
}

static int set_up(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    snprintf(in, sizeof in, "%s/callgrind.out", dir);
    snprintf(out, sizeof out, "%s/instructions.pb.gz", dir);
    return 0;
}

static int tear_down(void **state)
{
    (void)state;
    unlink(in);
    unlink(out);
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(own_costs_become_stacks),
        cmocka_unit_test(names_are_as_symbolizers_give_them),
        cmocka_unit_test(what_is_not_callgrind_is_refused_with_its_line),
    };
    return cmocka_run_group_tests(tests, set_up, tear_down);
}
