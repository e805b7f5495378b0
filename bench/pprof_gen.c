/*
 * Writes a synthetic pprof profile with the shape of a real one, for the
 * benchmark of `cbench top` and `cbench flamegraph` (run_pprof_tools.sh)
 * and for the tests that compare `cbench top` with `go tool pprof -top`
 * on profiles no test program would make (tests/harness/cli/
 * test_top_pprof.sh).
 *
 *   pprof_gen OUT SAMPLES [SEED [FUNCTIONS]]
 *
 * The shape: a call graph of 4000 functions (or FUNCTIONS, at least 20)
 * in a twentieth as many source files, in three mappings (the main
 * binary and two libraries), fifteen locations a function, a fifth of them holding an inlined chain of two or three
 * functions; stacks are random walks from one of a few roots down the
 * call graph, 8 to 64 frames deep, so that they share prefixes as real
 * stacks do; recursion happens. Each sample has the CPU profile's two
 * values (samples/count, cpu/nanoseconds at 100 Hz) and every fourth a
 * label. Deterministic for a seed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile Profile;

static int NFUNCS = 4000, NFILES = 200, NLOCS = 60000;
#define NROOTS 6
#define CALLEES 6

static uint64_t state;

static uint64_t rnd(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static uint32_t below(uint32_t n)
{
    return (uint32_t)(rnd() % n);
}

/* The string table: fixed strings, then function and file names. */
static char **strings;
static size_t nstrings;

static int64_t add_string(const char *s)
{
    strings[nstrings] = strdup(s);
    return (int64_t)nstrings++;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s OUT SAMPLES [SEED [FUNCTIONS]]\n", argv[0]);
        return 2;
    }
    size_t nsamples = strtoull(argv[2], NULL, 10);
    state = argc > 3 ? strtoull(argv[3], NULL, 10) * 2654435761u + 1 : 88172645463325252ULL;
    if (argc > 4) {
        /* Small profiles, for tests that run the command once per allocation. */
        NFUNCS = atoi(argv[4]) < 20 ? 20 : atoi(argv[4]);
        NFILES = NFUNCS / 20;
        NLOCS = NFUNCS * 15;
    }
    strings = calloc(NFUNCS + NFILES + 64, sizeof strings[0]);
    add_string("");
    int64_t s_samples = add_string("samples"), s_count = add_string("count");
    int64_t s_cpu = add_string("cpu"), s_ns = add_string("nanoseconds");
    int64_t s_phase = add_string("phase"), s_ph[3] = {add_string("parse"), add_string("plan"),
                                                      add_string("run")};
    int64_t s_maps[3] = {add_string("/usr/local/bin/server"),
                         add_string("/usr/lib/x86_64-linux-gnu/libc.so.6"),
                         add_string("/usr/lib/x86_64-linux-gnu/libz.so.1")};
    int64_t s_bid = add_string("0123456789abcdef0123456789abcdef01234567");
    int64_t file_ids[NFILES];
    char name[64];
    for (int i = 0; i < NFILES; i++) {
        snprintf(name, sizeof name, "src/module_%03d.c", i);
        file_ids[i] = add_string(name);
    }

    Perftools__Profiles__Function *funcs = calloc(NFUNCS, sizeof funcs[0]);
    Perftools__Profiles__Function **fptr = calloc(NFUNCS, sizeof fptr[0]);
    for (int i = 0; i < NFUNCS; i++) {
        perftools__profiles__function__init(&funcs[i]);
        snprintf(name, sizeof name, i < NROOTS ? "root_%d" : "fn_%04d_%s", i,
                 i % 3 ? "work" : "step");
        funcs[i].id = (uint64_t)i + 1;
        funcs[i].name = funcs[i].system_name = add_string(name);
        funcs[i].filename = file_ids[i % NFILES];
        funcs[i].start_line = 10 + i % 500;
        fptr[i] = &funcs[i];
    }

    Perftools__Profiles__Mapping maps[3], *mptr[3];
    for (int i = 0; i < 3; i++) {
        perftools__profiles__mapping__init(&maps[i]);
        maps[i].id = (uint64_t)i + 1;
        maps[i].memory_start = 0x400000 + (uint64_t)i * 0x10000000;
        maps[i].memory_limit = maps[i].memory_start + 0x8000000;
        maps[i].filename = s_maps[i];
        maps[i].build_id = i == 0 ? s_bid : 0;
        maps[i].has_functions = maps[i].has_filenames = maps[i].has_line_numbers = 1;
        maps[i].has_inline_frames = 1;
        mptr[i] = &maps[i];
    }

    /* Locations: call sites of a function, some with inlined callees. */
    Perftools__Profiles__Location *locs = calloc(NLOCS, sizeof locs[0]);
    Perftools__Profiles__Location **lptr = calloc(NLOCS, sizeof lptr[0]);
    Perftools__Profiles__Line *lines = calloc(NLOCS * 3, sizeof lines[0]);
    Perftools__Profiles__Line **lnptr = calloc(NLOCS * 3, sizeof lnptr[0]);
    uint32_t *loc_func = calloc(NLOCS, sizeof loc_func[0]); /* the outermost line's function */
    for (int i = 0; i < NLOCS; i++) {
        perftools__profiles__location__init(&locs[i]);
        uint32_t f = i < NFUNCS ? (uint32_t)i : below((uint32_t)NFUNCS);
        int nl = below(5) == 0 ? 2 + (int)below(2) : 1;
        for (int k = 0; k < nl; k++) {
            Perftools__Profiles__Line *ln = &lines[i * 3 + k];
            perftools__profiles__line__init(ln);
            /* innermost first: the outermost (last) is f */
            ln->function_id = (k == nl - 1 ? f : below(NFUNCS)) + 1;
            ln->line = 20 + (int64_t)below(400);
            lnptr[i * 3 + k] = ln;
        }
        locs[i].id = (uint64_t)i + 1;
        locs[i].mapping_id = f < (uint32_t)NFUNCS * 8 / 10 ? 1 : f < (uint32_t)NFUNCS * 9 / 10 ? 2 : 3;
        locs[i].address = maps[locs[i].mapping_id - 1].memory_start + (uint64_t)i * 16;
        locs[i].n_line = (size_t)nl;
        locs[i].line = &lnptr[i * 3];
        loc_func[i] = f;
        lptr[i] = &locs[i];
    }
    /* Each function's call sites. */
    uint32_t *sites = calloc(NFUNCS * CALLEES, sizeof sites[0]);
    for (int f = 0; f < NFUNCS; f++)
        for (int k = 0; k < CALLEES; k++)
            sites[f * CALLEES + k] = below(NLOCS);

    Perftools__Profiles__Sample *samples = calloc(nsamples, sizeof samples[0]);
    Perftools__Profiles__Sample **sptr = calloc(nsamples, sizeof sptr[0]);
    Perftools__Profiles__Label *labels = calloc(nsamples, sizeof labels[0]);
    Perftools__Profiles__Label **labptr = calloc(nsamples, sizeof labptr[0]);
    uint64_t *ids = malloc(nsamples * 64 * sizeof ids[0]);
    int64_t *values = malloc(nsamples * 2 * sizeof values[0]);
    for (size_t s = 0; s < nsamples; s++) {
        uint64_t *stack = ids + s * 64;
        int depth = 8 + (int)below(57);
        /* Walk down from a root; the sample's stack is leaf first. */
        uint32_t at = below(NROOTS), frames[64];
        for (int d = 0; d < depth; d++) {
            frames[d] = at; /* a location */
            uint32_t f = loc_func[at];
            at = sites[f * CALLEES + below(d < 4 ? 2 : CALLEES)];
        }
        for (int d = 0; d < depth; d++)
            stack[d] = (uint64_t)frames[depth - 1 - d] + 1;
        perftools__profiles__sample__init(&samples[s]);
        samples[s].n_location_id = (size_t)depth;
        samples[s].location_id = stack;
        int64_t n = 1 + (int64_t)(below(8) == 0 ? below(20) : 0);
        values[s * 2] = n;
        values[s * 2 + 1] = n * 10000000;
        samples[s].n_value = 2;
        samples[s].value = values + s * 2;
        if (s % 4 == 0) {
            perftools__profiles__label__init(&labels[s]);
            labels[s].key = s_phase;
            labels[s].str = s_ph[below(3)];
            labptr[s] = &labels[s];
            samples[s].n_label = 1;
            samples[s].label = &labptr[s];
        }
        sptr[s] = &samples[s];
    }

    Perftools__Profiles__ValueType t0, t1, period;
    perftools__profiles__value_type__init(&t0);
    perftools__profiles__value_type__init(&t1);
    perftools__profiles__value_type__init(&period);
    t0.type = s_samples, t0.unit = s_count;
    t1.type = s_cpu, t1.unit = s_ns;
    period.type = s_cpu, period.unit = s_ns;
    Perftools__Profiles__ValueType *types[2] = {&t0, &t1};

    Profile p;
    perftools__profiles__profile__init(&p);
    p.n_sample_type = 2, p.sample_type = types;
    p.n_sample = nsamples, p.sample = sptr;
    p.n_mapping = 3, p.mapping = mptr;
    p.n_location = NLOCS, p.location = lptr;
    p.n_function = NFUNCS, p.function = fptr;
    p.n_string_table = nstrings, p.string_table = strings;
    p.time_nanos = 1700000000000000000LL;
    p.duration_nanos = (int64_t)nsamples * 10000000;
    p.period_type = &period;
    p.period = 10000000;

    size_t len = perftools__profiles__profile__get_packed_size(&p);
    uint8_t *buf = malloc(len);
    perftools__profiles__profile__pack(&p, buf);
    gzFile out = gzopen(argv[1], "wb6");
    if (!out || gzwrite(out, buf, (unsigned)len) != (int)len || gzclose(out) != Z_OK) {
        fprintf(stderr, "pprof_gen: cannot write %s\n", argv[1]);
        return 1;
    }
    fprintf(stderr, "pprof_gen: %s: %zu samples, %zu bytes before compression\n", argv[1],
            nsamples, len);
    return 0;
}

/* A one-shot generator: what it holds is freed by its exit. Tests built
 * with AddressSanitizer run it too; its leak report would fail them. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}
