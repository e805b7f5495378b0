/*
 * Kept output and failure reasons (see kept.h). The head grows as output
 * comes, up to its size; the tail is allocated whole the first time the
 * head is full, and written round.
 */
#include "kept.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"

#define REASON_MAX 4096

static void add_head(cb_kept *k, const char *text, size_t len)
{
    char *h = cb_fault_realloc(k->head, k->nhead + len + 1);
    if (!h) {
        k->lost = true;
        return;
    }
    k->head = h;
    memcpy(h + k->nhead, text, len);
    k->nhead += len;
}

void cb_kept_add(cb_kept *k, const char *text, size_t len)
{
    if (k->nhead < CB_KEPT_HEAD) {
        size_t n = len < CB_KEPT_HEAD - k->nhead ? len : CB_KEPT_HEAD - k->nhead;
        add_head(k, text, n);
        text += n;
        len -= n;
    }
    if (!len)
        return;
    if (!k->tail && !(k->tail = cb_fault_malloc(CB_KEPT_TAIL))) {
        k->lost = true;
        return;
    }
    k->ntail += len;
    if (len > CB_KEPT_TAIL) {
        text += len - CB_KEPT_TAIL;
        len = CB_KEPT_TAIL;
    }
    while (len) {
        size_t n = CB_KEPT_TAIL - k->tail_pos < len ? CB_KEPT_TAIL - k->tail_pos : len;
        memcpy(k->tail + k->tail_pos, text, n);
        k->tail_pos = (k->tail_pos + n) % CB_KEPT_TAIL;
        text += n;
        len -= n;
    }
}

int cb_kept_text(const cb_kept *k, char **out)
{
    *out = NULL;
    if (k->lost)
        return -1;
    if (!k->nhead && !k->ntail)
        return 0;
    size_t intail = k->ntail < CB_KEPT_TAIL ? (size_t)k->ntail : CB_KEPT_TAIL;
    uint64_t cut = k->ntail - intail;
    char note[64] = "";
    if (cut)
        snprintf(note, sizeof note, "\n[... %llu bytes cut ...]\n", (unsigned long long)cut);
    size_t nnote = strlen(note);
    char *s = cb_fault_malloc(k->nhead + nnote + intail + 1);
    if (!s)
        return -1;
    /* An empty part may have no buffer at all: memcpy takes no NULL,
     * even for no bytes. */
    if (k->nhead)
        memcpy(s, k->head, k->nhead);
    memcpy(s + k->nhead, note, nnote);
    char *p = s + k->nhead + nnote;
    /* The ring holds the last bytes from tail_pos on (once full). */
    size_t start = k->ntail < CB_KEPT_TAIL ? 0 : k->tail_pos;
    if (intail) {
        memcpy(p, k->tail + start, intail - start);
        memcpy(p + intail - start, k->tail, start);
    }
    p[intail] = '\0';
    *out = s;
    return 0;
}

void cb_kept_reset(cb_kept *k)
{
    k->nhead = 0;
    k->tail_pos = 0;
    k->ntail = 0;
    k->lost = false;
}

void cb_kept_free(cb_kept *k)
{
    free(k->head);
    free(k->tail);
    memset(k, 0, sizeof k[0]);
}

/* ---- reasons ---- */

#define ERROR_MARK "[  ERROR   ] --- "
#define LINE_MARK "[   LINE   ] --- "

static bool starts(const char *line, const char *mark)
{
    return strncmp(line, mark, strlen(mark)) == 0;
}

/* cmocka's own lines: "[ RUN      ]", "[  FAILED  ]", "[==========]" ... */
static bool status_line(const char *line, size_t len)
{
    return len >= 12 && line[0] == '[' && line[11] == ']';
}

typedef struct span {
    const char *p;
    size_t len;
} span;

static size_t line_count(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n + 1;
}

/* The text of lines [from, to) from the start of line `from` + skip. */
static int join(const span *lines, size_t from, size_t to, size_t skip, const char *where,
                char **out)
{
    const char *msg = lines[from].p + skip;
    size_t len = (size_t)(lines[to - 1].p + lines[to - 1].len - msg);
    if (len > REASON_MAX)
        len = REASON_MAX;
    return cb_fault_asprintf(out, "%s%.*s", where, (int)len, msg) < 0 ? -1 : 0;
}

static int reason(const span *lines, size_t n, char **out)
{
    size_t at = n; /* the last LINE */
    for (size_t i = n; i-- > 0 && at == n;)
        if (starts(lines[i].p, LINE_MARK))
            at = i;
    if (at < n) {
        /* The ERROR lines before it, and what continues them. */
        size_t first = at;
        for (size_t i = at; i-- > 0;) {
            if (starts(lines[i].p, ERROR_MARK))
                first = i;
            else if (status_line(lines[i].p, lines[i].len))
                break;
        }
        const char *loc = lines[at].p + strlen(LINE_MARK);
        size_t len = lines[at].len - strlen(LINE_MARK);
        if (first == at) /* a location and nothing else */
            return join(lines, at, at + 1, strlen(LINE_MARK), "", out);
        const char *colon = strstr(loc, ": error:");
        if (colon && colon < loc + len)
            len = (size_t)(colon - loc);
        char where[512];
        snprintf(where, sizeof where, "%.*s: ", (int)len, loc);
        return join(lines, first, at, strlen(ERROR_MARK), where, out);
    }
    /* No LINE: the last ERROR line, the ERROR lines just before it, and
     * the lines that continue it up to a status line. */
    for (size_t e = n; e-- > 0;) {
        if (!starts(lines[e].p, ERROR_MARK))
            continue;
        size_t first = e, stop = e + 1;
        while (first > 0 && starts(lines[first - 1].p, ERROR_MARK))
            first--;
        while (stop < n && !status_line(lines[stop].p, lines[stop].len))
            stop++;
        return join(lines, first, stop, strlen(ERROR_MARK), "", out);
    }
    for (size_t i = n; i-- > 0;)
        if (lines[i].len && !status_line(lines[i].p, lines[i].len))
            return join(lines, i, i + 1, 0, "", out);
    return 0;
}

int cb_kept_reason(const char *output, char **out)
{
    *out = NULL;
    if (!output)
        return 0;
    span *lines = cb_fault_malloc(line_count(output) * sizeof lines[0]);
    if (!lines)
        return -1;
    size_t n = 0;
    for (const char *p = output; *p;) {
        size_t len = strcspn(p, "\n");
        lines[n++] = (span){p, len};
        p += len + (p[len] == '\n');
    }
    int rc = reason(lines, n, out);
    free(lines);
    return rc;
}
