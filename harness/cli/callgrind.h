/*
 * callgrind's output read, as a pprof profile of instructions
 * (--instructions' instructions.pb.gz). The model is at the top of
 * callgrind.c.
 */
#ifndef CB_CLI_CALLGRIND_H
#define CB_CLI_CALLGRIND_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Reads callgrind's file at `in` and writes `out`, a gzipped pprof
 * profile with one sample type, instructions/count: each function's own
 * instructions, on its stack. 0, or -1 with errno and
 * cbench_last_error() naming the file and the line that is wrong.
 */
int cb_callgrind_to_pprof(const char *in, const char *out);

#endif
