/*
 * The per-thread error message behind cbench_last_error().
 *
 * Every public function that fails sets errno and a message here, so the
 * caller can print what went wrong. The message lives in thread-local
 * storage: setting it allocates nothing and is safe in any context but a
 * signal handler (vsnprintf is not async-signal-safe).
 */
#ifndef CB_ERROR_H
#define CB_ERROR_H

/* Formats the message and sets errno to `err`. Always returns -1, so that
 * `return cb_error(EINVAL, "...")` reads as a failed call. */
int cb_error(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
