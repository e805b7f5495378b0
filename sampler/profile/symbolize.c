/*
 * In-process symbolization with libdwfl: address -> inline chain of lines.
 *
 * The model: libdwfl reports every module of /proc/self/maps when the
 * symbolizer is created (and the ones mapped since, when asked:
 * cb_symbolizer_report_new), and finds each module's ELF file and separate
 * debuginfo (build-id or .gnu_debuglink under /usr/lib/debug) lazily, the
 * first time an address inside it is asked for. Only on this machine:
 * libdwfl's standard search ends by asking debuginfod servers, which
 * loaded libdebuginfod and libcurl with its 28 libraries into the program
 * in the middle of a test run (and would reach the network where
 * DEBUGINFOD_URLS is set); cbench's own search stops before that. Everything it returns
 * (names, file paths) lives inside the Dwfl, so the strings handed out stay
 * valid until cb_symbolizer_free and nothing is copied.
 *
 * For an address in a compile unit with DWARF, the chain of functions is
 * the path of DIEs from the CU down to the innermost scope holding the
 * address: every DW_TAG_inlined_subroutine on it is one inlined frame, and
 * the DW_TAG_subprogram above them is the real function. The innermost
 * frame's file:line comes from the line table; each outer frame's comes
 * from the DW_AT_call_file/DW_AT_call_line of the inlined call just inside
 * it. Without DWARF (or with a CU that describes no function there, as for
 * hand-written assembly) the ELF symbol tables give one name.
 *
 * Costs: the CU is found through .debug_aranges, or, for modules built
 * without them (clang's default), through a sorted list of every CU's
 * ranges made once per module. The walk down the CU reads only the
 * siblings along the path to the address. libdw caches each CU's line
 * and file tables, so after the first address of a CU the rest are cheap.
 */
#include "profile/symbolize.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/fault.h"
#include "profile/plt.h"

/* One address range of a CU, for modules without .debug_aranges. */
struct cb_cu_range {
    Dwarf_Addr lo, hi; /* [lo, hi) in the DWARF's own addresses */
    Dwarf_Die *cudie;  /* owned by the Dwfl */
};

/* The CU ranges of one module, sorted by lo; built on first need. */
struct cb_cu_index {
    Dwfl_Module *mod;
    Dwarf_Addr bias;
    struct cb_cu_range *ranges;
    size_t n;
};

struct cb_symbolizer {
    Dwfl *dwfl;
    struct cb_cu_index *indexes; /* one per module that needed one */
    size_t nindexes;
    char **names; /* names made here (PLT stubs), freed with the symbolizer */
    size_t nnames;
};

/* Opens dir/name (dir may be ""), or -1. */
static int open_in(const char *dir, const char *sub, const char *name)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s%s%s", dir, sub, name) >= (int)sizeof path)
        return -1;
    return open(path, O_RDONLY | O_CLOEXEC);
}

/*
 * libdwfl's standard search without its last step (debuginfod): the
 * build-id tree under /usr/lib/debug, then the .gnu_debuglink name next
 * to the file, in its .debug folder, and under /usr/lib/debug (the
 * default path ":.debug:/usr/lib/debug").
 */
static int find_debuginfo_here(Dwfl_Module *mod, void **userdata, const char *modname,
                               Dwarf_Addr base, const char *file_name, const char *debuglink_file,
                               GElf_Word debuglink_crc, char **debuginfo_file_name)
{
    int fd = dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name,
                                          debuglink_file, debuglink_crc, debuginfo_file_name);
    if (fd >= 0 || !debuglink_file || !file_name || strchr(debuglink_file, '/'))
        return fd;
    char dir[4096];
    const char *slash = strrchr(file_name, '/');
    if (!slash || (size_t)(slash - file_name) + 2 > sizeof dir)
        return -1;
    memcpy(dir, file_name, (size_t)(slash - file_name) + 1);
    dir[slash - file_name + 1] = '\0';
    char *base_name = strrchr(file_name, '/') + 1;
    /* The debug file is never the file itself. */
    if ((fd = strcmp(base_name, debuglink_file) != 0 ? open_in(dir, "", debuglink_file) : -1) < 0 &&
        (fd = open_in(dir, ".debug/", debuglink_file)) < 0) {
        char under[4096 + 16];
        snprintf(under, sizeof under, "/usr/lib/debug%s", dir);
        fd = open_in(under, "", debuglink_file);
    }
    return fd;
}

/*
 * libdwfl keeps a pointer to the callbacks for the Dwfl's whole life, so
 * they are static.
 */
static const Dwfl_Callbacks cb_dwfl_callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = find_debuginfo_here,
    .debuginfo_path = NULL,
};

cb_symbolizer *cb_symbolizer_new(void)
{
    cb_symbolizer *s = cb_fault_calloc(1, sizeof *s);
    if (s == NULL) {
        cb_error(ENOMEM, "symbolizer: out of memory");
        return NULL;
    }
    s->dwfl = dwfl_begin(&cb_dwfl_callbacks);
    if (s->dwfl == NULL) {
        cb_error(ENOMEM, "symbolizer: dwfl_begin: %s", dwfl_errmsg(-1));
        free(s);
        return NULL;
    }
    /* Returns an errno value when /proc could not be read, -1 for a
     * libdwfl error, 0 on success. */
    int rc = dwfl_linux_proc_report(s->dwfl, getpid());
    if (rc != 0) {
        int err = rc > 0 ? rc : EIO;
        cb_error(err, "symbolizer: reading /proc/self/maps: %s",
                 rc > 0 ? strerror(rc) : dwfl_errmsg(-1));
        dwfl_end(s->dwfl);
        free(s);
        return NULL;
    }
    if (dwfl_report_end(s->dwfl, NULL, NULL) != 0) {
        cb_error(EIO, "symbolizer: dwfl_report_end: %s", dwfl_errmsg(-1));
        dwfl_end(s->dwfl);
        free(s);
        return NULL;
    }
    return s;
}

int cb_symbolizer_report_new(cb_symbolizer *s)
{
    dwfl_report_begin_add(s->dwfl);
    int rc = dwfl_linux_proc_report(s->dwfl, getpid());
    if (dwfl_report_end(s->dwfl, NULL, NULL) != 0 || rc != 0)
        return cb_error(rc > 0 ? rc : EIO, "symbolizer: reporting new modules: %s",
                        rc > 0 ? strerror(rc) : dwfl_errmsg(-1));
    return 0;
}

void cb_symbolizer_free(cb_symbolizer *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nindexes; i++)
        free(s->indexes[i].ranges);
    free(s->indexes);
    for (size_t i = 0; i < s->nnames; i++)
        free(s->names[i]);
    free(s->names);
    dwfl_end(s->dwfl);
    free(s);
}

static int cb_cu_range_cmp(const void *a, const void *b)
{
    const struct cb_cu_range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Lists every CU range of `mod`. On failure the list is left empty: the
 * module's addresses then get symbol-table names only. */
static void cb_cu_index_build(struct cb_cu_index *ix)
{
    size_t cap = 0;
    Dwarf_Die *cu = NULL;
    while ((cu = dwfl_module_nextcu(ix->mod, cu, &ix->bias)) != NULL) {
        Dwarf_Addr base, lo, hi;
        for (ptrdiff_t off = 0; (off = dwarf_ranges(cu, off, &base, &lo, &hi)) > 0;) {
            /* Code dropped by --gc-sections keeps ranges at 0 (or
             * relocated near it): never a real address in a loaded module. */
            if (lo == 0 || lo >= hi)
                continue;
            if (ix->n == cap) {
                size_t ncap = cap ? 2 * cap : 64;
                struct cb_cu_range *nr = cb_fault_realloc(ix->ranges, ncap * sizeof *nr);
                if (nr == NULL) {
                    free(ix->ranges);
                    ix->ranges = NULL;
                    ix->n = 0;
                    return;
                }
                ix->ranges = nr;
                cap = ncap;
            }
            ix->ranges[ix->n++] = (struct cb_cu_range){lo, hi, cu};
        }
    }
    if (ix->n > 1) /* ranges is NULL for a module without DWARF */
        qsort(ix->ranges, ix->n, sizeof *ix->ranges, cb_cu_range_cmp);
}

/*
 * The CU holding addr, as dwfl_module_addrdie finds it. libdw finds CUs by
 * .debug_aranges, which clang does not emit by default (and elfutils 0.188
 * does not make up for), so for such modules the CU ranges are listed once
 * and searched here instead.
 */
static Dwarf_Die *cb_addrdie(cb_symbolizer *s, Dwfl_Module *mod, Dwarf_Addr addr, Dwarf_Addr *bias)
{
    Dwarf_Die *cudie = dwfl_module_addrdie(mod, addr, bias);
    if (cudie != NULL)
        return cudie;

    struct cb_cu_index *ix = NULL;
    for (size_t i = 0; i < s->nindexes && ix == NULL; i++)
        if (s->indexes[i].mod == mod)
            ix = &s->indexes[i];
    if (ix == NULL) {
        struct cb_cu_index *n = cb_fault_realloc(s->indexes, (s->nindexes + 1) * sizeof *n);
        if (n == NULL)
            return NULL;
        s->indexes = n;
        ix = &s->indexes[s->nindexes++];
        *ix = (struct cb_cu_index){.mod = mod};
        cb_cu_index_build(ix);
    }

    /* The last range starting at or below pc is the only one that can
     * hold it: CUs do not share code. */
    Dwarf_Addr pc = addr - ix->bias;
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->ranges[mid].lo <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || pc >= ix->ranges[lo - 1].hi)
        return NULL;
    *bias = ix->bias;
    return ix->ranges[lo - 1].cudie;
}

/* The function's own name, through DW_AT_abstract_origin (inlined and
 * out-of-line instances) and DW_AT_specification (C++ definitions). */
static const char *cb_die_name(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    return dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
}

static const char *cb_die_linkage_name(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
    if (name == NULL)
        name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
    return name;
}

/* An unsigned attribute of `die` or, when `integrate`, of the DIE it
 * stands for (DW_AT_decl_line lives on the abstract origin, while
 * DW_AT_call_line belongs to the inlined instance alone). -1 if absent. */
static int64_t cb_die_udata(Dwarf_Die *die, unsigned int name, bool integrate)
{
    Dwarf_Attribute mem;
    Dwarf_Attribute *attr =
        integrate ? dwarf_attr_integrate(die, name, &mem) : dwarf_attr(die, name, &mem);
    Dwarf_Word v;
    if (attr == NULL || dwarf_formudata(attr, &v) != 0 || v > INT64_MAX)
        return -1;
    return (int64_t)v;
}

/* State of one walk down a CU, and of the lines it emits on the way up. */
struct cb_walk {
    Dwarf_Addr pc;    /* the address, in the DWARF's own terms */
    Dwarf_Die *cudie; /* for the file table of DW_AT_call_file */
    cb_line *lines;   /* output, innermost first */
    int max;
    int n;                 /* lines emitted so far (may exceed max) */
    bool done;             /* the real function was emitted */
    const char *next_file; /* where the next outer frame is: the line table */
    int64_t next_line;     /* for the innermost, then each call site */
};

/*
 * Emits one frame for `die`, a function holding pc. Called while the
 * recursion unwinds, so frames come innermost first. The frame's position
 * is the call site recorded by the frame emitted before it (or the line
 * table for the innermost); an inlined frame then records its own call
 * site for the frame outside it.
 */
static void cb_walk_emit(struct cb_walk *w, Dwarf_Die *die, int tag)
{
    if (w->done)
        return; /* a (GNU C nested) function's enclosing function is no caller */
    if (w->n < w->max) {
        cb_line *l = &w->lines[w->n];
        l->function = cb_die_name(die);
        l->system_name = cb_die_linkage_name(die);
        if (l->system_name == NULL)
            l->system_name = l->function;
        l->file = w->next_file;
        l->line = w->next_line;
        int64_t start = cb_die_udata(die, DW_AT_decl_line, true);
        l->start_line = start > 0 ? start : 0;
    }
    w->n++;
    if (tag != DW_TAG_inlined_subroutine) {
        w->done = true;
        return;
    }
    /* DW_AT_call_file indexes the CU's file table (libdw composes the
     * directory, so the path is as complete as the DWARF makes it). */
    w->next_file = NULL;
    w->next_line = 0;
    Dwarf_Files *files;
    size_t nfiles;
    int64_t idx = cb_die_udata(die, DW_AT_call_file, false);
    if (idx >= 0 && dwarf_getsrcfiles(w->cudie, &files, &nfiles) == 0 && (size_t)idx < nfiles)
        w->next_file = dwarf_filesrc(files, (size_t)idx, NULL, NULL);
    int64_t line = cb_die_udata(die, DW_AT_call_line, false);
    if (line > 0)
        w->next_line = line;
}

/*
 * Finds, among the children of `parent`, the scope holding pc, descends
 * into it and emits the functions on the way back up. Returns whether pc
 * was found under `parent`.
 *
 * Why not dwarf_getscopes(): it stops at the innermost inlined instance
 * and continues with the scopes of that function's abstract definition,
 * so the functions it was inlined into are missing; dwarf_getscopes_die()
 * would recover them, but by scanning the whole CU again for each address.
 * This walk descends only into DIEs whose ranges hold pc (sibling ranges
 * do not overlap), so it reads one level of siblings per scope.
 */
static bool cb_walk_down(struct cb_walk *w, Dwarf_Die *parent, unsigned depth)
{
    Dwarf_Die die;
    if (depth > 256 || dwarf_child(parent, &die) != 0)
        return false; /* the depth bound only guards against corrupt DWARF */
    do {
        int tag = dwarf_tag(&die);
        switch (tag) {
        case DW_TAG_subprogram:
        case DW_TAG_inlined_subroutine:
        case DW_TAG_entry_point:
        case DW_TAG_lexical_block:
        case DW_TAG_try_block:
        case DW_TAG_catch_block:
        case DW_TAG_with_stmt:
            /* dwarf_haspc is -1 for a DIE without ranges (a declaration,
             * an abstract instance): not a match either. */
            if (dwarf_haspc(&die, w->pc) > 0) {
                cb_walk_down(w, &die, depth + 1);
                if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
                    tag == DW_TAG_entry_point)
                    cb_walk_emit(w, &die, tag);
                return true;
            }
            break;
        case DW_TAG_namespace:
        case DW_TAG_module:
            /* Containers without addresses of their own (C++, Fortran). */
            if (cb_walk_down(w, &die, depth + 1))
                return true;
            break;
        default:
            break; /* types, variables, ...: no code below them */
        }
    } while (dwarf_siblingof(&die, &die) == 0);
    return false;
}

/* The name of the PLT stub at addr, kept until the symbolizer is freed. */
static const char *cb_plt_stub(cb_symbolizer *s, Dwfl_Module *mod, Dwarf_Addr addr)
{
    char *name = cb_plt_name(mod, addr);
    if (name == NULL)
        return NULL;
    char **names = cb_fault_realloc(s->names, (s->nnames + 1) * sizeof *names);
    if (names == NULL) {
        free(name);
        return NULL;
    }
    s->names = names;
    s->names[s->nnames++] = name;
    return name;
}

/* One line from the ELF symbol tables (.symtab, else .dynsym) or a PLT
 * stub's name, with the line table's position when there is one.
 * `lines` has room for one. */
static int cb_symbolize_elf(cb_symbolizer *s, Dwfl_Module *mod, Dwarf_Addr addr,
                            const char *file, int64_t line, cb_line *lines, unsigned *flags)
{
    GElf_Off off;
    GElf_Sym sym;
    const char *name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
    if (name == NULL || name[0] == '\0')
        name = cb_plt_stub(s, mod, addr);
    if (name == NULL && file == NULL)
        return 0;
    lines[0] = (cb_line){.function = name, .system_name = name, .file = file, .line = line};
    *flags = (name ? CB_SYM_FUNCTION : 0) | (file ? CB_SYM_FILE : 0) | (line > 0 ? CB_SYM_LINE : 0);
    return 1;
}

int cb_symbolize(cb_symbolizer *s, uint64_t addr, cb_line *lines, int max, unsigned *flags)
{
    *flags = 0;
    Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, addr);
    if (mod == NULL || max < 1)
        return 0;

    Dwarf_Addr bias;
    Dwarf_Die *cudie = cb_addrdie(s, mod, addr, &bias);
    if (cudie == NULL)
        return cb_symbolize_elf(s, mod, addr, NULL, 0, lines, flags);

    /* The line table gives the innermost position, whether or not the CU
     * describes the function there (hand-written assembly does not). */
    const char *file = NULL;
    int line = 0;
    Dwarf_Line *src = dwarf_getsrc_die(cudie, addr - bias);
    if (src != NULL) {
        file = dwarf_linesrc(src, NULL, NULL);
        if (dwarf_lineno(src, &line) != 0)
            line = 0;
    }

    struct cb_walk w = {
        .pc = addr - bias,
        .cudie = cudie,
        .lines = lines,
        .max = max,
        .next_file = file,
        .next_line = line,
    };
    cb_walk_down(&w, cudie, 0);
    if (w.n == 0)
        return cb_symbolize_elf(s, mod, addr, file, line, lines, flags);

    int n = w.n < max ? w.n : max;
    /* A real function without a DWARF name (rare: artificial code) can
     * still have a symbol. */
    if (w.n <= max && lines[n - 1].function == NULL) {
        GElf_Off off;
        GElf_Sym sym;
        const char *name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
        if (name != NULL && name[0] != '\0')
            lines[n - 1].function = lines[n - 1].system_name = name;
    }
    unsigned f = CB_SYM_FUNCTION | CB_SYM_FILE | CB_SYM_LINE;
    for (int i = 0; i < n; i++) {
        if (lines[i].function == NULL)
            f &= ~(unsigned)CB_SYM_FUNCTION;
        if (lines[i].file == NULL)
            f &= ~(unsigned)CB_SYM_FILE;
        if (lines[i].line <= 0)
            f &= ~(unsigned)CB_SYM_LINE;
    }
    /* Complete means: read from DWARF, up to a real function, and all of
     * it fitted in `max`. */
    if (w.done && w.n <= max)
        f |= CB_SYM_INLINE;
    *flags = f;
    return n;
}
