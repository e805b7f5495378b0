/*
 * Go's durations, for the flags and the messages that echo them.
 */
#ifndef CB_DURATION_H
#define CB_DURATION_H

#include <stddef.h>

/*
 * "1s", "1.5s", "500ms", "2m", "10us", "1h", "1h30m" (units ns, us, ms, s,
 * m, h, in sequence as Go's time.ParseDuration takes them), or "0":
 * seconds in *s; -1 if malformed or negative.
 */
int cb_duration_parse(const char *text, double *s);

/* Go's Duration.String for a number of seconds: "10m0s", "1.5s", "500ms".
 * Writes to buf (len bytes) and returns it. */
char *cb_duration_format(double s, char *buf, size_t len);

#endif
