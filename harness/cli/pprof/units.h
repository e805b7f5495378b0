/*
 * Values of a profile as pprof prints them: scaled to a unit of their
 * kind (bytes to kB, MB ...; nanoseconds to us, ms, s, hrs), two
 * decimals with ".00" dropped, and percentages with at least two
 * significant digits. `cbench top` prints exactly what `go tool pprof
 * -top` prints for the same values, so these are pprof's rules: units
 * are recognised case-insensitively, with a trailing "s" dropped when
 * longer than two letters ("nanoseconds", "bytes"); memory units step
 * by 1024; a unit outside the tables ("count") prints bare numbers.
 */
#ifndef CB_CLI_PPROF_UNITS_H
#define CB_CLI_PPROF_UNITS_H

#include <stddef.h>
#include <stdint.h>

/*
 * value (in unit `from`) in unit `to`: a unit name, or "auto" for the
 * largest unit in which the value is at least 1. *out_unit gets the
 * unit's name ("" when the unit is not one pprof scales).
 */
double cb_units_scale(int64_t value, const char *from, const char *to, const char **out_unit);

/* pprof's label of a value: "1.50MB", "210ms", "12". */
void cb_units_label(int64_t value, const char *from, const char *to, char *buf, size_t len);

/* pprof's percentage of value in total: "61.71%", "  100%", " 0.5%". */
void cb_units_percent(int64_t value, int64_t total, char *buf, size_t len);

/*
 * pprof's choice of the unit a report prints in: from the smallest
 * non-zero value shown (min) and the total (max), the unit of the
 * smallest, or, when the two differ and min is under 1% of max, the
 * unit of 100 * min. Writes the unit's name to out (the sample unit
 * itself when pprof does not scale it).
 */
void cb_units_choose(int64_t min, int64_t max, const char *sample_unit, char *out, size_t len);

#endif
