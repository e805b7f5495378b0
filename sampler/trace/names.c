/*
 * Interned names (model in names.h).
 *
 * One mapping holds everything: the entries (offset, length, cut flag of
 * each id), the bytes, the content table (open addressing, ids by content
 * hash) and the address cache. Entries are published by storing the
 * count after them (release), so a reader that sees an id also sees its
 * bytes.
 */
#include "trace/names.h"
#include "trace/record.h"

#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "base/spinlock.h"

enum {
    MAX_NAMES = 65536,      /* ids 1..65535; 0 is the overflow name */
    ARENA_BYTES = (1 << 20) - 8, /* and 8 spare bytes after it (same()) */
    TABLE_SLOTS = 1 << 17,  /* content table: twice the ids, so probes stay short */
    CACHE_SLOTS = 1 << 12,  /* address cache */
};

typedef struct entry {
    uint32_t offset;
    uint8_t len;
    uint8_t cut;
} entry;

typedef struct names {
    entry entries[MAX_NAMES];
    uint16_t table[TABLE_SLOTS];
    _Atomic uint64_t cache[CACHE_SLOTS]; /* address << 16 | id; 0 empty */
    char arena[ARENA_BYTES + 8];
} names;

static names *_Atomic tab;
static _Atomic uint32_t count = 1; /* ids in use, 0 included */
static uint32_t arena_used;
static cb_spinlock lock = CB_SPINLOCK_INIT;

static const char overflow_name[] = "(cbench: too many names)";

static uint64_t hash_bytes(const char *s, size_t n, bool cut)
{
    uint64_t h = 0xcbf29ce484222325ull ^ (uint64_t)cut;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

static size_t cache_slot(const char *name)
{
    uint64_t a = (uint64_t)(uintptr_t)name;
    return (size_t)(((a >> 3) * 0x9e3779b97f4a7c15ull) >> 52) & (CACHE_SLOTS - 1);
}

/* The bytes a name keeps: at most CB_TRACE_NAME_MAX (record.h), cut
 * before a UTF-8 continuation byte so a character is never split. */
static size_t kept_length(const char *name, bool *cut)
{
    size_t n = strnlen(name, CB_TRACE_NAME_MAX + 1);
    *cut = n > CB_TRACE_NAME_MAX;
    if (!*cut)
        return n;
    n = CB_TRACE_NAME_MAX;
    while (n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80)
        n--;
    return n;
}

/* Whether `name` is what entry e holds (e cut: name starts with it and
 * goes on). */
static inline bool same_bytes(const char *stored, const entry *e, const char *name)
{
    for (size_t i = 0; i < e->len; i++)
        if (stored[i] != name[i])
            return false;
    return e->cut ? name[e->len] != 0 : name[e->len] == 0;
}

/* gcc says ASan with a macro, clang with __has_feature (which gcc 12's
 * preprocessor cannot parse, hence the nesting). */
#if defined(__SANITIZE_ADDRESS__)
#define WORD_COMPARE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WORD_COMPARE 0
#endif
#endif
#ifndef WORD_COMPARE
#define WORD_COMPARE 1
#endif

/* The hot path: a name of up to 7 bytes (most are short) is compared, its
 * terminator included, in one 8-byte load of each side, when the load
 * stays within the name's page (so cannot fault: as glibc's string
 * functions do, it may read past the terminator, which ASan would
 * report, so its builds compare byte by byte). The arena has 8 spare
 * bytes at its end. x86-64 (little-endian) only, as the TSC clock. */
static inline bool same(const names *t, const entry *e, const char *name)
{
    const char *stored = t->arena + e->offset;
    if (WORD_COMPARE && e->len < 8 && !e->cut && ((uintptr_t)name & 4095) <= 4096 - 8) {
        uint64_t a, b;
        memcpy(&a, name, 8);
        memcpy(&b, stored, 8);
        uint64_t mask = (1ull << (8 * e->len)) - 1; /* little-endian: the first len bytes */
        return ((a ^ b) & mask) == 0 && !(a >> (8 * e->len) & 0xff);
    }
    return same_bytes(stored, e, name);
}

static names *table_or_map(void)
{
    names *t = atomic_load_explicit(&tab, memory_order_acquire);
    if (t)
        return t;
    void *p = mmap(NULL, sizeof(names), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    atomic_store_explicit(&tab, (names *)p, memory_order_release);
    return p;
}

/* Finds or adds the content. Lock held. */
static uint16_t intern_locked(names *t, const char *name)
{
    bool cut;
    size_t len = kept_length(name, &cut);
    uint64_t h = hash_bytes(name, len, cut);
    size_t i = (size_t)h & (TABLE_SLOTS - 1);
    for (;; i = (i + 1) & (TABLE_SLOTS - 1)) {
        uint16_t id = t->table[i];
        if (!id)
            break;
        const entry *e = &t->entries[id];
        if (e->len == len && e->cut == cut && memcmp(t->arena + e->offset, name, len) == 0)
            return id;
    }
    uint32_t n = atomic_load_explicit(&count, memory_order_relaxed);
    if (n >= MAX_NAMES || arena_used + len > ARENA_BYTES)
        return 0;
    memcpy(t->arena + arena_used, name, len);
    t->entries[n] = (entry){.offset = arena_used, .len = (uint8_t)len, .cut = cut};
    arena_used += (uint32_t)len;
    t->table[i] = (uint16_t)n;
    atomic_store_explicit(&count, n + 1, memory_order_release);
    return (uint16_t)n;
}

uint16_t cb_trace_name_id(const char *name)
{
    if (!name)
        name = "";
    names *t = atomic_load_explicit(&tab, memory_order_acquire);
    _Atomic uint64_t *slot = NULL;
    if (t) {
        slot = &t->cache[cache_slot(name)];
        uint64_t c = atomic_load_explicit(slot, memory_order_acquire);
        uint16_t id = (uint16_t)c;
        if (c && (uintptr_t)(c >> 16) == (uintptr_t)name && same(t, &t->entries[id], name))
            return id;
    }
    cb_spin_lock_deferring(&lock);
    t = table_or_map();
    uint16_t id = t ? intern_locked(t, name) : 0;
    cb_spin_unlock_deferring(&lock, (uintptr_t)__builtin_return_address(0));
    /* Only names that fit the cache's 48-bit address field are cached
     * (all of user space on x86-64). */
    if (t && id && (uintptr_t)name < (1ull << 48))
        atomic_store_explicit(&t->cache[cache_slot(name)], (uint64_t)(uintptr_t)name << 16 | id,
                              memory_order_release);
    return id;
}

const char *cb_trace_name(uint16_t id, size_t *len, bool *cut)
{
    names *t = atomic_load_explicit(&tab, memory_order_acquire);
    if (!t || id == 0 || id >= atomic_load_explicit(&count, memory_order_acquire)) {
        *len = sizeof overflow_name - 1;
        *cut = false;
        return overflow_name;
    }
    const entry *e = &t->entries[id];
    *len = e->len;
    *cut = e->cut;
    return t->arena + e->offset;
}

/* The child of a fork: a thread of the parent's may have held the lock. */
void cb_trace_names_after_fork(void)
{
    cb_spin_reset(&lock);
}
