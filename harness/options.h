/*
 * The flags shared by the `cbench` command and by test binaries built with
 * cbench (cbench_main's argv, or CBENCH_FLAGS for cbench_run_group_tests).
 * One parser serves both, so a flag means the same thing in either place.
 * Flags are GNU-style: "--flag value" or "--flag=value"; "-v" and "-h".
 * Regexes are POSIX extended (regcomp), matched unanchored, as Go's
 * -run/-bench are; each '/'-separated element of a pattern matches the
 * same level of a sub-benchmark name, as in Go.
 */
#ifndef CB_OPTIONS_H
#define CB_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CB_MAX_CPUS 16
#define CB_MAX_CPU_HZ 10000 /* the CPU profiler's highest rate */
/* --tracering: the flight recorder's default and smallest ring. */
#define CB_OPTIONS_TRACERING (4L << 20)
#define CB_OPTIONS_TRACERING_MIN (256L << 10)
/* --instructions with a benchtime that is a duration: this many
 * iterations instead (instruction counts need a fixed count; docs/INSTRUCTIONS.md). */
#define CB_OPTIONS_INSTRUCTIONS_N 1000

typedef struct cb_options {
    const char *run;          /* --run REGEX: tests (and benchmarks) to run; NULL = all */
    const char *bench;        /* --bench REGEX: benchmarks to run; NULL = none */
    double benchtime_s;       /* --benchtime 1s|500ms|2m: target duration (default 1) */
    int64_t benchtime_n;      /* --benchtime 500x: exact iterations; 0 = use benchtime_s */
    int count;                /* --count N: repeat each test and benchmark (default 1) */
    int cpus[CB_MAX_CPUS];    /* --cpu 1,2,4: parallelism values (default: online CPUs) */
    int ncpus;
    bool benchmem;            /* --benchmem: B/op and allocs/op for every benchmark */
    bool cpuprofile;          /* --cpuprofile: cpu.pb.gz per test and benchmark */
    int cpuprofilerate;       /* --cpuprofilerate HZ: CPU samples a second; 0 = cbench's 100 */
    bool memprofile;          /* --memprofile: heap.pb.gz and allocs.pb.gz per test */
    long memprofilerate;      /* --memprofilerate N; -1 = leave cbench's default */
    bool mutexprofile;        /* --mutexprofile: mutex.pb.gz per test and benchmark */
    int mutexprofilefraction; /* --mutexprofilefraction N: 1 in N contentions (default 1, Go's) */
    bool blockprofile;        /* --blockprofile: block.pb.gz per test and benchmark */
    long blockprofilerate;    /* --blockprofilerate NS: one sample per NS blocked (default 1) */
    bool trace;               /* --trace: trace.json per test and benchmark */
    bool trace_on_failure;    /* --trace-on-failure: trace.json only for those that fail */
    long tracering;           /* --tracering SIZE: the flight recorder's bytes (default 4 MiB) */
    bool instructions;        /* --instructions: instructions/op under valgrind's callgrind */
    const char *perfcounters; /* --perfcounters LIST: <counter>/op through perf_event_open */
    const char *outdir;       /* --outdir DIR (default "cbench-out") */
    bool json;                /* --json: events as JSON lines on stdout */
    const char *junit;        /* --junit FILE (command: default <outdir>/junit.xml) */
    double timeout_s;         /* --timeout D: per binary (default 600 s; 0 = none) */
    bool list;                /* --list: print the names of tests and benchmarks */
    bool verbose;             /* -v */
    bool help;                /* -h, --help */
    bool version;             /* --version (the command) */
    bool report;              /* --report: <outdir>/index.html, flame graphs (command only) */
    const char *baseline;     /* --baseline OLD: the report compares with it (implies --report) */
    int shard_index;          /* --shard K/N: run shard K (1-based) of N; 0 = not sharded */
    int shard_total;
} cb_options;

/* Fills *o with the defaults above. */
void cb_options_init(cb_options *o);

/*
 * Parses argv[first..argc). Flags and operands may be mixed; "--" ends the
 * flags. Operands (PATHs) are moved, in order, to the front of
 * argv[first..) and their number is stored in *noperands (NULL: operands
 * are an error). Returns 0, or -1 with a one-line message in err (the flag
 * and what is wrong with its value). Regexes are compiled here to check
 * them. Strings in *o point into argv.
 */
int cb_options_parse(cb_options *o, int argc, char **argv, int first, int *noperands,
                     char *err, size_t errlen);

/*
 * Splits a CBENCH_FLAGS value into a NULL-terminated argv in *argv_out
 * (argv_out[0] = "cbench"), allocated in one block for free(). A line
 * "--flag=value" is one word, its value verbatim to the line's end (the
 * form the command writes); any other text is split as a shell would
 * (white space, quotes, backslashes), so "--outdir x" is two words.
 * -1 with errno ENOMEM, or EINVAL for an unclosed quote.
 */
int cb_options_split(const char *flags, char ***argv_out, int *argc_out);

/* Whether arg is one of the flags ("--cpuprofile", "-bench=x"). */
bool cb_options_is_flag(const char *arg);

/* Writes the usage text for the flags to `out`. */
void cb_options_usage(void *out_file, const char *prog, bool command);

#endif
