/*
 * The command's output folder and its result files (see outfiles.c).
 */
#ifndef CB_CLI_OUTFILES_H
#define CB_CLI_OUTFILES_H

#include "formats/results.h"

/* Creates dir (mkdir -p) and proves a file can be written there; `what`
 * names it in messages ("output folder"). 0, or -1 after a message on
 * stderr. */
int cb_outfiles_check_folder(const char *dir, const char *what);

/* mkdir -p for the folders of rel under outdir. 0, or -1 with errno. */
int cb_outfiles_make_parents(const char *outdir, const char *rel);

/* results.json, bench.txt, junit.xml (at `junit` when not NULL) and,
 * with benchmarks, benchmarks.json and the trackers' files, in outdir.
 * 0, or -1 after a message on stderr for each file not written. */
int cb_outfiles_write_results(const cb_results *res, const char *outdir, const char *junit);

#endif
