/*
 * Running one test binary under the protocol (docs/HARNESS.md): its
 * environment, its stream split into output and events, its records
 * completed with what only the command knows (crash, timeout, exit
 * status, output) and added to the results.
 */
#ifndef CB_CLI_RUN_H
#define CB_CLI_RUN_H

#include <stdbool.h>

#include "discover.h"
#include "options.h"
#include "reporter.h"
#include "formats/results.h"

typedef struct cb_run_config {
    const cb_options *o;
    const char *outdir; /* absolute */
    cb_reporter *rep;
    cb_results *results;
} cb_run_config;

typedef enum cb_run_result {
    CB_RUN_PASSED,       /* the binary and everything it ran passed */
    CB_RUN_FAILED,       /* something failed; its records say what */
    CB_RUN_OUT_OF_MEMORY /* something of the run could not be kept: its records are incomplete */
} cb_run_result;

/*
 * Runs b to its end and adds its records to cfg->results. A binary that
 * cannot be started is reported failed like one that crashed; running out
 * of memory anywhere is CB_RUN_OUT_OF_MEMORY, so that no result file is
 * written without a part of the run.
 */
cb_run_result cb_run_binary(const cb_run_config *cfg, const cb_binary *b);

/*
 * The CBENCH_FLAGS value for o: one "--flag=value" per line, --outdir
 * replaced by outdir. Malloc'ed; NULL on ENOMEM.
 */
char *cb_run_flags(const cb_options *o, const char *outdir);

/* "killed by SIGSEGV (Segmentation fault)". */
void cb_run_describe_signal(int signo, char *buf, size_t len);

/*
 * Removes the temporary files ("<file>.tmp.<pid>.<n>", or hidden names
 * holding ".tmp") that a test killed while writing left in its artifact
 * folder <outdir>/<binary>/<safe test name>. Returns how many were
 * removed, or -1 with errno ENOMEM when it could not look everywhere.
 */
int cb_run_remove_temporaries(const char *outdir, const char *binary, const char *test);

#endif
