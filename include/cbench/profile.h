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

#include <stdint.h>
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

/*
 * Heap profiling. One allocation per `bytes` allocated, on average, is
 * sampled with its stack (exponentially distributed distances, as Go's
 * runtime.MemProfileRate): default 524288; 1 samples every allocation;
 * 0 turns sampling off. Set it before the allocations of interest; other
 * threads pick up a new rate at their next sample. Returns the previous
 * rate. Negative values are taken as 0.
 */
CBENCH_API long cbench_set_mem_profile_rate(long bytes);

/*
 * Mutex profiling, as Go's runtime.SetMutexProfileFraction. libcbench
 * interposes the pthread mutex and rwlock lock and unlock functions; the
 * time threads wait on a contended lock is charged to the stack of the
 * unlock that ended the wait (the end of the critical section that caused
 * it). On average 1 in `rate` such unlocks is recorded, scaled back by
 * `rate`: 1 records all, 0 turns the profile off (the default). Returns
 * the previous rate; a negative rate only reads it. Never fails.
 */
CBENCH_API int cbench_set_mutex_profile_fraction(int rate);

/*
 * Block profiling, as Go's runtime.SetBlockProfileRate, in nanoseconds:
 * time blocked in contended pthread mutex and rwlock acquisitions,
 * pthread_cond_wait and timedwait, sem_wait and timedwait and
 * pthread_join, charged to the waiting stack. A wait of `ns` or longer is
 * always recorded; a shorter one of d ns with probability d/ns, then
 * counted as ns/d waits of ns in all, so totals stay unbiased. 1 records
 * every wait; 0 (the default) or a negative value turns the profile off.
 * Never fails.
 */
CBENCH_API void cbench_set_block_profile_rate(long ns);

/*
 * Writes a named profile to `out`. Names: "heap" (blocks sampled and still
 * live; pprof shows inuse_space by default), "allocs" (the same samples,
 * alloc_space by default), "mutex" and "block" (sample types
 * contentions/count and delay/nanoseconds, pprof shows delay). debug 0
 * writes gzipped protobuf, 1 Go's legacy text form (for heap and allocs
 * followed by a memstats section; for mutex and block Go's "--- mutex:"
 * and "--- contention:" forms, delays given as cycles at 1e9 per second).
 * Errors: EINVAL (NULL name or stream, an unknown name, a bad debug
 * level), ENOMEM, or the stream's errno when writing fails.
 */
CBENCH_API int cbench_write_profile(const char *name, FILE *out, int debug);

/* cbench_write_profile("heap", out, 0). */
CBENCH_API int cbench_write_heap_profile(FILE *out);

/*
 * Memory statistics: exact counters of the malloc family, always on, like
 * Go's runtime.MemStats. libcbench interposes malloc, calloc, realloc,
 * reallocarray, free, posix_memalign, aligned_alloc, memalign, valloc and
 * pvalloc (so C++ new and delete too). Allocations cbench makes for
 * itself are not counted. realloc(p, n) with p and n non-zero counts as
 * one allocation of n bytes and one free; realloc(NULL, n) is a malloc;
 * realloc(p, 0) is a free.
 */
typedef struct cbench_memstats {
    uint64_t mallocs;      /* allocation calls (malloc, calloc, aligned forms, realloc) */
    uint64_t frees;        /* releases of a non-NULL block (free, realloc's old block) */
    uint64_t total_alloc;  /* bytes requested, cumulative */
    uint64_t alloc;        /* live bytes (requested sizes) */
    uint64_t heap_objects; /* live blocks */
    uint64_t peak_alloc;   /* highest `alloc` seen (see cbench_reset_peak_alloc) */
    uint64_t sys;          /* bytes the allocator obtained from the OS */
    uint64_t max_rss;      /* peak resident set size, bytes */
} cbench_memstats;

/*
 * Fills *ms with the process's counters. Exact when the threads that
 * allocate are quiescent; counts of a thread still running may be a few
 * operations old. peak_alloc is exact while one thread allocates at a
 * time; when several allocate at once it is an upper bound (the sum of
 * each thread's own peak), never an underestimate.
 */
CBENCH_API void cbench_read_memstats(cbench_memstats *ms);

/* Starts peak_alloc afresh from the current live bytes. */
CBENCH_API void cbench_reset_peak_alloc(void);

/* The message for the last failed cbench call on this thread ("" if none). */
CBENCH_API const char *cbench_last_error(void);

#ifdef __cplusplus
}
#endif

#endif
