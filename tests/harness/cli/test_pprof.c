/*
 * The command's pprof module (harness/cli/pprof/): reading what pprof
 * reads and refusing what it refuses, writing profiles that the suite's
 * own decoder (tests/support/profile_reader.c, written apart) reads
 * back, pprof's merge, where stacks start, and the flame graph's
 * geometry and differential colours, all on profiles built here with
 * known values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cbench/profile.h"
#include "profile.pb-c.h"
#include "profile_reader.h"
#include "pprof/flame.h"
#include "pprof/pprof.h"
#include "pprof/stacks.h"

/* ---- profiles built by hand ---- */

typedef struct fn_spec {
    const char *name, *file;
} fn_spec;

typedef struct loc_spec {
    uint64_t id, mapping, address;
    uint64_t funcs[3]; /* function ids, innermost first; 0 ends */
} loc_spec;

typedef struct sample_spec {
    uint64_t locs[8]; /* leaf first; 0 ends */
    int64_t v0, v1;
    const char *label; /* "key=value" or NULL */
} sample_spec;

typedef struct builder {
    const char *strings[256];
    size_t nstrings;
    uint64_t mapping_start; /* the main mapping's address */
    int64_t period;
    bool bad_string_index, wrong_values, zero_function_id, duplicate_location;
} builder;

static int64_t str(builder *b, const char *s)
{
    for (size_t i = 0; i < b->nstrings; i++)
        if (strcmp(b->strings[i], s) == 0)
            return (int64_t)i;
    b->strings[b->nstrings] = s;
    return (int64_t)b->nstrings++;
}

/* A CPU profile (samples/count, cpu/nanoseconds) of fns, locs, samples,
 * packed (not gzipped) into *out. */
static size_t build(builder *b, const fn_spec *fns, size_t nf, const loc_spec *locs, size_t nl,
                    const sample_spec *smp, size_t ns, uint8_t **out)
{
    b->nstrings = 0;
    str(b, "");
    Perftools__Profiles__Profile p;
    perftools__profiles__profile__init(&p);
    Perftools__Profiles__ValueType vt[3], *vtp[2];
    for (int i = 0; i < 3; i++)
        perftools__profiles__value_type__init(&vt[i]);
    vt[0].type = str(b, "samples"), vt[0].unit = str(b, "count");
    vt[1].type = str(b, "cpu"), vt[1].unit = str(b, "nanoseconds");
    vt[2].type = str(b, "cpu"), vt[2].unit = str(b, "nanoseconds");
    vtp[0] = &vt[0], vtp[1] = &vt[1];
    p.n_sample_type = 2, p.sample_type = vtp;
    p.period_type = &vt[2];
    p.period = b->period ? b->period : 10000000;
    Perftools__Profiles__Mapping m, *mp = &m;
    perftools__profiles__mapping__init(&m);
    m.id = 1;
    m.memory_start = b->mapping_start ? b->mapping_start : 0x400000;
    m.memory_limit = m.memory_start + 0x100000;
    m.filename = str(b, "/bin/prog");
    m.build_id = str(b, "abcdef");
    m.has_functions = 1;
    p.n_mapping = 1, p.mapping = &mp;
    Perftools__Profiles__Function f[16], *fp[16];
    for (size_t i = 0; i < nf; i++) {
        perftools__profiles__function__init(&f[i]);
        f[i].id = i + 1;
        f[i].name = f[i].system_name = str(b, fns[i].name);
        f[i].filename = str(b, fns[i].file ? fns[i].file : "");
        fp[i] = &f[i];
    }
    p.n_function = nf, p.function = fp;
    Perftools__Profiles__Location l[16], *lp[16];
    Perftools__Profiles__Line ln[48], *lnp[48];
    for (size_t i = 0; i < nl; i++) {
        perftools__profiles__location__init(&l[i]);
        l[i].id = b->duplicate_location && i == 1 ? locs[0].id : locs[i].id;
        l[i].mapping_id = locs[i].mapping;
        l[i].address = m.memory_start + locs[i].address;
        size_t k = 0;
        for (; k < 3 && locs[i].funcs[k]; k++) {
            perftools__profiles__line__init(&ln[i * 3 + k]);
            ln[i * 3 + k].function_id = b->zero_function_id ? 0 : locs[i].funcs[k];
            ln[i * 3 + k].line = 10 + (int64_t)k;
            lnp[i * 3 + k] = &ln[i * 3 + k];
        }
        l[i].n_line = k;
        l[i].line = &lnp[i * 3];
        lp[i] = &l[i];
    }
    p.n_location = nl, p.location = lp;
    Perftools__Profiles__Sample s[16], *sp[16];
    Perftools__Profiles__Label lab[16], *labp[16];
    int64_t vals[16][2];
    for (size_t i = 0; i < ns; i++) {
        perftools__profiles__sample__init(&s[i]);
        size_t k = 0;
        while (k < 8 && smp[i].locs[k])
            k++;
        s[i].n_location_id = k;
        s[i].location_id = (uint64_t *)smp[i].locs;
        vals[i][0] = smp[i].v0, vals[i][1] = smp[i].v1;
        s[i].n_value = b->wrong_values && i == 0 ? 1 : 2;
        s[i].value = vals[i];
        if (smp[i].label) {
            static char keys[16][32]; /* the string table points at them until packed */
            const char *eq = strchr(smp[i].label, '=');
            snprintf(keys[i], sizeof keys[i], "%.*s", (int)(eq - smp[i].label), smp[i].label);
            perftools__profiles__label__init(&lab[i]);
            lab[i].key = str(b, keys[i]);
            lab[i].str = str(b, eq + 1);
            labp[i] = &lab[i];
            s[i].n_label = 1;
            s[i].label = &labp[i];
        }
        sp[i] = &s[i];
    }
    p.n_sample = ns, p.sample = sp;
    p.duration_nanos = 1000000000;
    p.time_nanos = 1700000000000000000LL;
    if (b->bad_string_index)
        f[0].filename = 999;
    p.n_string_table = b->nstrings;
    p.string_table = (char **)b->strings;
    size_t len = perftools__profiles__profile__get_packed_size(&p);
    *out = malloc(len ? len : 1);
    perftools__profiles__profile__pack(&p, *out);
    return len;
}

/* The test's program: main -> cbench_main_ -> run_n (harness/bench/run.c)
 * -> bench_x -> work -> leaf; leaf inlined into work at location 5. */
static const fn_spec fns[] = {
    {"_start", NULL},
    {"main", "prog.c"},
    {"cbench_main_", "harness/main.c"},
    {"run_n", "/src/cbench/harness/bench/run.c"},
    {"bench_x", "prog.c"},
    {"work", "prog.c"},
    {"leaf", "prog.c"},
    {"__strdup", "string.c"},
    {"add_artifact", "/src/cbench/harness/capture.c"},
};
static const loc_spec locs[] = {
    {1, 1, 0x10, {1}},    {2, 1, 0x20, {2}},    {3, 1, 0x30, {3}}, {4, 1, 0x40, {4}},
    {5, 1, 0x50, {5}},    {6, 1, 0x60, {7, 6}}, {7, 1, 0x70, {8}}, {8, 1, 0x80, {9}},
};
/* Stacks, leaf first. */
static const sample_spec samples[] = {
    {{6, 5, 4, 3, 2, 1}, 3, 30, "phase=a"}, /* leaf (inline) in work, in bench_x */
    {{5, 4, 3, 2, 1}, 2, 20, NULL},         /* bench_x itself */
    {{7, 8, 3, 2, 1}, 1, 10, NULL},         /* the harness's own strdup: left out */
    {{4, 3, 2, 1}, 4, 40, NULL},            /* in the harness: left out */
    {{6, 5}, 5, 50, "phase=b"},             /* no harness frame: whole */
};

static cb_pprof read_built(builder *b, const sample_spec *smp, size_t ns)
{
    uint8_t *raw;
    size_t len = build(b, fns, sizeof fns / sizeof fns[0], locs, sizeof locs / sizeof locs[0], smp,
                       ns, &raw);
    cb_pprof p;
    assert_int_equal(cb_pprof_read_buffer(&p, raw, len, "built"), 0);
    free(raw);
    return p;
}

/* ---- reading ---- */

static void expect_refused(builder *b, const char *why)
{
    uint8_t *raw;
    size_t len = build(b, fns, sizeof fns / sizeof fns[0], locs, sizeof locs / sizeof locs[0],
                       samples, 5, &raw);
    cb_pprof p;
    assert_int_equal(cb_pprof_read_buffer(&p, raw, len, "bad.pb"), -1);
    assert_int_equal(errno, EINVAL);
    if (!strstr(cbench_last_error(), why))
        fail_msg("message \"%s\" lacks \"%s\"", cbench_last_error(), why);
    assert_non_null(strstr(cbench_last_error(), "bad.pb"));
    free(raw);
}

static void test_reading_resolves_ids_and_refuses_what_pprof_refuses(void **state)
{
    (void)state;
    builder b = {0};
    cb_pprof p = read_built(&b, samples, 5);
    assert_int_equal(p.nsamples, 5);
    assert_int_equal(p.nsample_types, 2);
    assert_string_equal(p.sample_types[1].type, "cpu");
    assert_string_equal(p.period_type.unit, "nanoseconds");
    /* Sample 0: location 6 (leaf inlined into work) first. */
    const cb_pprof_location *l = &p.locations[p.samples[0].locs[0]];
    assert_int_equal(l->id, 6);
    assert_int_equal(l->nlines, 2);
    assert_string_equal(p.functions[l->lines[0].function].name, "leaf");
    assert_string_equal(p.functions[l->lines[1].function].name, "work");
    assert_string_equal(p.mappings[l->mapping].file, "/bin/prog");
    assert_int_equal(p.samples[0].values[1], 30);
    assert_string_equal(p.samples[0].labels[0].key, "phase");
    assert_string_equal(p.samples[0].labels[0].str, "a");
    assert_int_equal(cb_pprof_sample_index(&p, NULL), 1);
    assert_int_equal(cb_pprof_sample_index(&p, "samples"), 0);
    assert_int_equal(cb_pprof_sample_index(&p, "1"), 1);
    assert_int_equal(cb_pprof_sample_index(&p, "alloc_space"), -1);
    assert_non_null(strstr(cbench_last_error(), "samples, cpu"));
    cb_pprof_free(&p);

    builder bad = {.bad_string_index = true};
    expect_refused(&bad, "string index 999 out of range");
    builder values = {.wrong_values = true};
    expect_refused(&values, "a sample has 1 values for 2 sample types");
    builder nofunc = {.zero_function_id = true};
    expect_refused(&nofunc, "has a line with no function");
    builder dup = {.duplicate_location = true};
    expect_refused(&dup, "two locations have the id 1");
    sample_spec missing = {{42}, 1, 1, NULL};
    uint8_t *raw;
    size_t len = build(&b, fns, 1, locs, 1, &missing, 1, &raw);
    assert_int_equal(cb_pprof_read_buffer(&p, raw, len, "m"), -1);
    assert_non_null(strstr(cbench_last_error(), "refers to location 42"));
    free(raw);
}

static void test_files_that_are_not_profiles_are_errors(void **state)
{
    (void)state;
    cb_pprof p;
    assert_int_equal(cb_pprof_read(&p, "/nonexistent/cpu.pb.gz"), -1);
    assert_int_equal(errno, ENOENT);
    assert_non_null(strstr(cbench_last_error(), "/nonexistent/cpu.pb.gz"));
    char path[] = "/tmp/cbench-pprof-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cb_pprof_read(&p, path), -1);
    assert_non_null(strstr(cbench_last_error(), "empty"));
    /* Garbage, a gzip header with nothing after it, text. */
    static const unsigned char garbage[] = {0xff, 0xff, 0xff, 0x0f, 0x12};
    static const unsigned char cut[] = {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 3, 0x4b};
    assert_int_equal(cb_pprof_read_buffer(&p, garbage, sizeof garbage, "g"), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(cb_pprof_read_buffer(&p, cut, sizeof cut, "c"), -1);
    assert_non_null(strstr(cbench_last_error(), "decompressing"));
    assert_int_equal(cb_pprof_read_buffer(&p, "hello\n", 6, "t"), -1);
    unlink(path);
}

/* ---- writing ---- */

static char *temp_path(void)
{
    char *path = strdup("/tmp/cbench-pprof-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    return path;
}

static void test_written_profiles_read_back_with_another_decoder(void **state)
{
    (void)state;
    builder b = {0};
    cb_pprof p = read_built(&b, samples, 5);
    char *path = temp_path();
    assert_int_equal(cb_pprof_write(&p, path), 0);
    pb_profile *q = read_profile_file(path);
    assert_non_null(q);
    assert_int_equal(q->n_sample, 5);
    assert_int_equal(total_value(q, 1), 30 + 20 + 10 + 40 + 50);
    assert_int_equal(flat_value(q, 1, "leaf"), 80);
    assert_int_equal(cum_value(q, 1, "work"), 80);
    assert_int_equal(cum_value(q, 1, "bench_x"), 100);
    assert_int_equal(label_value(q, 1, "phase", "b"), 50);
    assert_string_equal(pstr(q, q->sample_type[1]->type), "cpu");
    assert_int_equal(q->period, 10000000);
    free_profile(q);
    /* An unwritable path leaves nothing and says why. */
    assert_int_equal(cb_pprof_write(&p, "/nonexistent/dir/x.pb.gz"), -1);
    assert_non_null(strstr(cbench_last_error(), "/nonexistent/dir/x.pb.gz"));
    cb_pprof_free(&p);
    unlink(path);
    free(path);
}

/* ---- merging ---- */

static void test_merge_adds_up_equal_stacks_as_pprof_does(void **state)
{
    (void)state;
    builder a = {0}, b = {.mapping_start = 0x7f0000}; /* the same binary, elsewhere */
    cb_pprof pa = read_built(&a, samples, 5);
    static const sample_spec more[] = {
        {{6, 5, 4, 3, 2, 1}, 1, 7, "phase=a"}, /* the same stack and label: added */
        {{6, 5, 4, 3, 2, 1}, 1, 9, "phase=b"}, /* another label: its own sample */
        {{5, 4, 3, 2, 1}, 0, 0, NULL},         /* zero: left out */
    };
    cb_pprof pb = read_built(&b, more, 3);
    const cb_pprof *in[] = {&pa, &pb};
    cb_pprof m;
    assert_int_equal(cb_pprof_merge(&m, in, 2, NULL), 0);
    assert_int_equal(m.nsamples, 6);
    assert_int_equal(m.nmappings, 1);   /* same size, offset and build id */
    assert_int_equal(m.nlocations, 8);  /* rebased addresses: the same locations */
    assert_int_equal(m.nfunctions, 9);
    assert_int_equal(m.duration_nanos, 2000000000);
    int64_t sum = 0, a_first = -1;
    for (size_t i = 0; i < m.nsamples; i++) {
        sum += m.samples[i].values[1];
        if (m.samples[i].nlabels && strcmp(m.samples[i].labels[0].str, "a") == 0)
            a_first = m.samples[i].values[1];
    }
    assert_int_equal(sum, 150 + 16);
    assert_int_equal(a_first, 37);
    /* Written and read by the other decoder: still those figures. */
    char *path = temp_path();
    assert_int_equal(cb_pprof_write(&m, path), 0);
    pb_profile *q = read_profile_file(path);
    assert_int_equal(total_value(q, 1), 166);
    assert_int_equal(label_value(q, 1, "phase", "a"), 37);
    free_profile(q);
    unlink(path);
    free(path);
    cb_pprof_free(&m);

    /* Profiles that do not add up. */
    builder c = {.period = 1000000};
    cb_pprof pc = read_built(&c, samples, 1);
    const cb_pprof *in2[] = {&pa, &pc};
    const char *names[] = {"a.pb.gz", "c.pb.gz"};
    assert_int_equal(cb_pprof_merge(&m, in2, 2, names), -1);
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(cbench_last_error(), "cannot add up a.pb.gz and c.pb.gz"));
    assert_non_null(strstr(cbench_last_error(), "periods differ"));
    cb_pprof_free(&pa);
    cb_pprof_free(&pb);
    cb_pprof_free(&pc);
}

/* ---- where stacks start ---- */

static void names_of(const cb_stacks *st, size_t i, char *buf, size_t len)
{
    cb_frame *f = NULL;
    size_t cap = 0;
    long n = cb_stacks_frames(st, i, &f, &cap);
    buf[0] = '\0';
    for (long k = 0; k < n; k++)
        snprintf(buf + strlen(buf), len - strlen(buf), "%s%s%s", k ? " " : "",
                 st->names[f[k].node], f[k].outermost ? "" : "(i)");
    free(f);
}

static void test_stacks_start_where_the_harness_called_the_test(void **state)
{
    (void)state;
    builder b = {0};
    cb_pprof p = read_built(&b, samples, 5);
    cb_stacks st;
    char s[256];
    assert_int_equal(cb_stacks_init(&st, &p, false), 0);
    names_of(&st, 0, s, sizeof s);
    assert_string_equal(s, "bench_x work leaf(i)");
    names_of(&st, 1, s, sizeof s);
    assert_string_equal(s, "bench_x");
    assert_false(cb_stacks_kept(&st, 2)); /* the harness's strdup */
    assert_false(cb_stacks_kept(&st, 3)); /* all harness */
    names_of(&st, 4, s, sizeof s);
    assert_string_equal(s, "bench_x work leaf(i)");
    assert_int_equal(st.trimmed, 4);
    cb_stacks_free(&st);
    assert_int_equal(cb_stacks_init(&st, &p, true), 0);
    names_of(&st, 0, s, sizeof s);
    assert_string_equal(s, "_start main cbench_main_ run_n bench_x work leaf(i)");
    assert_true(cb_stacks_kept(&st, 3));
    cb_stacks_free(&st);
    cb_pprof_free(&p);
    assert_true(cb_stacks_is_harness(NULL, NULL, "/usr/lib/libcmocka.so.0.7.0"));
    assert_true(cb_stacks_is_harness("body_wrapper", "/x/harness/plugin.c", ""));
    assert_false(cb_stacks_is_harness("body_wrapper", "/x/myplugin.c", ""));
    assert_false(cb_stacks_is_harness("run_n", "/x/myharness/bench/run.c", ""));
    assert_true(cb_stacks_is_invoker("run_n", "harness/bench/run.c"));
    assert_false(cb_stacks_is_invoker("add_artifact", "harness/capture.c"));
}

/* ---- flame graphs ---- */

/* data-<attr>="..." of the box named name, as a number. */
static double box_attr(const char *svg, const char *name, const char *attr)
{
    char needle[128];
    snprintf(needle, sizeof needle, "data-n=\"%s\"", name);
    const char *at = strstr(svg, needle);
    if (!at)
        fail_msg("no box %s", name);
    const char *start = at;
    while (start > svg && strncmp(start, "<g ", 3) != 0)
        start--;
    snprintf(needle, sizeof needle, "data-%s=\"", attr);
    const char *v = strstr(start, needle);
    return atof(v + strlen(needle));
}

static const char *box_fill(const char *svg, const char *name, char *buf, size_t len)
{
    char needle[128];
    snprintf(needle, sizeof needle, "data-n=\"%s\"", name);
    const char *f = strstr(strstr(svg, needle), "fill=\"") + 6;
    snprintf(buf, len, "%.*s", (int)strcspn(f, "\""), f);
    return buf;
}

static void test_flame_graph_boxes_are_as_wide_as_their_values(void **state)
{
    (void)state;
    builder b = {0};
    cb_pprof p = read_built(&b, samples, 5);
    cb_buf svg = {0};
    cb_flame_options o = {.title = "t <&>"};
    assert_int_equal(cb_flame_svg(&svg, &p, NULL, &o), 0);
    if (getenv("DUMP_SVG"))
        fputs(svg.p, stderr);
    /* Shown: samples 0, 1 and 4 (30 + 20 + 50 ns); 1180 px in all. */
    assert_non_null(strstr(svg.p, "data-total=\"100\""));
    assert_non_null(strstr(svg.p, ">t &lt;&amp;&gt;</text>"));
    assert_true(fabs(box_attr(svg.p, "all", "w") - 1180) < 0.01);
    assert_true(fabs(box_attr(svg.p, "bench_x", "w") - 1180) < 0.01);
    assert_true(fabs(box_attr(svg.p, "work", "w") - 1180 * 0.8) < 0.01);
    assert_int_equal(box_attr(svg.p, "leaf", "v"), 80);
    assert_int_equal(box_attr(svg.p, "leaf", "d"), 3);
    assert_null(strstr(svg.p, "data-n=\"main\"")); /* started at the benchmark */
    assert_null(strstr(svg.p, "__strdup"));
    assert_non_null(strstr(svg.p, "<title>work: 80ns (80.00%), self 0</title>"));
    /* Nothing is fetched: no link, no source, no url(); the one "http" is
     * the SVG namespace's name. */
    assert_null(strstr(svg.p, "href"));
    assert_null(strstr(svg.p, "src="));
    assert_null(strstr(svg.p, "url("));
    assert_null(strstr(strstr(svg.p, "http") + 4, "http"));
    cb_buf_free(&svg);

    /* Differential: the same total, leaf's own share up from 0.3 to 0.9. */
    static const sample_spec before[] = {
        {{6, 5, 4, 3, 2, 1}, 3, 30, NULL},
        {{5, 4, 3, 2, 1}, 7, 70, NULL},
    };
    static const sample_spec after[] = {
        {{6, 5, 4, 3, 2, 1}, 9, 90, NULL},
        {{5, 4, 3, 2, 1}, 1, 10, NULL},
    };
    builder b1 = {0}, b2 = {0};
    cb_pprof pb = read_built(&b1, before, 2), pa = read_built(&b2, after, 2);
    assert_int_equal(cb_flame_svg(&svg, &pa, &pb, &o), 0);
    char fill[64];
    assert_string_equal(box_fill(svg.p, "leaf", fill, sizeof fill), "rgb(255,0,0)");
    assert_string_equal(box_fill(svg.p, "bench_x", fill, sizeof fill), "rgb(0,0,255)");
    assert_string_equal(box_fill(svg.p, "work", fill, sizeof fill), "rgb(250,250,250)");
    assert_non_null(strstr(svg.p, "data-diff=\"1\""));
    assert_non_null(strstr(svg.p, "base: 30ns (30.00%), self 30ns; self +60.00% of the total"));
    cb_buf_free(&svg);
    /* A longer run is not growth: the base doubled, scaled back. */
    static const sample_spec twice[] = {
        {{6, 5, 4, 3, 2, 1}, 18, 180, NULL},
        {{5, 4, 3, 2, 1}, 2, 20, NULL},
    };
    builder b3 = {0};
    cb_pprof pt = read_built(&b3, twice, 2);
    assert_int_equal(cb_flame_svg(&svg, &pa, &pt, &o), 0);
    assert_string_equal(box_fill(svg.p, "leaf", fill, sizeof fill), "rgb(250,250,250)");
    cb_buf_free(&svg);
    cb_pprof_free(&p);
    cb_pprof_free(&pa);
    cb_pprof_free(&pb);
    cb_pprof_free(&pt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reading_resolves_ids_and_refuses_what_pprof_refuses),
        cmocka_unit_test(test_files_that_are_not_profiles_are_errors),
        cmocka_unit_test(test_written_profiles_read_back_with_another_decoder),
        cmocka_unit_test(test_merge_adds_up_equal_stacks_as_pprof_does),
        cmocka_unit_test(test_stacks_start_where_the_harness_called_the_test),
        cmocka_unit_test(test_flame_graph_boxes_are_as_wide_as_their_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
