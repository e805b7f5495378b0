/*
 * Every record of a profile printed in full, in the order it was added:
 * a header line from the caller, then one line per frame (inlined frames
 * included) with the function, and its file:line indented below, as Go
 * prints goroutine stacks with debug=2. For profiles whose records are one
 * each (one thread each), where grouping would hide which is which.
 */
#ifndef CB_PROFILE_FULLTEXT_H
#define CB_PROFILE_FULLTEXT_H

#include <stddef.h>
#include <stdio.h>

#include "profile.h"

/* head(out, i, arg) prints the header of the i-th record added. */
int cb_profile_write_each(cb_profile *p, FILE *out, void (*head)(FILE *, size_t, void *),
                          void *arg);

#endif
