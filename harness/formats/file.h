/*
 * A result file, written whole or not at all.
 */
#ifndef CB_FORMATS_FILE_H
#define CB_FORMATS_FILE_H

#include "formats/buf.h"

/* Writes b's contents to path through a temporary file and rename; `what`
 * names the file in messages ("results.json"). 0, or -1 with errno and
 * cbench_last_error() set; no partial file is ever left at path, and
 * whatever was there stays. A failed buffer (out of memory) is reported,
 * with ENOMEM, without touching the disk. */
int cb_file_write(const cb_buf *b, const char *path, const char *what);

#endif
