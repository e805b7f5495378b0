/*
 * The JSON reader (see json_read.h): recursive descent over the text,
 * depth-limited so that a hostile file cannot exhaust the stack.
 */
#include "json_read.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct reader {
    const char *p, *end;
} reader;

static void skip_space(reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static bool literal(reader *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return false;
    r->p += n;
    return true;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

static size_t put_utf8(char *out, uint32_t c)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xc0 | c >> 6);
        out[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xe0 | c >> 12);
        out[1] = (char)(0x80 | (c >> 6 & 0x3f));
        out[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | c >> 18);
    out[1] = (char)(0x80 | (c >> 12 & 0x3f));
    out[2] = (char)(0x80 | (c >> 6 & 0x3f));
    out[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

/* At the opening quote; a decoded copy (never longer than the source). */
static char *string(reader *r)
{
    r->p++;
    const char *start = r->p;
    while (r->p < r->end && *r->p != '"')
        r->p += *r->p == '\\' ? 2 : 1;
    if (r->p >= r->end)
        return NULL;
    const char *stop = r->p++;
    char *out = malloc((size_t)(stop - start) + 1), *o = out;
    if (!out)
        return NULL;
    for (const char *s = start; s < stop; s++) {
        if (*s != '\\') {
            *o++ = *s;
            continue;
        }
        s++;
        switch (*s) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            int c = stop - s > 4 ? hex4(s + 1) : -1;
            if (c < 0)
                goto bad;
            s += 4;
            uint32_t cp = (uint32_t)c;
            if (cp >= 0xd800 && cp < 0xdc00 && stop - s > 6 && s[1] == '\\' && s[2] == 'u') {
                int lo = hex4(s + 3);
                if (lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
                    s += 6;
                }
            }
            o += put_utf8(o, cp);
            break;
        }
        default: *o++ = *s; break;
        }
    }
    *o = '\0';
    return out;
bad:
    free(out);
    return NULL;
}

static bool value(reader *r, cb_json *v, int depth);

static bool push(cb_json *v, size_t *cap, char *key)
{
    if (v->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        cb_json *items = realloc(v->items, ncap * sizeof items[0]);
        if (!items)
            return false;
        v->items = items;
        if (v->type == CB_JSON_OBJECT) {
            char **keys = realloc(v->keys, ncap * sizeof keys[0]);
            if (!keys)
                return false;
            v->keys = keys;
        }
        *cap = ncap;
    }
    memset(&v->items[v->n], 0, sizeof v->items[0]);
    if (v->type == CB_JSON_OBJECT)
        v->keys[v->n] = key;
    v->n++;
    return true;
}

static bool container(reader *r, cb_json *v, int depth)
{
    bool object = *r->p == '{';
    char close = object ? '}' : ']';
    size_t cap = 0;
    v->type = object ? CB_JSON_OBJECT : CB_JSON_ARRAY;
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return true;
    }
    for (;;) {
        char *key = NULL;
        skip_space(r);
        if (object) {
            if (r->p >= r->end || *r->p != '"' || !(key = string(r)))
                return false;
            skip_space(r);
            if (r->p >= r->end || *r->p++ != ':') {
                free(key);
                return false;
            }
        }
        if (!push(v, &cap, key)) {
            free(key);
            return false;
        }
        if (!value(r, &v->items[v->n - 1], depth + 1))
            return false;
        skip_space(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == close) {
            r->p++;
            return true;
        }
        return false;
    }
}

static bool value(reader *r, cb_json *v, int depth)
{
    memset(v, 0, sizeof v[0]);
    skip_space(r);
    if (r->p >= r->end || depth > MAX_DEPTH)
        return false;
    switch (*r->p) {
    case '{':
    case '[':
        return container(r, v, depth);
    case '"':
        v->type = CB_JSON_STRING;
        return (v->string = string(r)) != NULL;
    case 't':
        v->type = CB_JSON_BOOL;
        v->boolean = true;
        return literal(r, "true");
    case 'f':
        v->type = CB_JSON_BOOL;
        return literal(r, "false");
    case 'n':
        return literal(r, "null");
    default: {
        char buf[64];
        size_t n = 0;
        while (r->p + n < r->end && n < sizeof buf - 1 && strchr("+-.0123456789eE", r->p[n]))
            n++;
        if (!n)
            return false;
        memcpy(buf, r->p, n);
        buf[n] = '\0';
        char *end;
        v->type = CB_JSON_NUMBER;
        v->number = strtod(buf, &end);
        r->p += n;
        return end == buf + n;
    }
    }
}

static void release(cb_json *v)
{
    for (size_t i = 0; i < v->n; i++) {
        release(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->string);
}

cb_json *cb_json_parse(const char *text, size_t len)
{
    reader r = {text, text + len};
    cb_json *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    bool ok = value(&r, v, 0);
    skip_space(&r);
    if (!ok || r.p != r.end) {
        cb_json_free(v);
        return NULL;
    }
    return v;
}

void cb_json_free(cb_json *v)
{
    if (!v)
        return;
    release(v);
    free(v);
}

const cb_json *cb_json_get(const cb_json *obj, const char *key)
{
    if (!obj || obj->type != CB_JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return &obj->items[i];
    return NULL;
}

const char *cb_json_string(const cb_json *obj, const char *key, const char *fallback)
{
    const cb_json *v = cb_json_get(obj, key);
    return v && v->type == CB_JSON_STRING ? v->string : fallback;
}

double cb_json_number(const cb_json *obj, const char *key, double fallback)
{
    const cb_json *v = cb_json_get(obj, key);
    return v && v->type == CB_JSON_NUMBER ? v->number : fallback;
}
