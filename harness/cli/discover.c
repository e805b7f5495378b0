/*
 * Test binary discovery: the ELF note check, and the folder walk.
 *
 * The note is looked for in SHT_NOTE sections first, then in PT_NOTE
 * segments (a binary whose section headers were stripped still has its
 * program headers). libelf reads only the headers and the note data;
 * nothing is executed, so a folder full of unknown programs is safe to
 * search.
 *
 * The walk records the (device, inode) of every folder and file it has
 * entered, so a symlink loop ends and a binary reached twice runs once.
 */
#include "discover.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fault.h"
#include "formats/safename.h"

static const char note_owner[] = "cbench"; /* with its NUL: n_namesz is 7 */
#define NOTE_TYPE 1
static const char gnu_owner[] = "GNU";
#define GNU_BUILD_ID_TYPE 3 /* NT_GNU_BUILD_ID */

/* A note to look for: owner (with its NUL) and type; the descriptor
 * found. libelf's data stays valid until elf_end. */
typedef struct note_query {
    const char *owner;
    size_t ownersz;
    uint32_t type;
    const unsigned char *desc;
    size_t desclen;
} note_query;

/* Looks for q's note in one block of notes. */
static bool scan_notes(Elf_Data *data, note_query *q)
{
    size_t off = 0, name_off, desc_off;
    GElf_Nhdr nh;
    while (off < data->d_size) {
        size_t next = gelf_getnote(data, off, &nh, &name_off, &desc_off);
        if (next == 0)
            break;
        const unsigned char *base = data->d_buf;
        if (nh.n_namesz == q->ownersz && nh.n_type == q->type &&
            memcmp(base + name_off, q->owner, q->ownersz) == 0) {
            q->desc = base + desc_off;
            q->desclen = nh.n_descsz;
            return true;
        }
        off = next;
    }
    return false;
}

static bool find_note(Elf *e, note_query *q)
{
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(e, scn)) != NULL) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
            continue;
        Elf_Data *data = NULL;
        while ((data = elf_getdata(scn, data)) != NULL)
            if (scan_notes(data, q))
                return true;
    }
    size_t phnum;
    if (elf_getphdrnum(e, &phnum) != 0)
        return false;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_NOTE)
            continue;
        Elf_Data *data = elf_getdata_rawchunk(e, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR);
        if (data && scan_notes(data, q))
            return true;
    }
    return false;
}

/* The cbench note's protocol version; 0 when there is none, UINT32_MAX
 * for a version 0. */
static uint32_t protocol_version(Elf *e, bool big_endian)
{
    note_query q = {.owner = note_owner, .ownersz = sizeof note_owner, .type = NOTE_TYPE};
    if (!find_note(e, &q) || q.desclen < 4)
        return 0;
    const unsigned char *d = q.desc;
    uint32_t v = big_endian
                     ? (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3]
                     : (uint32_t)d[3] << 24 | (uint32_t)d[2] << 16 | (uint32_t)d[1] << 8 | d[0];
    return v ? v : UINT32_MAX;
}

void cb_discover_build_id(const char *path, char *out, size_t len)
{
    if (len)
        out[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    elf_version(EV_CURRENT);
    Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    note_query q = {.owner = gnu_owner, .ownersz = sizeof gnu_owner, .type = GNU_BUILD_ID_TYPE};
    if (e && elf_kind(e) == ELF_K_ELF && find_note(e, &q) && 2 * q.desclen < len)
        for (size_t i = 0; i < q.desclen; i++)
            snprintf(out + 2 * i, 3, "%02x", q.desc[i]);
    if (e)
        elf_end(e);
    close(fd);
}

int cb_discover_check(const char *path, char *why, size_t whylen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "not a regular file");
        return 0;
    }
    if (!(st.st_mode & 0111)) {
        snprintf(why, whylen, "not executable");
        return 0;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    elf_version(EV_CURRENT);
    Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    int rc = 0;
    if (!e || elf_kind(e) != ELF_K_ELF) {
        snprintf(why, whylen, "not an ELF file");
    } else {
        size_t identlen;
        const char *ident = elf_getident(e, &identlen);
        bool big = ident && identlen > EI_DATA && ident[EI_DATA] == ELFDATA2MSB;
        uint32_t version = protocol_version(e, big);
        if (version == 0)
            snprintf(why, whylen,
                     "no cbench note: not built with cbench_main or cbench_run_group_tests");
        else if (version != CB_PROTOCOL_VERSION)
            snprintf(why, whylen, "speaks cbench protocol %u; this cbench speaks %d",
                     version == UINT32_MAX ? 0 : version, CB_PROTOCOL_VERSION);
        else
            rc = 1;
    }
    if (e)
        elf_end(e);
    close(fd);
    return rc;
}

/* ---- the walk ---- */

typedef struct walk {
    struct {
        dev_t dev;
        ino_t ino;
    } * seen;
    size_t nseen, capseen;
    cb_binaries found; /* of the current operand, with relative paths in `name` */
    FILE *notes;
} walk;

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = cb_fault_realloc(*v, ncap * size);
    if (!p)
        return -1;
    *v = p;
    *cap = ncap;
    return 0;
}

/* 1 when (dev, ino) was seen before; otherwise records it. */
static int seen_before(walk *w, const struct stat *st)
{
    for (size_t i = 0; i < w->nseen; i++)
        if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
            return 1;
    if (grow((void **)&w->seen, &w->capseen, w->nseen, sizeof w->seen[0]) != 0)
        return -1;
    w->seen[w->nseen].dev = st->st_dev;
    w->seen[w->nseen].ino = st->st_ino;
    w->nseen++;
    return 0;
}

static int add_binary(cb_binaries *b, const char *path, const char *display, const char *rel)
{
    if (grow((void **)&b->v, &b->cap, b->n, sizeof b->v[0]) != 0)
        return -1;
    cb_binary *x = &b->v[b->n];
    x->path = cb_fault_strdup(path);
    x->display = cb_fault_strdup(display);
    x->name = cb_fault_strdup(rel);
    if (!x->path || !x->display || !x->name) {
        free(x->path);
        free(x->display);
        free(x->name);
        return -1;
    }
    b->n++;
    return 0;
}

static char *join(const char *dir, const char *name)
{
    char *p;
    if (!*dir)
        return cb_fault_strdup(name);
    size_t n = strlen(dir);
    return cb_fault_asprintf(&p, "%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", name) < 0 ? NULL : p;
}

static bool skipped_folder(const char *name)
{
    return name[0] == '.' || strcmp(name, "CMakeFiles") == 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int take_entry(walk *w, const char *dir, const char *shown, const char *rel,
                      const char *entry);

/*
 * dir: the path to open; shown: how the user sees it; rel: relative to
 * the operand. Entries are taken in name order, so that which of two
 * links to one binary is kept does not depend on the file system.
 */
static int walk_dir(walk *w, const char *dir, const char *shown, const char *rel)
{
    struct dirent **list;
    /* scandir allocates the list: the countdown may fail it as it would. */
    int n = cb_fault_check() ? (errno = ENOMEM, -1) : scandir(dir, &list, NULL, by_name);
    if (n < 0 && errno == ENOMEM)
        return -1; /* a folder skipped for lack of memory would be a binary lost */
    if (n < 0) {
        fprintf(stderr, "cbench: skipping folder %s: %s\n", *shown ? shown : ".", strerror(errno));
        return 0;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *entry = list[i]->d_name;
        if (rc == 0 && strcmp(entry, ".") != 0 && strcmp(entry, "..") != 0)
            rc = take_entry(w, dir, shown, rel, entry);
        free(list[i]);
    }
    free(list);
    return rc;
}

static int take_entry(walk *w, const char *dir, const char *shown, const char *rel,
                      const char *entry)
{
    char *path = join(dir, entry), *show = join(shown, entry), *sub = join(rel, entry);
    struct stat st;
    int rc = 0;
    if (!path || !show || !sub) {
        rc = -1;
    } else if (stat(path, &st) != 0) {
        /* A dangling symlink, or a file removed meanwhile: nothing to run. */
    } else if (S_ISDIR(st.st_mode)) {
        if (!skipped_folder(entry)) {
            int seen = seen_before(w, &st);
            rc = seen < 0 ? -1 : seen ? 0 : walk_dir(w, path, show, sub);
        }
    } else if (S_ISREG(st.st_mode) && (st.st_mode & 0111)) {
        char why[160];
        if (cb_discover_check(path, why, sizeof why) == 1) {
            int seen = seen_before(w, &st);
            rc = seen < 0 ? -1 : seen ? 0 : add_binary(&w->found, path, show, sub);
        } else if (w->notes) {
            fprintf(w->notes, "cbench: skipping %s: %s\n", show, why);
        }
    }
    free(path);
    free(show);
    free(sub);
    return rc;
}

static int by_relative_path(const void *a, const void *b)
{
    return strcmp(((const cb_binary *)a)->name, ((const cb_binary *)b)->name);
}

/* Display form of an operand: without trailing slashes; "." disappears. */
static char *display_root(const char *operand)
{
    size_t n = strlen(operand);
    while (n > 1 && operand[n - 1] == '/')
        n--;
    if (n == 1 && operand[0] == '.')
        return cb_fault_strdup("");
    return cb_fault_strndup(operand, n);
}

static int take_operand(walk *w, const char *operand, cb_binaries *out, char *err, size_t errlen)
{
    struct stat st;
    char why[160];
    if (stat(operand, &st) != 0) {
        snprintf(err, errlen, "%s: %s", operand, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        int is = cb_discover_check(operand, why, sizeof why);
        if (is == 0)
            snprintf(err, errlen, "%s: not a cbench test binary (%s)", operand, why);
        else if (is < 0)
            snprintf(err, errlen, "%s: %s", operand, why);
        if (is != 1)
            return -1;
        int seen = seen_before(w, &st);
        if (seen != 0)
            return seen < 0 ? -1 : 0;
        const char *base = strrchr(operand, '/');
        return add_binary(out, operand, operand, base && base[1] ? base + 1 : operand);
    }
    if (seen_before(w, &st) < 0)
        return -1;
    char *root = display_root(operand);
    if (!root)
        return -1;
    w->found.n = 0;
    int rc = walk_dir(w, operand, root, "");
    free(root);
    if (rc != 0)
        return -1;
    qsort(w->found.v, w->found.n, sizeof w->found.v[0], by_relative_path);
    for (size_t i = 0; i < w->found.n; i++) {
        cb_binary *b = &w->found.v[i];
        if (grow((void **)&out->v, &out->cap, out->n, sizeof out->v[0]) != 0)
            return -1;
        out->v[out->n++] = *b;
        memset(b, 0, sizeof b[0]);
    }
    w->found.n = 0;
    return 0;
}

/* Artifact names: safe, and unique with a "~2", "~3" suffix. */
static int name_binaries(cb_binaries *b)
{
    for (size_t i = 0; i < b->n; i++) {
        char safe[256], unique[280];
        cb_safename_encode(b->v[i].name, safe, sizeof safe);
        snprintf(unique, sizeof unique, "%s", safe);
        for (int k = 2;; k++) {
            size_t j;
            for (j = 0; j < i && strcmp(b->v[j].name, unique) != 0; j++)
                ;
            if (j == i)
                break;
            snprintf(unique, sizeof unique, "%s~%d", safe, k);
        }
        char *name = cb_fault_strdup(unique);
        if (!name)
            return -1;
        free(b->v[i].name);
        b->v[i].name = name;
    }
    return 0;
}

int cb_discover(char *const *operands, int noperands, FILE *notes, cb_binaries *out, char *err,
                size_t errlen)
{
    walk w = {.notes = notes};
    memset(out, 0, sizeof out[0]);
    int rc = 0;
    for (int i = 0; i < noperands && rc == 0; i++) {
        err[0] = '\0';
        rc = take_operand(&w, operands[i], out, err, errlen);
        if (rc != 0 && !err[0])
            snprintf(err, errlen, "out of memory");
    }
    if (rc == 0 && name_binaries(out) != 0) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    cb_discover_free(&w.found);
    free(w.seen);
    if (rc != 0)
        cb_discover_free(out);
    return rc;
}

void cb_discover_free(cb_binaries *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->v[i].path);
        free(b->v[i].display);
        free(b->v[i].name);
    }
    free(b->v);
    memset(b, 0, sizeof b[0]);
}
