/*
 * Starting a test binary under valgrind's callgrind for --instructions:
 * the command does it for each binary it runs, and cbench_main does it
 * to itself when run by itself with --instructions. One list of
 * arguments for both, so the two count the same way.
 */
#ifndef CB_VALGRIND_H
#define CB_VALGRIND_H

#include <stdbool.h>
#include <stddef.h>

/* How deep callgrind separates call chains (--separate-callers): the
 * stacks of instructions.pb.gz are whole up to this many callers. */
#define CB_VALGRIND_DEPTH 40

/* What to say when valgrind is missing. */
#define CB_VALGRIND_MISSING                                                                        \
    "--instructions counts instructions under valgrind, which is not installed: install "          \
    "Debian's valgrind package (apt-get install valgrind)"

/* The environment variable naming callgrind's output file (its
 * --callgrind-out-file, with %p), set by whoever starts valgrind; the
 * binary reads its dumps there (harness/bench/counters.c). */
#define CB_VALGRIND_OUT_ENV "CBENCH_CALLGRIND_OUT"

/* The number of arguments cb_valgrind_args puts before the binary. */
#define CB_VALGRIND_NARGS 7

/*
 * valgrind's arguments before the binary's path, in argv[0..CB_VALGRIND_NARGS):
 * the valgrind path, callgrind, collection off at the start, call chains
 * separated to CB_VALGRIND_DEPTH, start-up frames named, quiet, and
 * `--callgrind-out-file=`
 * out_file (with %p for the pid), built in buf. -1 when buf is too small.
 * argv NULL: only checks that buf is large enough.
 */
int cb_valgrind_args(const char *valgrind, const char *out_file, char *buf, size_t buflen,
                     const char **argv);

/* valgrind's path, looked up in PATH, into
 * out; false when it is not there. */
bool cb_valgrind_find(char *out, size_t len);

#endif
