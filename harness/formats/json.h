/*
 * Internal helpers of the result files and events: a small JSON reader
 * (a tree of values), UTF-8 decoding, numbers in the C locale, records
 * to and from JSON, and writing a finished buffer to a file atomically.
 *
 * The reader is general (objects, arrays, strings with every escape,
 * numbers, true, false, null) so that events and results.json may gain
 * keys that older readers skip. Nesting is limited to CB_JSON_MAX_DEPTH,
 * so hostile input cannot exhaust the stack.
 */
#ifndef CB_JSON_H
#define CB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/results.h"

#define CB_JSON_MAX_DEPTH 64

typedef enum cb_json_type {
    CB_JSON_NULL,
    CB_JSON_BOOL,
    CB_JSON_NUMBER,
    CB_JSON_STRING,
    CB_JSON_ARRAY,
    CB_JSON_OBJECT
} cb_json_type;

typedef struct cb_json cb_json;
struct cb_json {
    cb_json_type type;
    bool boolean;     /* BOOL */
    double number;    /* NUMBER */
    bool is_int;      /* NUMBER written as an integer that fits int64_t */
    int64_t integer;  /* NUMBER, when is_int */
    char *str;        /* STRING: valid UTF-8, NUL-terminated */
    size_t n;         /* ARRAY, OBJECT: number of items */
    cb_json *items;   /* ARRAY, OBJECT: the values */
    char **keys;      /* OBJECT: keys[i] names items[i] */
};

/*
 * Parses text[0..len) as exactly one JSON value (white space around it
 * allowed). Strings are decoded to UTF-8: invalid UTF-8 in the input, lone
 * surrogate escapes and \u0000 become U+FFFD, so a decoded string is
 * always a valid C string. 0, or -1 with errno EINVAL (malformed) or
 * ENOMEM; on failure *out holds nothing allocated.
 */
int cb_json_parse(const char *text, size_t len, cb_json *out);
void cb_json_free(cb_json *v);

/* The value of the last member named key in obj, when it has the type
 * asked for; NULL otherwise (also when obj is not an object). */
const cb_json *cb_json_get(const cb_json *obj, const char *key, cb_json_type type);

/*
 * Decodes the UTF-8 sequence at s[0..n), n > 0: stores the code point in
 * *cp and returns the bytes it took. Overlong forms, surrogates, values
 * past U+10FFFF and truncated sequences are invalid: *cp = U+FFFD and 1
 * is returned, so the caller resumes at the next byte.
 */
size_t cb_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* Appends code point cp (<= U+10FFFF, not a surrogate) as UTF-8. */
void cb_buf_utf8(cb_buf *b, uint32_t cp);

/* Appends s as text for bench.txt, as Go's testing package rewrites a
 * sub-benchmark name: control characters become Go's escapes ("\\x01"),
 * invalid UTF-8 becomes U+FFFD, and, when `field`, white space becomes
 * '_' so that s stays one field of the line. */
void cb_bench_put_text(cb_buf *b, const char *s, bool field);

/* strtod in the C locale. */
double cb_strtod_c(const char *s, char **end);

/* Appends rec as a JSON object. `full`: every key, with null for absent
 * strings (results.json); otherwise only the keys the protocol needs
 * (events; see cb_event_record). */
void cb_json_record(cb_buf *b, const cb_record *rec, bool full);
/* Fills rec (zeroed first) from a JSON object holding a record's keys.
 * Returns 0, or -1 with errno EINVAL (kind, name or status missing or
 * unknown) or ENOMEM, leaving nothing allocated in rec. */
int cb_json_to_record(const cb_json *obj, cb_record *rec);

/* "test"/"bench", "pass"/"fail"/"skip", and back (-1 when unknown). */
const char *cb_kind_name(cb_kind kind);
const char *cb_status_name(cb_status status);
int cb_kind_parse(const char *s);
int cb_status_parse(const char *s);

/* Writes b's contents to path through a temporary file and rename; `what`
 * names the file in messages ("results.json"). 0, or -1 with errno and
 * cbench_last_error() set; no partial file is ever left at path. A failed
 * buffer (out of memory) is reported without touching the disk. */
int cb_results_write_buf(const cb_buf *b, const char *path, const char *what);

#endif
