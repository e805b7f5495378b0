/*
 * Whole files (see readfile.h). The size from fstat sizes the buffer
 * once for a regular file; a pipe or a file that grows meanwhile is read
 * to its end all the same, the buffer doubling as needed.
 */
#include "readfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "base/fault.h"

/* Grows text to cap bytes. -1 (text freed) when out of memory. */
static int grow(char **text, size_t cap)
{
    char *t = cb_fault_realloc(*text, cap);
    if (!t) {
        free(*text);
        *text = NULL;
        errno = ENOMEM;
        return -1;
    }
    *text = t;
    return 0;
}

char *cb_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct stat st;
    size_t cap = fstat(fileno(f), &st) == 0 && st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
    char *text = NULL;
    size_t n = 0;
    int bad = grow(&text, cap);
    while (!bad) {
        size_t got = fread(text + n, 1, cap - n - 1, f);
        n += got;
        if (n + 1 < cap) {
            if (got == 0 || feof(f) || ferror(f))
                break;
            continue;
        }
        /* Full: is there more? Only then is the buffer doubled. */
        int c = getc(f);
        if (c == EOF)
            break;
        cap *= 2;
        if ((bad = grow(&text, cap)) == 0)
            text[n++] = (char)c;
    }
    if (!bad && ferror(f)) {
        free(text);
        text = NULL;
        errno = EIO;
    }
    int err = errno;
    fclose(f);
    if (!text) {
        errno = err;
        return NULL;
    }
    text[n] = '\0';
    *len = n;
    return text;
}
