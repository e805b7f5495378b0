/*
 * cbench/profile.h: the embedded profiling API, modelled on Go's runtime/pprof.
 *
 * CPU profiling samples the running stack of every thread in proportion to
 * the CPU time it uses: each thread gets a timer on its own CPU-time clock,
 * and on each expiry (default 100 per CPU-second) the interrupted stack is
 * recorded. Profiles are written as gzipped pprof protobuf, symbolized in
 * the process, so `go tool pprof` reads them with no binary at hand.
 *
 * Functions returning int return 0 on success and -1 on failure, with errno
 * set and a message in cbench_last_error(). None of them aborts.
 */
#ifndef CBENCH_PROFILE_H
#define CBENCH_PROFILE_H

#include <stdio.h>

#ifndef CBENCH_API
#define CBENCH_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Starts CPU profiling of the whole process, to be written to `out` when
 * cbench_stop_cpu_profile() is called. Threads created later are profiled
 * too. The stream is not closed by cbench.
 * Errors: EINVAL (out is NULL), EBUSY (a CPU profile is already running),
 * ENOMEM (no memory for the sample table), or the errno of a failed
 * timer or signal set-up.
 */
CBENCH_API int cbench_start_cpu_profile(FILE *out);

/*
 * Like cbench_start_cpu_profile(), but the profile goes to `path`. It is
 * written to a temporary file beside it and renamed when complete, so a
 * failed write never leaves a truncated file under `path`.
 * Errors: those of cbench_start_cpu_profile(), and those of creating the
 * temporary file (EACCES, ENOENT, ...).
 */
CBENCH_API int cbench_start_cpu_profile_path(const char *path);

/*
 * Stops CPU profiling, writes the profile and flushes the stream.
 * Errors: EINVAL (no CPU profile is running, for example in the child of
 * a fork), EIO or the stream's errno when writing or flushing fails (a
 * full disk, a closed stream). Profiling is stopped in every case.
 */
CBENCH_API int cbench_stop_cpu_profile(void);

/*
 * Sets the sampling rate in samples per CPU-second, for the next start.
 * Default 100; values are clamped to 1..10000; hz <= 0 restores 100.
 */
CBENCH_API void cbench_set_cpu_profile_rate(int hz);

/*
 * Labels: while a label is pushed on a thread, its CPU samples carry it
 * (pprof's -tagfocus, -tagshow). A push with a key already pushed hides
 * the outer value until the pop. Each distinct (key, value) chain is kept
 * for the life of the process, so use bounded sets of values.
 * cbench_label_pop() with nothing pushed does nothing.
 */
CBENCH_API void cbench_label_push(const char *key, const char *value);
CBENCH_API void cbench_label_pop(void);

/* The message for the last failed cbench call on this thread ("" if none). */
CBENCH_API const char *cbench_last_error(void);

#ifdef __cplusplus
}
#endif

#endif
