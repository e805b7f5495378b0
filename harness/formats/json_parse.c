/*
 * A small, strict JSON reader (RFC 8259) that builds a tree of cb_json
 * values. It reads events from test binaries and results.json files, so
 * it must survive anything: it checks every byte against the grammar,
 * never reads past `len`, limits nesting depth, and reports malformed
 * input instead of guessing. Strings come out as valid UTF-8 (see
 * cb_json_parse in json.h for what is replaced).
 */
#include "formats/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    const unsigned char *s;
    size_t n, i;
    int err; /* EINVAL or ENOMEM once failed */
} parser;

static int fail(parser *p, int err)
{
    if (!p->err)
        p->err = err;
    return -1;
}

static void skip_ws(parser *p)
{
    while (p->i < p->n &&
           (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

static bool literal(parser *p, const char *word)
{
    size_t len = strlen(word);
    if (p->n - p->i < len || memcmp(p->s + p->i, word, len) != 0)
        return false;
    p->i += len;
    return true;
}

static int hex4(parser *p, uint32_t *v)
{
    if (p->n - p->i < 4)
        return fail(p, EINVAL);
    *v = 0;
    for (int k = 0; k < 4; k++) {
        unsigned c = p->s[p->i++];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return fail(p, EINVAL);
        *v = *v << 4 | d;
    }
    return 0;
}

/* After "\u": one code point, joining a surrogate pair when one follows. */
static int unicode_escape(parser *p, uint32_t *cp)
{
    uint32_t hi;
    if (hex4(p, &hi) != 0)
        return -1;
    if (hi >= 0xDC00 && hi <= 0xDFFF) {
        *cp = 0xFFFD;
        return 0;
    }
    if (hi < 0xD800 || hi > 0xDBFF) {
        *cp = hi == 0 ? 0xFFFD : hi;
        return 0;
    }
    /* A high surrogate: a low one must follow to make a pair. */
    if (p->n - p->i >= 6 && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u') {
        size_t save = p->i;
        uint32_t lo;
        p->i += 2;
        if (hex4(p, &lo) != 0)
            return -1;
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            *cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
            return 0;
        }
        p->i = save; /* not a pair: the next escape stands on its own */
    }
    *cp = 0xFFFD;
    return 0;
}

static int parse_string(parser *p, char **out)
{
    cb_buf b = {0};
    p->i++; /* the opening quote */
    for (;;) {
        if (p->i >= p->n)
            goto bad;
        unsigned c = p->s[p->i];
        if (c == '"') {
            p->i++;
            break;
        }
        if (c < 0x20)
            goto bad;
        if (c != '\\') {
            uint32_t cp;
            size_t used = cb_utf8_decode(p->s + p->i, p->n - p->i, &cp);
            if (cp == 0xFFFD && used == 1)
                cb_buf_utf8(&b, cp);
            else
                cb_buf_add(&b, p->s + p->i, used);
            p->i += used;
            continue;
        }
        if (++p->i >= p->n)
            goto bad;
        uint32_t cp;
        switch (p->s[p->i++]) {
        case '"': cp = '"'; break;
        case '\\': cp = '\\'; break;
        case '/': cp = '/'; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
            if (unicode_escape(p, &cp) != 0)
                goto bad;
            break;
        default:
            goto bad;
        }
        cb_buf_utf8(&b, cp);
    }
    *out = cb_buf_take(&b);
    return *out ? 0 : fail(p, ENOMEM);
bad:
    cb_buf_free(&b);
    return fail(p, EINVAL);
}

static bool is_digit(parser *p)
{
    return p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9';
}

static int parse_number(parser *p, cb_json *v)
{
    size_t start = p->i;
    bool integral = true;
    if (p->i < p->n && p->s[p->i] == '-')
        p->i++;
    if (!is_digit(p))
        return fail(p, EINVAL);
    if (p->s[p->i] == '0')
        p->i++;
    else
        while (is_digit(p))
            p->i++;
    if (p->i < p->n && p->s[p->i] == '.') {
        integral = false;
        p->i++;
        if (!is_digit(p))
            return fail(p, EINVAL);
        while (is_digit(p))
            p->i++;
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        integral = false;
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
            p->i++;
        if (!is_digit(p))
            return fail(p, EINVAL);
        while (is_digit(p))
            p->i++;
    }
    /* The grammar was checked above; strtod only converts the copy. */
    char tmp[64];
    size_t len = p->i - start;
    char *copy = len < sizeof tmp ? tmp : malloc(len + 1);
    if (!copy)
        return fail(p, ENOMEM);
    memcpy(copy, p->s + start, len);
    copy[len] = '\0';
    v->type = CB_JSON_NUMBER;
    v->number = cb_strtod_c(copy, NULL);
    if (integral) {
        errno = 0;
        long long x = strtoll(copy, NULL, 10);
        if (errno == 0) {
            v->is_int = true;
            v->integer = x;
        }
    }
    if (copy != tmp)
        free(copy);
    return 0;
}

static int parse_value(parser *p, cb_json *v, int depth);

/* Appends a zeroed item to a container (and a key slot for objects). */
static cb_json *push_item(parser *p, cb_json *c, size_t *cap)
{
    if (c->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        cb_json *items = realloc(c->items, ncap * sizeof items[0]);
        if (!items)
            return fail(p, ENOMEM), NULL;
        c->items = items;
        if (c->type == CB_JSON_OBJECT) {
            char **keys = realloc(c->keys, ncap * sizeof keys[0]);
            if (!keys)
                return fail(p, ENOMEM), NULL;
            c->keys = keys;
        }
        *cap = ncap;
    }
    cb_json *item = &c->items[c->n];
    memset(item, 0, sizeof item[0]);
    if (c->type == CB_JSON_OBJECT)
        c->keys[c->n] = NULL;
    c->n++;
    return item;
}

static int parse_container(parser *p, cb_json *v, int depth)
{
    bool object = p->s[p->i] == '{';
    char close = object ? '}' : ']';
    size_t cap = 0;
    v->type = object ? CB_JSON_OBJECT : CB_JSON_ARRAY;
    p->i++;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == close) {
        p->i++;
        return 0;
    }
    for (;;) {
        cb_json *item = push_item(p, v, &cap);
        if (!item)
            return -1;
        skip_ws(p);
        if (object) {
            if (p->i >= p->n || p->s[p->i] != '"')
                return fail(p, EINVAL);
            if (parse_string(p, &v->keys[v->n - 1]) != 0)
                return -1;
            skip_ws(p);
            if (p->i >= p->n || p->s[p->i] != ':')
                return fail(p, EINVAL);
            p->i++;
        }
        if (parse_value(p, item, depth + 1) != 0)
            return -1;
        skip_ws(p);
        if (p->i >= p->n)
            return fail(p, EINVAL);
        if (p->s[p->i] == close) {
            p->i++;
            return 0;
        }
        if (p->s[p->i] != ',')
            return fail(p, EINVAL);
        p->i++;
    }
}

static int parse_value(parser *p, cb_json *v, int depth)
{
    if (depth > CB_JSON_MAX_DEPTH)
        return fail(p, EINVAL);
    skip_ws(p);
    if (p->i >= p->n)
        return fail(p, EINVAL);
    switch (p->s[p->i]) {
    case '{':
    case '[':
        return parse_container(p, v, depth);
    case '"':
        v->type = CB_JSON_STRING;
        return parse_string(p, &v->str);
    case 't':
    case 'f':
        v->type = CB_JSON_BOOL;
        v->boolean = p->s[p->i] == 't';
        return literal(p, v->boolean ? "true" : "false") ? 0 : fail(p, EINVAL);
    case 'n':
        v->type = CB_JSON_NULL;
        return literal(p, "null") ? 0 : fail(p, EINVAL);
    default:
        return parse_number(p, v);
    }
}

int cb_json_parse(const char *text, size_t len, cb_json *out)
{
    parser p = {(const unsigned char *)text, len, 0, 0};
    memset(out, 0, sizeof out[0]);
    if (!text) {
        errno = EINVAL;
        return -1;
    }
    if (parse_value(&p, out, 0) == 0) {
        skip_ws(&p);
        if (p.i == p.n)
            return 0;
        fail(&p, EINVAL);
    }
    cb_json_free(out);
    errno = p.err;
    return -1;
}

void cb_json_free(cb_json *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        cb_json_free(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    memset(v, 0, sizeof v[0]);
}

const cb_json *cb_json_get(const cb_json *obj, const char *key, cb_json_type type)
{
    if (!obj || obj->type != CB_JSON_OBJECT)
        return NULL;
    for (size_t i = obj->n; i-- > 0;) {
        if (obj->keys[i] && strcmp(obj->keys[i], key) == 0)
            return obj->items[i].type == type ? &obj->items[i] : NULL;
    }
    return NULL;
}
