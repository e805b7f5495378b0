/*
 * In-process symbolization with elfutils' libdw.
 *
 * A symbolizer is a snapshot of the modules loaded in this process, taken
 * when it is created (libdwfl reading /proc/self/maps). It turns one
 * address into the chain of source lines that produced the instruction:
 * the innermost inlined function first, then each function it was inlined
 * into, ending with the real (out-of-line) function. Names come from DWARF
 * when the module has it, else from the ELF symbol tables (.symtab, then
 * .dynsym); an address that nothing names yields zero lines and the caller
 * keeps the bare address, which pprof can still symbolize from the binary.
 *
 * It allocates freely (through malloc) and is used only when a profile is
 * written, never from a signal handler or an interposer. Not thread-safe:
 * one writer owns one symbolizer.
 */
#ifndef CB_PROFILE_SYMBOLIZE_H
#define CB_PROFILE_SYMBOLIZE_H

#include <stdint.h>

/* What was found for an address; OR-ed into the `flags` out-parameter. */
enum {
    CB_SYM_FUNCTION = 1 << 0, /* every returned line has a function name */
    CB_SYM_FILE = 1 << 1,     /* every returned line has a file name */
    CB_SYM_LINE = 1 << 2,     /* every returned line has a line number */
    CB_SYM_INLINE = 1 << 3,   /* DWARF scopes were read: the inline chain is complete
                               * (up to the real function, and all of it within max) */
};

/* One frame of an address's inline chain. Strings belong to the
 * symbolizer and stay valid until cb_symbolizer_free. */
typedef struct cb_line {
    const char *function;    /* demangled/human name, or NULL */
    const char *system_name; /* linkage (mangled) name, or the same as function */
    const char *file;        /* source file, or NULL */
    int64_t line;            /* line in file, 0 if unknown */
    int64_t start_line;      /* line where the function starts, 0 if unknown */
} cb_line;

typedef struct cb_symbolizer cb_symbolizer;

/* Returns NULL on failure with cbench_last_error() set. */
cb_symbolizer *cb_symbolizer_new(void);

/* Resolves `addr` (an exact instruction address in this process) into at
 * most `max` lines, innermost first. Returns how many were written
 * (0 when nothing is known) and sets *flags to the CB_SYM_* that hold. */
int cb_symbolize(cb_symbolizer *s, uint64_t addr, cb_line *lines, int max, unsigned *flags);

/* Reports the modules mapped since s was made (dlopen), keeping those it
 * knows and what it loaded for them. 0, or -1 with errno. */
int cb_symbolizer_report_new(cb_symbolizer *s);

void cb_symbolizer_free(cb_symbolizer *s);

#endif
