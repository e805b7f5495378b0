/*
 * The executable mappings of this process, as a profile lists them.
 *
 * Read from /proc/self/maps: only entries with execute permission, with
 * their exact start, limit and file offset, the main binary first and the
 * rest in address order. The GNU build ID of each file is read from the
 * loaded image's PT_NOTE segment (dl_iterate_phdr), so a stripped or
 * since-deleted file still gets one. Used only when a profile is written.
 */
#ifndef CB_PROFILE_MAPPINGS_H
#define CB_PROFILE_MAPPINGS_H

#include <stddef.h>
#include <stdint.h>

typedef struct cb_mapping {
    uint64_t start;     /* first address */
    uint64_t limit;     /* one past the last address */
    uint64_t offset;    /* file offset of `start` */
    char *file;         /* path, or a pseudo name such as "[vdso]" */
    char build_id[65];  /* lowercase hex, "" when the file has none */
} cb_mapping;

/* Fills *out with *n mappings (malloc'ed; free with cb_mappings_free).
 * Returns 0, or -1 with errno and cbench_last_error() set. */
int cb_mappings_read(cb_mapping **out, size_t *n);

/* Index of the mapping holding addr, or -1. The array must be sorted by
 * address after the first entry, as cb_mappings_read leaves it. */
long cb_mappings_find(const cb_mapping *m, size_t n, uint64_t addr);

void cb_mappings_free(cb_mapping *m, size_t n);

#endif
