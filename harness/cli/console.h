/*
 * The console reporter: what `go test` prints (the model is at the top of
 * console.c).
 */
#ifndef CB_CLI_CONSOLE_H
#define CB_CLI_CONSOLE_H

#include <stdbool.h>
#include <stdio.h>

#include "formats/results.h"
#include "reporter.h"

/* verbose: -v; tty: out is a terminal (a progress line while a benchmark
 * runs); res: goos, goarch and cpu for the benchmark header. */
void cb_console_init(cb_reporter *r, FILE *out, bool verbose, bool tty, const cb_results *res);

#endif
