/*
 * Finding the test binaries a run covers, without executing anything.
 *
 * A test binary is a regular file with an executable bit whose ELF image
 * carries the cbench note (docs/HARNESS.md, "Recognising a test binary").
 * A PATH operand that is a folder is searched recursively; one that is a
 * file must be a test binary. Each binary gets a display name (its path
 * as the user would type it) and an artifact name (its path relative to
 * the folder given, made safe as one path component, unique in the run).
 */
#ifndef CB_CLI_DISCOVER_H
#define CB_CLI_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CB_PROTOCOL_VERSION 1

typedef struct cb_binary {
    char *path;    /* to execute: as found, relative to the current folder or absolute */
    char *display; /* console, --json Package, bench.txt pkg: */
    char *name;    /* artifact folder under the outdir, CBENCH_BINARY_NAME */
} cb_binary;

typedef struct cb_binaries {
    cb_binary *v;
    size_t n, cap;
} cb_binaries;

/*
 * Whether path is a cbench test binary: 1 when it is, 0 when it is not
 * (why says what it is instead), -1 when it cannot be read (why says so).
 * Only the ELF headers and notes are read.
 */
int cb_discover_check(const char *path, char *why, size_t whylen);

/* The GNU build ID of the ELF file at path, in lowercase hex, into
 * out[0..len); "" when it has none, cannot be read, or len is short. */
void cb_discover_build_id(const char *path, char *out, size_t len);

/*
 * Collects the test binaries of the operands into *out, in operand order,
 * each folder's binaries sorted by path. Folders skip hidden folders,
 * CMakeFiles and folders already visited (symlink loops); a file reached
 * twice (through a symlink) is taken once. With notes non-NULL,
 * executables in folders that are not test binaries are mentioned there;
 * folders that cannot be read are reported on stderr, and skipped.
 * Returns 0, or -1 with a message in err
 * when an operand does not exist or is a file that is not a test binary.
 */
int cb_discover(char *const *operands, int noperands, FILE *notes, cb_binaries *out, char *err,
                size_t errlen);

void cb_discover_free(cb_binaries *b);

#endif
