/*
 * A results.json read back (harness/formats/results_json.c writes it), as
 * `cbench compare` needs it.
 */
#ifndef CB_CLI_RESULTS_READ_H
#define CB_CLI_RESULTS_READ_H

#include <stddef.h>

#include "formats/results.h"

/*
 * Reads the text of a results.json, text[0..len), into *r (zeroed, or
 * prepared by cb_results_init; records are appended, the header's strings
 * replaced). `name` names the file in messages. 0, or -1 with errno
 * (EINVAL: not a results.json of this version; ENOMEM) and
 * cbench_last_error() set; *r then holds what was read before the
 * failure, for cb_results_free.
 */
int cb_results_read(cb_results *r, const char *text, size_t len, const char *name);

#endif
