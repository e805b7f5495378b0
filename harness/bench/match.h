/*
 * Name patterns for --run and --bench, matched as Go's testing package
 * matches -run and -bench.
 *
 * A pattern is split on '|' and '/' that stand outside brackets and
 * parentheses: '|' separates alternatives, '/' the levels of one
 * alternative. A name is split on '/' into its levels (a test, or a
 * benchmark and its sub-benchmarks), and level i must match element i of
 * an alternative, unanchored; levels beyond the pattern's are accepted.
 * When the name has fewer levels than the alternative, the match is
 * partial: the name's deeper levels, not yet known, may still match, so a
 * parent is run to discover its children. Elements are POSIX extended
 * regexes (regcomp); an empty element matches everything.
 */
#ifndef CB_MATCH_H
#define CB_MATCH_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cb_match cb_match;

/* Compiles `pattern`. NULL on failure, with a one-line message in err
 * (the element that does not compile and why, or "out of memory"). */
cb_match *cb_match_new(const char *pattern, char *err, size_t len);

/* Whether `name` matches; *partial (when non-NULL) tells that it matched
 * only as a parent of names that may match. */
bool cb_match_name(const cb_match *m, const char *name, bool *partial);

void cb_match_free(cb_match *m);

#endif
