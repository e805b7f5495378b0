/*
 * A profile's stacks as `cbench top` and the flame graphs see them:
 * frames named by function, and started at the test or benchmark
 * function rather than at `_start`.
 *
 * Frames. Each line of a location is one frame (an inlined call is a
 * frame of its own, as pprof shows it), named by its function; a
 * location without lines is one frame named by its mapping's file
 * ("[libc.so.6]") or "<unknown>". Frames of the same name are one node:
 * the nodes of pprof's `-top` at its default granularity (functions).
 *
 * Where a stack starts. A per-test profile's stacks begin with the
 * process's start-up and cbench's own frames, identical in every sample:
 * `_start`, `__libc_start_main`, `main`, `cbench_main_`, the benchmark
 * runner or cmocka's, then the test. Walking a stack from its root, the
 * *harness prefix* is the longest run of frames that are either start-up
 * frames or harness frames:
 *   - start-up: `_start`, `__libc_start_main`, `__libc_start_main_impl`,
 *     `__libc_start_call_main`, `main`, and a thread's `clone`, `clone3`,
 *     `start_thread`;
 *   - harness: a function named `cbench_*` or `cb_*`; one defined in
 *     cbench's harness sources (`harness/main.c`, `harness/plugin.c`,
 *     `harness/capture.c`, the files of `harness/bench/`, known by the function's
 *     file); cmocka's runner (`_cmocka_run_group_tests`,
 *     `cmocka_run_one_tests`, `cmocka_run_one_test_or_fixture`,
 *     `_run_test`, `_run_tests`); and a frame without symbols in
 *     libcmocka or libcbench.
 * When the prefix holds a harness frame, the stack is shown from the frame
 * just below it, if the prefix ends in one of the harness functions
 * that call a test: `body_wrapper` and the other fixtures' wrappers
 * (`harness/plugin.c`), `run_n` (`harness/bench/run.c`), a parallel
 * benchmark's `worker` (`harness/bench/parallel.c`) and
 * `cbench_run_parallel`. That frame is the test or benchmark function
 * (for a benchmark that runs sub-benchmarks, the parent; for a parallel
 * benchmark, its body). A stack that is all prefix (a sample taken in
 * the harness itself), or whose prefix ends elsewhere (the harness's
 * own work, such as writing the files at a test's end), is left out, as
 * pprof's `-show_from` leaves out samples with no matching frame. A
 * stack with no harness frame (a thread the test started, any program's
 * profile) is shown whole. So on a single-threaded test, `cbench top`
 * gives what `go tool pprof -top -show_from='^test_name$'` gives. The
 * profile file is never changed.
 */
#ifndef CB_CLI_PPROF_STACKS_H
#define CB_CLI_PPROF_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pprof/pprof.h"

typedef struct cb_stacks {
    const cb_pprof *p;
    const char **names; /* node id -> its name */
    size_t nnodes;
    uint32_t *loc_first; /* location -> its first frame in loc_nodes */
    uint32_t *loc_nodes; /* the frames' nodes, location by location, innermost first */
    uint32_t *keep_locs;  /* per sample: locations kept, from the leaf; 0: left out */
    uint32_t *keep_lines; /* per sample: lines kept in the outermost kept location */
    size_t trimmed;       /* samples whose stack starts below its root, or left out */
    cb_arena arena;
} cb_stacks;

/*
 * Names every frame of p and finds where each sample's stack starts
 * (`whole`: at its root, for every sample). 0, or -1 with errno ENOMEM
 * and cbench_last_error().
 */
int cb_stacks_init(cb_stacks *s, const cb_pprof *p, bool whole);
void cb_stacks_free(cb_stacks *s);

/* One frame of a stack. */
typedef struct cb_frame {
    uint32_t node;
    bool outermost; /* the outermost line of its location (not inlined into a frame below) */
} cb_frame;

/* Whether sample i is shown (not all harness). */
bool cb_stacks_kept(const cb_stacks *s, size_t i);

/*
 * The frames of sample i, root first, into *buf (grown as needed,
 * *cap its size; free() it when done). Returns how many, 0 for a sample
 * left out; -1 with errno ENOMEM.
 */
long cb_stacks_frames(const cb_stacks *s, size_t i, cb_frame **buf, size_t *cap);

/* Whether a function or an unsymbolized frame is cbench's or cmocka's,
 * and whether a harness function is one that calls a test (the rule
 * above); for tests. */
bool cb_stacks_is_harness(const char *function, const char *file, const char *mapping_file);
bool cb_stacks_is_invoker(const char *function, const char *file);

#endif
