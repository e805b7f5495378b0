/*
 * JSON values as the writers put them: strings and numbers, the two that
 * need care. The command reads these files and events with jansson
 * (harness/cli/); this side stays hand-written because it runs in every
 * test binary, between tests, where the program under test may have set
 * any locale: numbers must come out with a '.', and strings as valid
 * UTF-8 whatever bytes a test's name or output held.
 */
#ifndef CB_FORMATS_JSON_H
#define CB_FORMATS_JSON_H

#include "formats/buf.h"

/* s as a JSON string literal ("null" for NULL): quotes, backslashes and
 * control characters escaped, invalid UTF-8 replaced by U+FFFD, so the
 * result is valid JSON and holds no raw newline. */
void cb_json_put_string(cb_buf *b, const char *s);

/* v as a JSON number in the fewest digits that read back as exactly v
 * (-0 as "-0.0", so that it reads back as a negative zero, not as the
 * integer 0); "null" when v is NaN or infinite. */
void cb_json_put_number(cb_buf *b, double v);

#endif
