#include "base/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "cbench/profile.h"

static __thread char last_error[512];

int cb_error(int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    errno = err;
    return -1;
}

const char *cbench_last_error(void)
{
    return last_error;
}
