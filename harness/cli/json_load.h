/*
 * JSON text parsed with jansson, as the command's readers need it: the
 * root must be an object or an array, every allocation goes through the
 * fault countdown (sampler/base/fault.h), and a failure is an errno.
 */
#ifndef CB_CLI_JSON_LOAD_H
#define CB_CLI_JSON_LOAD_H

#include <stddef.h>

#include <jansson.h>

/*
 * Parses text[0..len) (never past it) as one JSON object or array, white
 * space around it allowed. Returns the value (json_decref it), or NULL
 * with errno EINVAL (malformed; `why` says what and where when non-NULL)
 * or ENOMEM.
 */
json_t *cb_json_load_buffer(const char *text, size_t len, char *why, size_t whylen);

#endif
