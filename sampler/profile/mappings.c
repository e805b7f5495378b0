/*
 * The executable mappings of this process, with their build IDs.
 *
 * /proc/self/maps gives the mappings: it lists them in address order, one
 * per line, and only lines with execute permission are kept, since only
 * they hold program counters. The main executable's mapping is then moved
 * to the front, which is where pprof looks for the main binary.
 *
 * The build IDs come from memory, not from the files: dl_iterate_phdr
 * lists every loaded object (the vdso included) with its program headers,
 * the object whose PT_LOAD segments overlap a mapping is the one mapped
 * there, and its PT_NOTE segments, which the loader maps with the code,
 * hold the NT_GNU_BUILD_ID note. So a file deleted or replaced since it
 * was loaded still reports the ID of the code that runs. Mappings that no
 * loaded object covers (JIT code, [vsyscall]) have none.
 */
#include "profile/mappings.h"

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <link.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/defer.h"
#include "base/error.h"
#include "base/fault.h"

void cb_mappings_free(cb_mapping *m, size_t n)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(m[i].file);
    free(m);
}

/*
 * Parses one line of /proc/self/maps:
 *   start-limit perms offset dev inode [path]
 * Returns 1 and fills *m (file still NULL; *path points into `line`) for
 * an executable mapping, 0 for any other line.
 */
static int cb_maps_parse(char *line, cb_mapping *m, const char **path)
{
    char perms[5];
    int end = 0;
    if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %*s %*s%n", &m->start, &m->limit,
               perms, &m->offset, &end) != 4 ||
        end == 0)
        return 0;
    if (strlen(perms) < 3 || perms[2] != 'x' || m->start >= m->limit)
        return 0;
    char *p = line + end;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t len = strcspn(p, "\n");
    p[len] = '\0';
    /* The kernel marks a path whose file was unlinked; the mapping still
     * runs that file's code, so keep its name. */
    static const char deleted[] = " (deleted)";
    if (len >= sizeof deleted - 1 && strcmp(p + len - (sizeof deleted - 1), deleted) == 0)
        p[len - (sizeof deleted - 1)] = '\0';
    *path = p;
    m->build_id[0] = '\0';
    return 1;
}

/* Searches a PT_NOTE segment, in memory, for the GNU build ID. The notes'
 * padding follows the segment's alignment: 8 for the GNU property notes
 * of newer linkers, 4 for everything else. */
static bool cb_note_build_id(const unsigned char *p, size_t size, size_t align, char *out,
                             size_t out_size)
{
    size_t pos = 0;
    while (size - pos >= sizeof(ElfW(Nhdr))) {
        ElfW(Nhdr) nh;
        memcpy(&nh, p + pos, sizeof nh);
        size_t name_at = pos + sizeof nh;
        size_t desc_at = name_at + ((nh.n_namesz + align - 1) & ~(align - 1));
        size_t next = desc_at + ((nh.n_descsz + align - 1) & ~(align - 1));
        if (desc_at > size || nh.n_descsz > size - desc_at || next <= pos)
            return false; /* malformed: stop rather than read past it */
        if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
            memcmp(p + name_at, "GNU", 4) == 0) {
            /* A longer ID than fits would be reported wrong if cut, and a
             * wrong ID is worse than none. */
            if (nh.n_descsz == 0 || nh.n_descsz * 2 >= out_size)
                return false;
            static const char hex[] = "0123456789abcdef";
            for (size_t i = 0; i < nh.n_descsz; i++) {
                out[2 * i] = hex[p[desc_at + i] >> 4];
                out[2 * i + 1] = hex[p[desc_at + i] & 0xf];
            }
            out[2 * nh.n_descsz] = '\0';
            return true;
        }
        if (next >= size)
            break;
        pos = next;
    }
    return false;
}

struct cb_ids {
    cb_mapping *m;
    size_t n;
};

/* dl_iterate_phdr callback: gives this object's build ID to every mapping
 * its PT_LOAD segments overlap. Runs under the loader's lock, so it only
 * reads memory. */
static int cb_ids_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct cb_ids *ids = arg;
    char id[sizeof ids->m->build_id] = "";
    bool read = false;
    for (size_t i = 0; i < ids->n; i++) {
        cb_mapping *m = &ids->m[i];
        bool ours = false;
        for (ElfW(Half) h = 0; h < info->dlpi_phnum && !ours; h++) {
            const ElfW(Phdr) *ph = &info->dlpi_phdr[h];
            uint64_t lo = info->dlpi_addr + ph->p_vaddr;
            ours = ph->p_type == PT_LOAD && ph->p_memsz > 0 && lo < m->limit &&
                   m->start < lo + ph->p_memsz;
        }
        if (!ours)
            continue;
        if (!read) { /* the notes are read once, for the first mapping found */
            read = true;
            for (ElfW(Half) h = 0; h < info->dlpi_phnum; h++) {
                const ElfW(Phdr) *ph = &info->dlpi_phdr[h];
                if (ph->p_type == PT_NOTE &&
                    cb_note_build_id((const unsigned char *)(info->dlpi_addr + ph->p_vaddr),
                                     ph->p_memsz, ph->p_align == 8 ? 8 : 4, id, sizeof id))
                    break;
            }
        }
        memcpy(m->build_id, id, sizeof id);
    }
    return 0;
}

int cb_mappings_read(cb_mapping **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    FILE *f = fopen("/proc/self/maps", "re");
    if (f == NULL)
        return cb_error(errno, "mappings: opening /proc/self/maps: %s", strerror(errno));

    cb_mapping *m = NULL;
    size_t len = 0, cap = 0;
    char *line = NULL;
    size_t line_cap = 0;
    int err = 0;
    while (getline(&line, &line_cap, f) >= 0) {
        cb_mapping e;
        const char *path;
        if (!cb_maps_parse(line, &e, &path))
            continue;
        if (len == cap) {
            size_t ncap = cap ? 2 * cap : 32;
            cb_mapping *nm = cb_fault_realloc(m, ncap * sizeof *m);
            if (nm == NULL) {
                err = ENOMEM;
                break;
            }
            m = nm;
            cap = ncap;
        }
        e.file = cb_fault_strdup(path);
        if (e.file == NULL) {
            err = ENOMEM;
            break;
        }
        m[len++] = e;
    }
    if (err == 0 && ferror(f))
        err = errno ? errno : EIO;
    free(line);
    fclose(f);
    if (err != 0) {
        cb_mappings_free(m, len);
        return cb_error(err, "mappings: reading /proc/self/maps: %s", strerror(err));
    }

    /* The main binary first: the lowest of its executable mappings moves to
     * the front, and the ones before it shift up, so the rest stays in the
     * kernel's address order. Without /proc/self/exe, address order it is. */
    char exe[PATH_MAX];
    ssize_t exe_len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (exe_len > 0) {
        exe[exe_len] = '\0';
        static const char deleted[] = " (deleted)";
        size_t dl = sizeof deleted - 1;
        if ((size_t)exe_len >= dl && strcmp(exe + exe_len - dl, deleted) == 0)
            exe[exe_len - dl] = '\0';
        for (size_t i = 0; i < len; i++) {
            if (strcmp(m[i].file, exe) == 0) {
                cb_mapping main_map = m[i];
                memmove(&m[1], &m[0], i * sizeof *m);
                m[0] = main_map;
                break;
            }
        }
    }

    struct cb_ids ids = {m, len};
    /* Deferred (base/defer.h): dl_iterate_phdr holds the loader's lock, which
     * libunwind, in the CPU profiler's handler, would wait for while it
     * holds its own mutex that another thread's handler may be waiting for. */
    cb_defer_enter();
    dl_iterate_phdr(cb_ids_object, &ids);
    cb_defer_leave((uintptr_t)__builtin_return_address(0));
    *out = m;
    *n = len;
    return 0;
}

long cb_mappings_find(const cb_mapping *m, size_t n, uint64_t addr)
{
    if (n == 0)
        return -1;
    if (m[0].start <= addr && addr < m[0].limit)
        return 0;
    /* Mappings do not overlap, so the one holding addr is the last one
     * that starts at or below it. */
    size_t lo = 1, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 1 && addr < m[lo - 1].limit)
        return (long)(lo - 1);
    return -1;
}
