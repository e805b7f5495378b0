/*
 * A whole file read into memory, for the command's readers (result
 * files, profiles).
 */
#ifndef CB_CLI_READFILE_H
#define CB_CLI_READFILE_H

#include <stddef.h>

/* The contents of path, NUL-terminated (the NUL not counted in *len), in
 * one cb_fault_malloc block; NULL with errno (the file's own, or ENOMEM,
 * or EIO for a read error). */
char *cb_read_file(const char *path, size_t *len);

#endif
