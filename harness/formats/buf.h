/*
 * A growable byte buffer, the one the result files and protocol events
 * are built in.
 *
 * A buffer that fails to grow remembers it (`failed`) and ignores every
 * later addition, so a writer appends freely and checks once at the end;
 * what it then holds is never handed out as if it were whole. printf
 * formats in the C locale whatever setlocale() the program under test
 * called: a decimal comma would make invalid JSON and benchmark lines no
 * tool reads. The buffer grows with cb_fault_realloc, so test builds can
 * fail any of its allocations (sampler/base/fault.h).
 */
#ifndef CB_FORMATS_BUF_H
#define CB_FORMATS_BUF_H

#include <locale.h>
#include <stdbool.h>
#include <stddef.h>

/* Always NUL-terminated once anything was added. Zero-initialise it to
 * begin. */
typedef struct cb_buf {
    char *p;
    size_t n, cap;
    bool failed; /* an allocation failed: the contents are not whole */
} cb_buf;

void cb_buf_add(cb_buf *b, const void *data, size_t n);
void cb_buf_putc(cb_buf *b, char c);
void cb_buf_puts(cb_buf *b, const char *s);
/* printf into the buffer; numbers always with '.', whatever the locale. */
void cb_buf_printf(cb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Returns the contents (the caller frees them; "" when nothing was
 * added), or NULL with errno ENOMEM if the buffer failed; the buffer is
 * empty afterwards either way. */
char *cb_buf_take(cb_buf *b);
void cb_buf_free(cb_buf *b);

/* The C locale object, made once; (locale_t)0 when it cannot be made, in
 * which case the program's own locale is used. */
locale_t cb_buf_c_locale(void);

#endif
