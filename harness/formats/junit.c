/*
 * junit.xml: test results as CI systems read them (the JUnit XML that
 * Jenkins, GitLab and GitHub reporters accept): <testsuites> holding one
 * <testsuite> per binary, in order of first appearance, and one
 * <testcase classname="<binary>" name="<name>" time="<s>"> per record.
 * A failed case holds <failure message="..."> with the message and the
 * output as text; a skipped one <skipped/>; a benchmark's case carries
 * its result line in <system-out> (a benchmark that broke a limit has
 * both its line and a <failure>), and its name has the "-<procs>" suffix
 * so that runs at several --cpu values stay distinct.
 *
 * Text is XML 1.0: markup characters are escaped, characters XML 1.0
 * forbids (most C0 controls, U+FFFE, U+FFFF) are removed, invalid UTF-8
 * becomes U+FFFD, and in attributes tab, newline and carriage return are
 * written as character references so that they survive attribute
 * normalisation.
 */
#include "formats/junit.h"

#include <math.h>
#include <string.h>

#include "formats/benchline.h"
#include "formats/file.h"
#include "formats/xml.h"

static void put_xml(cb_buf *b, const char *s, bool attribute)
{
    cb_xml_put(b, s, attribute);
}

static const char *binary_of(const cb_record *rec)
{
    return rec->binary ? rec->binary : "";
}

static double seconds(double s)
{
    return isfinite(s) && s > 0 ? s : 0;
}

typedef struct suite_counts {
    size_t tests, failures, skipped;
    double time;
} suite_counts;

static void count(const cb_results *r, const char *binary, suite_counts *c)
{
    memset(c, 0, sizeof c[0]);
    for (size_t i = 0; i < r->n; i++) {
        const cb_record *rec = &r->v[i];
        if (binary && strcmp(binary_of(rec), binary) != 0)
            continue;
        c->tests++;
        c->failures += rec->status == CB_FAIL;
        c->skipped += rec->status == CB_SKIP;
        c->time += seconds(rec->elapsed_s);
    }
}

static void put_case_name(cb_buf *b, const cb_record *rec)
{
    if (rec->kind != CB_KIND_BENCH) {
        put_xml(b, rec->name, true);
        return;
    }
    cb_buf name = {0};
    cb_benchline_put_name(&name, rec);
    if (name.failed)
        b->failed = true;
    put_xml(b, name.p, true);
    cb_buf_free(&name);
}

static void put_case(cb_buf *b, const cb_record *rec, const char *binary)
{
    cb_buf_puts(b, "    <testcase classname=\"");
    put_xml(b, binary, true);
    cb_buf_puts(b, "\" name=\"");
    put_case_name(b, rec);
    cb_buf_printf(b, "\" time=\"%.6f\">\n", seconds(rec->elapsed_s));
    if (rec->status == CB_FAIL) {
        cb_buf_puts(b, "      <failure message=\"");
        put_xml(b, rec->message ? rec->message : "failed", true);
        cb_buf_puts(b, "\" type=\"failure\">");
        put_xml(b, rec->message, false);
        if (rec->message && rec->output && rec->output[0])
            cb_buf_puts(b, "\n\n");
        put_xml(b, rec->output, false);
        cb_buf_puts(b, "</failure>\n");
    } else if (rec->status == CB_SKIP) {
        if (rec->message) {
            cb_buf_puts(b, "      <skipped message=\"");
            put_xml(b, rec->message, true);
            cb_buf_puts(b, "\"/>\n");
        } else {
            cb_buf_puts(b, "      <skipped/>\n");
        }
    }
    if (rec->kind == CB_KIND_BENCH && (rec->status == CB_PASS || cb_record_has_result(rec))) {
        cb_buf line = {0};
        cb_benchline_put(&line, rec, 0);
        if (line.failed)
            b->failed = true;
        cb_buf_puts(b, "      <system-out>");
        put_xml(b, line.p, false);
        cb_buf_puts(b, "</system-out>\n");
        cb_buf_free(&line);
    } else if (rec->status != CB_FAIL && rec->output && rec->output[0]) {
        cb_buf_puts(b, "      <system-out>");
        put_xml(b, rec->output, false);
        cb_buf_puts(b, "</system-out>\n");
    }
    cb_buf_puts(b, "    </testcase>\n");
}

static void put_suite(cb_buf *b, const cb_results *r, const char *binary)
{
    suite_counts c;
    count(r, binary, &c);
    const char *name = binary[0] ? binary : r->pkg && r->pkg[0] ? r->pkg : "cbench";
    cb_buf_puts(b, "  <testsuite name=\"");
    put_xml(b, name, true);
    cb_buf_printf(b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.6f\">\n",
                  c.tests, c.failures, c.skipped, c.time);
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(binary_of(&r->v[i]), binary) == 0)
            put_case(b, &r->v[i], name);
    cb_buf_puts(b, "  </testsuite>\n");
}

int cb_junit_write(const cb_results *r, const char *path)
{
    cb_buf b = {0};
    suite_counts all;
    count(r, NULL, &all);
    cb_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    cb_buf_printf(&b,
                  "<testsuites tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" "
                  "time=\"%.6f\">\n",
                  all.tests, all.failures, all.skipped, all.time);
    for (size_t i = 0; i < r->n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(binary_of(&r->v[j]), binary_of(&r->v[i])) == 0;
        if (!seen)
            put_suite(&b, r, binary_of(&r->v[i]));
    }
    cb_buf_puts(&b, "</testsuites>\n");
    int rc = cb_file_write(&b, path, "junit.xml");
    cb_buf_free(&b);
    return rc;
}
