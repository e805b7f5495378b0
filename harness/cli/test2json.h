/*
 * The --json reporter: `go test -json`'s event stream, as cmd/test2json
 * writes it (the model is at the top of test2json.c).
 */
#ifndef CB_CLI_TEST2JSON_H
#define CB_CLI_TEST2JSON_H

#include <stdio.h>

#include "formats/results.h"
#include "reporter.h"

void cb_test2json_init(cb_reporter *r, FILE *out, const cb_results *res);

#endif
