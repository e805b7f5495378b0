/*
 * One benchmark result line, byte for byte as Go's testing package prints
 * it (the facts carried over are listed at the top of benchline.c):
 * "BenchmarkX/sub-2\t    1000\t      1043 ns/op\t      64 B/op\t       2 allocs/op".
 *
 * The name gets "-<procs>" when procs > 1, and is made a valid field of
 * Go's benchmark format as Go does for sub-benchmark names: "Benchmark"
 * is prepended when missing, white space becomes '_', other unprintable
 * characters become Go-style escapes (\x01), invalid UTF-8 becomes U+FFFD.
 * Metrics are printed in Go's order whatever their order in rec: ns/op,
 * MB/s, the others sorted by unit, then B/op and allocs/op; each in Go's
 * number format. Metrics with an empty unit are left out.
 */
#ifndef CB_FORMATS_BENCHLINE_H
#define CB_FORMATS_BENCHLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/buf.h"
#include "formats/record.h"

/* The line (no newline) in buf. Returns the length of the whole line (as
 * snprintf does; buf holds as much as fits, NUL-terminated), or -1 with
 * errno ENOMEM. */
int cb_benchline_format(const cb_record *rec, char *buf, size_t len);

/* The same line appended to b, with the name padded to `width` columns. */
void cb_benchline_put(cb_buf *b, const cb_record *rec, int width);

/* The name as printed on the line (with "-<procs>"), appended to b. */
void cb_benchline_put_name(cb_buf *b, const cb_record *rec);

/* s as text for bench.txt, as Go's testing package rewrites a
 * sub-benchmark name: control characters become Go's escapes ("\\x01"),
 * invalid UTF-8 becomes U+FFFD, and, when `field`, white space becomes
 * '_' so that s stays one field of the line. */
void cb_benchline_put_text(cb_buf *b, const char *s, bool field);

#endif
