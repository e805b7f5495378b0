/*
 * Test helper: reads a gzipped pprof profile back with protobuf-c and
 * answers the questions the tests ask of it (values by function, labels).
 * Written independently of the encoder so that a bug there shows here.
 */
#ifndef TESTS_PROFILE_READER_H
#define TESTS_PROFILE_READER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile pb_profile;

/* Decodes a gzipped profile from a file or a stream (rewound first).
 * NULL when it is not a valid gzipped profile. */
pb_profile *read_profile_file(const char *path);
pb_profile *read_profile_stream(FILE *f);
void free_profile(pb_profile *p);

/* cbench_write_profile(name) into a temporary file, read back; NULL (the
 * message on stderr) when either fails. */
pb_profile *write_and_read_profile(const char *name);

const char *pstr(const pb_profile *p, int64_t index);
const Perftools__Profiles__Location *find_location(const pb_profile *p, uint64_t id);
const Perftools__Profiles__Function *find_function(const pb_profile *p, uint64_t id);

/* Sum of value[vi] over all samples. */
int64_t total_value(const pb_profile *p, size_t vi);

/* Sum of value[vi] over samples with `function` anywhere in the stack
 * (cumulative), or as the leaf's innermost line only (flat). */
int64_t cum_value(const pb_profile *p, size_t vi, const char *function);
int64_t flat_value(const pb_profile *p, size_t vi, const char *function);

/* Sum of value[vi] over samples carrying label key=value. */
int64_t label_value(const pb_profile *p, size_t vi, const char *key, const char *value);

#endif
