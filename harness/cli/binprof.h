/*
 * Per-binary profiles: after a binary has run, each kind of profile its
 * tests and benchmarks left (cpu, heap, allocs, mutex, block) is added
 * up into <outdir>/<binary>/<kind>.pb.gz, as `go test` writes one
 * profile per package. A suite of tests too short for a CPU sample each
 * still adds up to a profile worth reading.
 */
#ifndef CB_CLI_BINPROF_H
#define CB_CLI_BINPROF_H

#include <stddef.h>
#include <stdio.h>

#include "formats/results.h"

/* The kinds added up, in the order written. */
extern const char *const cb_binprof_kinds[];
extern const size_t cb_binprof_nkinds;

/*
 * Writes the sums for binary `binary` from records [first, r->n) of r,
 * whose artifact paths are relative to outdir. A kind no record has is
 * not written (and a file of it from an earlier run is left as it was).
 * Problems (a profile that cannot be read, profiles that cannot be added
 * up, a file that cannot be written) are printed on `err` and that kind
 * is not written. 0, or -1 when any kind failed.
 */
int cb_binprof_write(const char *outdir, const cb_results *r, size_t first, const char *binary,
                     FILE *err);

#endif
