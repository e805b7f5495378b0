/*
 * A test's output, kept for its failure report: all of it up to 1 MiB;
 * past that, its first and its last 512 KiB, with a note of how much
 * was cut between them. The end is where a failing test says why (a
 * failed assertion is the last thing cmocka prints), so a test that
 * prints megabytes before failing still has its reason in the files.
 */
#ifndef CB_CLI_KEPT_H
#define CB_CLI_KEPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CB_KEPT_HEAD ((size_t)512 << 10)
#define CB_KEPT_TAIL ((size_t)512 << 10)

typedef struct cb_kept {
    char *head; /* the first CB_KEPT_HEAD bytes */
    size_t nhead;
    char *tail; /* a ring of the last CB_KEPT_TAIL bytes after the head */
    size_t tail_pos;
    uint64_t ntail; /* bytes that went to the ring (those before the last CB_KEPT_TAIL were cut) */
    bool lost;      /* out of memory: part of the output could not be kept */
} cb_kept;

/* Zero-initialise a cb_kept to begin. */
void cb_kept_add(cb_kept *k, const char *text, size_t len);

/* Everything kept, in order, as one string with "[... N bytes cut ...]"
 * where output was cut; NULL in *out when nothing was kept. 0, or -1
 * when out of memory (now or before). */
int cb_kept_text(const cb_kept *k, char **out);

/* Forgets the text (keeping the memory for the next test). */
void cb_kept_reset(cb_kept *k);
void cb_kept_free(cb_kept *k);

/*
 * Why a test failed, read from its output, when its record says
 * nothing: cmocka's failure message and where it failed, from its last
 * "[  ERROR   ] --- " lines (with the lines that continue them) and the
 * "[   LINE   ] --- file:line: error: ..." line that follows them, as
 * "file:line: message". Without them, the output's last line that is
 * not one of cmocka's status lines. NULL in *out when the output says
 * nothing; at most 4 KiB. 0, or -1 when out of memory.
 */
int cb_kept_reason(const char *output, char **out);

#endif
