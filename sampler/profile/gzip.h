/*
 * gzip as pprof files need it (sampler/profile/gzip.c).
 */
#ifndef CB_PROFILE_GZIP_H
#define CB_PROFILE_GZIP_H

#include <stddef.h>
#include <stdio.h>

#include <zlib.h>

/* Compresses data[0..len) into one gzip member written to out; `name`
 * names the profile in messages. 0, or -1 with errno and
 * cbench_last_error() (ENOMEM, or the write's error). */
int cb_gzip_write(FILE *out, const void *data, size_t len, const char *name);

/* zlib's allocator and its free, through the fault countdown, for any
 * z_stream (zalloc, zfree). */
voidpf cb_zlib_alloc(voidpf opaque, uInt items, uInt size);
void cb_zlib_free(voidpf opaque, voidpf p);

#endif
