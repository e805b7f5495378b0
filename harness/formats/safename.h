/*
 * Names of tests, benchmarks and binaries as folder names under the
 * outdir (the model is at the top of safename.c).
 */
#ifndef CB_FORMATS_SAFENAME_H
#define CB_FORMATS_SAFENAME_H

#include <stdbool.h>
#include <stddef.h>

/*
 * `name` made safe as one path component, reversibly: bytes other than
 * [A-Za-z0-9_+=,-] and non-leading '.' are percent-encoded ("%2F" for '/',
 * "%20" for ' ', "%2E" for a leading '.', so "." and ".." cannot occur),
 * and when the encoded name is longer than 200 bytes it is cut at 191
 * bytes (never inside an escape) and ends in "~<8 hex digits>", the FNV-1a
 * hash of the whole name, so distinct long names stay distinct. The empty
 * name is "%00" (no C string encodes to that). Writes to buf, of len
 * bytes (256 are always enough; less cuts the name shorter); returns buf.
 */
char *cb_safename_encode(const char *name, char *buf, size_t len);

/*
 * Whether `name` can stand as a folder name as it is: what the encoding
 * produces (plain bytes, escapes, the hash's '~'), and "~2" suffixes.
 * Used for a name that comes already encoded (CBENCH_BINARY_NAME).
 */
bool cb_safename_is_safe(const char *name);

#endif
