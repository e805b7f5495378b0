/*
 * A symbolizer kept across profile writes.
 *
 * Creating a symbolizer reports every module of the process and loads
 * debug information as addresses need it; repeated for every profile (a
 * harness writes one per test) that costs tens of milliseconds each time.
 * So one symbolizer is kept, with the list of executable mappings it was
 * made for, and the answers it gave, by address. A write that finds the
 * same mappings (start, limit, offset, file, build ID) reuses all of it; a
 * write that finds more (dlopen) reports the new modules to it and keeps
 * the rest; a write that finds one gone or changed (dlclose) starts
 * afresh. (Starting afresh at every dlopen loaded every module's debug
 * information twice in a run: measured, the heap profile of the first
 * test of a binary then cost 90 ms more.)
 *
 * Writers take the cache for the whole of their resolve step, so profile
 * writes are serialized; a spinlock rather than a pthread mutex, since
 * cbench interposes the latter. User context only.
 */
#ifndef CB_PROFILE_SYMCACHE_H
#define CB_PROFILE_SYMCACHE_H

#include <stddef.h>

#include "mappings.h"
#include "symbolize.h"

/* Takes the cache for a write whose mappings are `maps` (read just now).
 * Must be paired with cb_symcache_release. */
void cb_symcache_acquire(const cb_mapping *maps, size_t n);

/* As cb_symbolize, answered from the cache when the address was resolved
 * before under the same mappings. 0 lines when no symbolizer could be
 * made. Strings stay valid until cb_symcache_release. */
int cb_symcache_lookup(uint64_t addr, cb_line *lines, int max, unsigned *flags);

void cb_symcache_release(void);

/* How many symbolizers the cache has made so far (for tests). */
unsigned cb_symcache_generation(void);

#endif
