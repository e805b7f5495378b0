/*
 * A small JSON reader for the files `cbench compare` reads: the whole
 * document becomes a tree of values. Numbers are doubles; strings are
 * decoded (escapes, \u with surrogate pairs, to UTF-8).
 */
#ifndef CB_CLI_JSON_READ_H
#define CB_CLI_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>

typedef enum cb_json_type {
    CB_JSON_NULL,
    CB_JSON_BOOL,
    CB_JSON_NUMBER,
    CB_JSON_STRING,
    CB_JSON_ARRAY,
    CB_JSON_OBJECT,
} cb_json_type;

typedef struct cb_json {
    cb_json_type type;
    bool boolean;
    double number;
    char *string;             /* STRING */
    size_t n;                 /* ARRAY, OBJECT: items */
    struct cb_json *items;
    char **keys;              /* OBJECT */
} cb_json;

/* The document in text[0..len), or NULL if it is not JSON (or ENOMEM). */
cb_json *cb_json_parse(const char *text, size_t len);
void cb_json_free(cb_json *v);

/* The member `key` of an object, or NULL. */
const cb_json *cb_json_get(const cb_json *obj, const char *key);
/* The member as a string / number, or the fallback. */
const char *cb_json_string(const cb_json *obj, const char *key, const char *fallback);
double cb_json_number(const cb_json *obj, const char *key, double fallback);

#endif
