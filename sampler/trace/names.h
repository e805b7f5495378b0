/*
 * Interned names: region, task and category names, thread names and
 * argument keys become 16-bit ids, so a record carries two bytes rather
 * than a copy of the string.
 *
 * Names are interned by content, so any string may be passed (a stack
 * buffer reused with other contents gets other ids). The fast path is a
 * cache keyed by the string's address: one hashed slot holding the
 * address and the id, confirmed by comparing the string with the stored
 * copy (a few bytes for a usual name), with no lock and no write. A miss
 * takes the table's spinlock (deferred, unwind.h), finds or adds the
 * content, and fills the slot. The table lives for the process, in
 * memory mapped for it (never the program's heap), and holds up to
 * 65535 names in 1 MiB; past that a new name gets id 0, written as
 * "(cbench: too many names)". Names longer than CB_TRACE_NAME_MAX bytes
 * are cut at a character boundary and marked with "…".
 *
 * Interning is for user context (it may take the lock); reading a name
 * by id is async-signal-safe and lock-free.
 */
#ifndef CB_TRACE_NAMES_H
#define CB_TRACE_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The id of `name` (NULL is ""). User context. */
uint16_t cb_trace_name_id(const char *name);

/* The interned bytes of id (not NUL-terminated: *len bytes), and whether
 * they were cut. Async-signal-safe. */
const char *cb_trace_name(uint16_t id, size_t *len, bool *cut);

/* The child of a fork: clears the lock a vanished thread may hold. */
void cb_trace_names_after_fork(void);

#endif
