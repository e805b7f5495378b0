#include "profile_reader.h"

#include "cbench/profile.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static pb_profile *decode_gzip(const unsigned char *in, size_t len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return NULL;
    size_t cap = len * 4 + 4096, used = 0;
    unsigned char *out = malloc(cap);
    int rc = Z_OK;
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)len;
    while (out && rc == Z_OK) {
        if (used == cap) {
            unsigned char *bigger = realloc(out, cap * 2);
            if (!bigger) {
                free(out);
                out = NULL;
                break;
            }
            out = bigger;
            cap *= 2;
        }
        z.next_out = out + used;
        z.avail_out = (uInt)(cap - used);
        rc = inflate(&z, Z_NO_FLUSH);
        used = cap - z.avail_out;
    }
    inflateEnd(&z);
    pb_profile *p = NULL;
    if (out && rc == Z_STREAM_END)
        p = perftools__profiles__profile__unpack(NULL, used, out);
    free(out);
    return p;
}

pb_profile *read_profile_stream(FILE *f)
{
    if (fseek(f, 0, SEEK_SET) != 0)
        return NULL;
    size_t cap = 1 << 16, len = 0, n;
    unsigned char *buf = malloc(cap);
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            unsigned char *bigger = realloc(buf, cap * 2);
            if (!bigger)
                break;
            buf = bigger;
            cap *= 2;
        }
    }
    pb_profile *p = buf ? decode_gzip(buf, len) : NULL;
    free(buf);
    return p;
}

pb_profile *read_profile_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    pb_profile *p = read_profile_stream(f);
    fclose(f);
    return p;
}

void free_profile(pb_profile *p)
{
    if (p)
        perftools__profiles__profile__free_unpacked(p, NULL);
}

const char *pstr(const pb_profile *p, int64_t index)
{
    if (index < 0 || (size_t)index >= p->n_string_table)
        return NULL;
    return p->string_table[index];
}

const Perftools__Profiles__Location *find_location(const pb_profile *p, uint64_t id)
{
    for (size_t i = 0; i < p->n_location; i++)
        if (p->location[i]->id == id)
            return p->location[i];
    return NULL;
}

const Perftools__Profiles__Function *find_function(const pb_profile *p, uint64_t id)
{
    for (size_t i = 0; i < p->n_function; i++)
        if (p->function[i]->id == id)
            return p->function[i];
    return NULL;
}

int64_t total_value(const pb_profile *p, size_t vi)
{
    int64_t sum = 0;
    for (size_t i = 0; i < p->n_sample; i++)
        if (vi < p->sample[i]->n_value)
            sum += p->sample[i]->value[vi];
    return sum;
}

static bool line_is(const pb_profile *p, const Perftools__Profiles__Line *line, const char *fn)
{
    const Perftools__Profiles__Function *f = find_function(p, line->function_id);
    return f && strcmp(pstr(p, f->name), fn) == 0;
}

static bool stack_has(const pb_profile *p, const Perftools__Profiles__Sample *s, const char *fn)
{
    for (size_t i = 0; i < s->n_location_id; i++) {
        const Perftools__Profiles__Location *l = find_location(p, s->location_id[i]);
        for (size_t j = 0; l && j < l->n_line; j++)
            if (line_is(p, l->line[j], fn))
                return true;
    }
    return false;
}

int64_t cum_value(const pb_profile *p, size_t vi, const char *function)
{
    int64_t sum = 0;
    for (size_t i = 0; i < p->n_sample; i++)
        if (stack_has(p, p->sample[i], function))
            sum += p->sample[i]->value[vi];
    return sum;
}

int64_t flat_value(const pb_profile *p, size_t vi, const char *function)
{
    int64_t sum = 0;
    for (size_t i = 0; i < p->n_sample; i++) {
        const Perftools__Profiles__Sample *s = p->sample[i];
        if (!s->n_location_id)
            continue;
        const Perftools__Profiles__Location *l = find_location(p, s->location_id[0]);
        if (l && l->n_line && line_is(p, l->line[0], function))
            sum += s->value[vi];
    }
    return sum;
}

int64_t label_value(const pb_profile *p, size_t vi, const char *key, const char *value)
{
    int64_t sum = 0;
    for (size_t i = 0; i < p->n_sample; i++) {
        const Perftools__Profiles__Sample *s = p->sample[i];
        for (size_t j = 0; j < s->n_label; j++)
            if (strcmp(pstr(p, s->label[j]->key), key) == 0 &&
                strcmp(pstr(p, s->label[j]->str), value) == 0)
                sum += s->value[vi];
    }
    return sum;
}

pb_profile *write_and_read_profile(const char *name)
{
    FILE *f = tmpfile();
    if (!f) {
        perror("tmpfile");
        return NULL;
    }
    pb_profile *p = NULL;
    if (cbench_write_profile(name, f, 0) != 0)
        fprintf(stderr, "cbench_write_profile(%s): %s\n", name, cbench_last_error());
    else
        p = read_profile_stream(f);
    fclose(f);
    return p;
}
