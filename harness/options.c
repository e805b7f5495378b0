/*
 * The flag parser shared by the `cbench` command and by test binaries.
 *
 * One table lists every flag with the kind of its value; parsing a flag
 * is finding its row and storing the converted value at the row's offset
 * in cb_options. A value is checked when it is parsed (durations, counts,
 * CPU lists, regexes), so a bad one is reported before anything runs,
 * with the flag's name in the message. Long flags are accepted with one
 * dash too ("-bench ."), as Go users type them.
 */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fault.h"
#include "duration.h"

typedef enum flag_type {
    FLAG_BOOL,
    FLAG_STRING,
    FLAG_REGEX,
    FLAG_BENCHTIME,
    FLAG_COUNT,
    FLAG_CPU,
    FLAG_RATE,
    FLAG_FRACTION,
    FLAG_DURATION,
    FLAG_HZ,
    FLAG_SIZE,
    FLAG_SHARD,
} flag_type;

typedef struct flag_def {
    const char *name; /* without dashes */
    flag_type type;
    size_t offset;     /* of the field in cb_options */
    bool command_only; /* shown only in the command's usage */
    const char *arg;   /* the value's placeholder in the usage */
    const char *help;
} flag_def;

#define OFF(field) offsetof(cb_options, field)

static const flag_def flags[] = {
    {"run", FLAG_REGEX, OFF(run), false, "REGEX",
     "run only the tests (and benchmarks) matching REGEX"},
    {"bench", FLAG_REGEX, OFF(bench), false, "REGEX",
     "run the benchmarks matching REGEX (none by default)"},
    {"benchtime", FLAG_BENCHTIME, OFF(benchtime_s), false, "D|Nx",
     "run each benchmark for D (1s, 500ms, 2m) or N iterations (500x); default 1s"},
    {"count", FLAG_COUNT, OFF(count), false, "N",
     "run each test and benchmark N times (default 1)"},
    {"cpu", FLAG_CPU, OFF(cpus), false, "LIST",
     "run benchmarks with each parallelism in LIST (1,2,4); default: online CPUs"},
    {"benchmem", FLAG_BOOL, OFF(benchmem), false, NULL,
     "report B/op and allocs/op for every benchmark"},
    {"cpuprofile", FLAG_BOOL, OFF(cpuprofile), false, NULL,
     "write cpu.pb.gz for each test and benchmark"},
    {"cpuprofilerate", FLAG_HZ, OFF(cpuprofilerate), false, "HZ",
     "with --cpuprofile: take HZ samples a second (1-10000; default 100)"},
    {"memprofile", FLAG_BOOL, OFF(memprofile), false, NULL,
     "write heap.pb.gz and allocs.pb.gz for each"},
    {"memprofilerate", FLAG_RATE, OFF(memprofilerate), false, "N",
     "sample one allocation per N bytes (1 = every one)"},
    {"mutexprofile", FLAG_BOOL, OFF(mutexprofile), false, NULL,
     "write mutex.pb.gz (who held contended locks) for each"},
    {"mutexprofilefraction", FLAG_FRACTION, OFF(mutexprofilefraction), false, "N",
     "record 1 in N lock contentions (default 1: all)"},
    {"blockprofile", FLAG_BOOL, OFF(blockprofile), false, NULL,
     "write block.pb.gz (where threads waited) for each"},
    {"blockprofilerate", FLAG_RATE, OFF(blockprofilerate), false, "NS",
     "sample one blocking event per NS blocked (default 1: all)"},
    {"trace", FLAG_BOOL, OFF(trace), false, NULL,
     "write trace.json (an execution trace) for each test and benchmark"},
    {"trace-on-failure", FLAG_BOOL, OFF(trace_on_failure), false, NULL,
     "record each in a ring; write trace.json only when it fails, crashes or times out"},
    {"tracering", FLAG_SIZE, OFF(tracering), false, "SIZE",
     "the ring's size for --trace-on-failure: bytes, or 512KiB, 8MiB (default 4MiB)"},
    {"instructions", FLAG_BOOL, OFF(instructions), false, NULL,
     "report instructions/op, counted by valgrind's callgrind (and instructions.pb.gz)"},
    {"perfcounters", FLAG_STRING, OFF(perfcounters), false, "LIST",
     "report <counter>/op from hardware counters (cycles,instructions,branch-misses,...)"},
    {"outdir", FLAG_STRING, OFF(outdir), false, "DIR",
     "write results and profiles under DIR (default cbench-out)"},
    {"list", FLAG_BOOL, OFF(list), false, NULL, "list the tests and benchmarks; run nothing"},
    {"json", FLAG_BOOL, OFF(json), true, NULL, "print events as JSON lines, as go test -json"},
    {"junit", FLAG_STRING, OFF(junit), true, "FILE",
     "write the JUnit report to FILE (default DIR/junit.xml)"},
    {"timeout", FLAG_DURATION, OFF(timeout_s), true, "D",
     "stop a binary that runs longer than D (default 10m; 0 = never)"},
    {"v", FLAG_BOOL, OFF(verbose), true, NULL, "print every test as it runs, and all output"},
    {"version", FLAG_BOOL, OFF(version), true, NULL, "print cbench's version"},
    {"report", FLAG_BOOL, OFF(report), true, NULL,
     "write DIR/index.html: the run, its profiles' flame graphs"},
    {"baseline", FLAG_STRING, OFF(baseline), true, "OLD",
     "compare the report with OLD (results.json or bench.txt); implies --report"},
    {"shard", FLAG_SHARD, OFF(shard_index), true, "K/N",
     "run shard K of N (1-based) of every binary's tests and benchmarks"},
    {"help", FLAG_BOOL, OFF(help), false, NULL, "print this help"},
    {"h", FLAG_BOOL, OFF(help), false, NULL, NULL},
};

void cb_options_init(cb_options *o)
{
    memset(o, 0, sizeof o[0]);
    o->benchtime_s = 1;
    o->count = 1;
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    o->cpus[0] = online > 0 ? (int)(online < INT_MAX ? online : INT_MAX) : 1;
    o->ncpus = 1;
    o->memprofilerate = -1;
    /* go test's defaults: once asked for, every event is recorded. */
    o->mutexprofilefraction = 1;
    o->blockprofilerate = 1;
    o->outdir = "cbench-out";
    o->timeout_s = 600;
    o->tracering = CB_OPTIONS_TRACERING;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- numbers ---- */

static int parse_long(const char *text, long min, long *out)
{
    char *end;
    errno = 0;
    while (isspace((unsigned char)*text))
        text++;
    if (!isdigit((unsigned char)*text) && *text != '-' && *text != '+')
        return -1;
    long v = strtol(text, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (errno || end == text || *end || v < min)
        return -1;
    *out = v;
    return 0;
}

static int parse_cpus(cb_options *o, const char *text)
{
    int n = 0;
    const char *p = text;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[32];
        long v;
        if (len == 0 || len >= sizeof item || n == CB_MAX_CPUS)
            return -1;
        memcpy(item, p, len);
        item[len] = '\0';
        if (parse_long(item, 1, &v) != 0 || v > INT_MAX)
            return -1;
        o->cpus[n++] = (int)v;
        if (!comma)
            break;
        p = comma + 1;
    }
    o->ncpus = n;
    return 0;
}

static int parse_benchtime(cb_options *o, const char *text)
{
    size_t len = strlen(text);
    if (len > 1 && text[len - 1] == 'x') {
        char num[32];
        long v;
        if (len - 1 >= sizeof num)
            return -1;
        memcpy(num, text, len - 1);
        num[len - 1] = '\0';
        if (!isdigit((unsigned char)num[0]) || parse_long(num, 1, &v) != 0)
            return -1;
        o->benchtime_n = v;
        return 0;
    }
    double s;
    if (cb_duration_parse(text, &s) != 0 || s <= 0)
        return -1;
    o->benchtime_s = s;
    o->benchtime_n = 0;
    return 0;
}

static int parse_bool(const char *text, bool *out)
{
    static const char *yes[] = {"1", "t", "true", "TRUE", "True"};
    static const char *no[] = {"0", "f", "false", "FALSE", "False"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcmp(text, yes[i]) == 0)
            return *out = true, 0;
        if (strcmp(text, no[i]) == 0)
            return *out = false, 0;
    }
    return -1;
}

/* A byte count: digits, then optionally KiB, MiB or GiB (K, M, G, and
 * the decimal kB, MB, GB are refused: one meaning per spelling). */
static int parse_size(const char *text, long *out)
{
    static const struct {
        const char *suffix;
        long mult;
    } units[] = {{"", 1}, {"KiB", 1L << 10}, {"MiB", 1L << 20}, {"GiB", 1L << 30}};
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*text))
        return -1;
    long v = strtol(text, &end, 10);
    for (size_t i = 0; !errno && i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(end, units[i].suffix) != 0)
            continue;
        if (v > LONG_MAX / units[i].mult)
            return -1;
        *out = v * units[i].mult;
        return 0;
    }
    return -1;
}

/* "K/N" with 1 <= K <= N: digits only, so "1/3 " or "+1/3" are refused. */
static int parse_shard(cb_options *o, const char *text)
{
    const char *slash = strchr(text, '/');
    char k[16];
    long vk, vn;
    if (!slash || (size_t)(slash - text) >= sizeof k)
        return -1;
    memcpy(k, text, (size_t)(slash - text));
    k[slash - text] = '\0';
    if (!isdigit((unsigned char)k[0]) || !isdigit((unsigned char)slash[1]) ||
        parse_long(k, 1, &vk) != 0 || parse_long(slash + 1, 1, &vn) != 0 || vk > vn ||
        vn > INT_MAX || strspn(slash + 1, "0123456789") != strlen(slash + 1) ||
        strspn(k, "0123456789") != strlen(k))
        return -1;
    o->shard_index = (int)vk;
    o->shard_total = (int)vn;
    return 0;
}

/* ---- patterns ---- */

/*
 * Checks a --run/--bench pattern: each element between the '/' and '|'
 * that Go's splitRegexp cuts at (outside brackets and parentheses, not
 * after a backslash) must compile as an extended regex. Matching names
 * is the runner's; only the errors matter here, before anything runs.
 */
static int check_pattern(const char *flag, const char *pattern, char *err, size_t errlen)
{
    int brackets = 0, parens = 0;
    const char *start = pattern;
    for (const char *p = pattern;; p++) {
        bool cut = !*p || ((*p == '/' || *p == '|') && !brackets && !parens);
        if (cut) {
            char *elem = cb_fault_strndup(start, (size_t)(p - start));
            if (!elem)
                return fail(err, errlen, "--%s: out of memory", flag);
            regex_t re;
            int e = regcomp(&re, elem, REG_EXTENDED | REG_NOSUB);
            if (e == 0) {
                regfree(&re);
            } else {
                char why[160];
                regerror(e, &re, why, sizeof why);
                free(elem);
                return fail(err, errlen, "--%s: bad regex \"%s\": %s", flag, pattern, why);
            }
            free(elem);
            if (!*p)
                return 0;
            start = p + 1;
        } else if (*p == '\\' && p[1]) {
            p++;
        } else if (*p == '[') {
            brackets++;
        } else if (*p == ']' && brackets) {
            brackets--;
        } else if (*p == '(' && !brackets) {
            parens++;
        } else if (*p == ')' && !brackets && parens) {
            parens--;
        }
    }
}

/* ---- the parser ---- */

static const flag_def *find_flag(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
            return &flags[i];
    return NULL;
}

bool cb_options_is_flag(const char *arg)
{
    if (arg[0] != '-' || !arg[1])
        return false;
    const char *name = arg + 1 + (arg[1] == '-');
    return find_flag(name, strcspn(name, "=")) != NULL;
}

static int set_flag(cb_options *o, const flag_def *d, const char *value, char *err, size_t errlen)
{
    char *field = (char *)o + d->offset;
    long v;
    double s;
    switch (d->type) {
    case FLAG_BOOL:
        if (parse_bool(value, (bool *)field) != 0)
            return fail(err, errlen, "--%s: not a boolean: \"%s\"", d->name, value);
        return 0;
    case FLAG_STRING:
        if (!*value)
            return fail(err, errlen, "--%s: empty value", d->name);
        *(const char **)field = value;
        return 0;
    case FLAG_REGEX:
        if (check_pattern(d->name, value, err, errlen) != 0)
            return -1;
        /* An empty pattern means "all" for --run and "none" for --bench,
         * as in Go; both are the NULL default. */
        *(const char **)field = *value ? value : NULL;
        return 0;
    case FLAG_BENCHTIME:
        if (parse_benchtime(o, value) != 0)
            return fail(err, errlen,
                        "--%s: \"%s\" is not a duration (1s, 500ms, 2m) or a count (500x)", d->name,
                        value);
        return 0;
    case FLAG_COUNT:
        if (parse_long(value, 1, &v) != 0 || v > INT_MAX)
            return fail(err, errlen, "--%s: \"%s\" is not a whole number >= 1", d->name, value);
        *(int *)field = (int)v;
        return 0;
    case FLAG_CPU:
        if (parse_cpus(o, value) != 0)
            return fail(err, errlen,
                        "--%s: \"%s\" is not a list of at most %d numbers >= 1 (1,2,4)", d->name,
                        value, CB_MAX_CPUS);
        return 0;
    case FLAG_RATE:
        if (parse_long(value, 0, &v) != 0)
            return fail(err, errlen, "--%s: \"%s\" is not a whole number >= 0", d->name, value);
        *(long *)field = v;
        return 0;
    case FLAG_FRACTION:
        if (parse_long(value, 0, &v) != 0 || v > INT_MAX)
            return fail(err, errlen, "--%s: \"%s\" is not a whole number >= 0", d->name, value);
        *(int *)field = (int)v;
        return 0;
    case FLAG_HZ:
        if (parse_long(value, 1, &v) != 0 || v > CB_MAX_CPU_HZ)
            return fail(err, errlen, "--%s: \"%s\" is not a rate from 1 to %d (Hz)", d->name,
                        value, CB_MAX_CPU_HZ);
        *(int *)field = (int)v;
        return 0;
    case FLAG_SIZE:
        if (parse_size(value, &v) != 0 || v < CB_OPTIONS_TRACERING_MIN)
            return fail(err, errlen,
                        "--%s: \"%s\" is not a size of at least 256KiB (bytes, KiB, MiB, GiB)",
                        d->name, value);
        *(long *)field = v;
        return 0;
    case FLAG_SHARD:
        if (parse_shard(o, value) != 0)
            return fail(err, errlen,
                        "--%s: \"%s\" is not K/N, shard K of N with 1 <= K <= N (1/3, 2/3, 3/3)",
                        d->name, value);
        return 0;
    case FLAG_DURATION:
        if (cb_duration_parse(value, &s) != 0)
            return fail(err, errlen, "--%s: \"%s\" is not a duration (30s, 10m, 0)", d->name,
                        value);
        *(double *)field = s;
        return 0;
    }
    return fail(err, errlen, "--%s: unsupported flag", d->name);
}

int cb_options_parse(cb_options *o, int argc, char **argv, int first, int *noperands, char *err,
                     size_t errlen)
{
    int nops = 0;
    bool flags_done = false;
    for (int i = first; i < argc; i++) {
        char *arg = argv[i];
        if (flags_done || arg[0] != '-' || arg[1] == '\0') {
            if (!noperands)
                return fail(err, errlen, "unexpected argument \"%s\"", arg);
            /* Operands move to the front, in order; flags already read
             * are no longer needed, so their slots can be reused. */
            argv[first + nops++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            flags_done = true;
            continue;
        }
        const char *name = arg + (arg[1] == '-' ? 2 : 1);
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const flag_def *d = find_flag(name, len);
        if (!d)
            return fail(err, errlen, "unknown flag: %.*s", (int)(name - arg + len), arg);
        const char *value = eq ? eq + 1 : NULL;
        if (!value && d->type == FLAG_BOOL)
            value = "true";
        if (!value) {
            if (i + 1 >= argc)
                return fail(err, errlen, "--%s: missing value (%s)", d->name, d->arg);
            value = argv[++i];
        }
        if (set_flag(o, d, value, err, errlen) != 0)
            return -1;
    }
    if (noperands)
        *noperands = nops;
    return 0;
}

/* "--flag=value" (or "-flag=value"): the form the command writes, one
 * flag a line, the value verbatim up to the line's end. */
static bool attached_value(const char *line)
{
    if (line[0] != '-')
        return false;
    const char *name = line + 1 + (line[1] == '-');
    size_t len = strspn(name, "abcdefghijklmnopqrstuvwxyz");
    return len && name[len] == '=';
}

/*
 * Splits [p, end) into words as a shell would: white space separates,
 * '...' keeps everything, "..." keeps everything but \ before \ " $ `,
 * and \ outside quotes keeps the next byte. Words are written back over
 * the text (they never grow) and appended to argv. Returns the new argc,
 * or -1 for an unclosed quote.
 */
static int shell_words(char *p, char *end, char **argv, int argc)
{
    char *out = p;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
            p++;
        if (p >= end)
            break;
        char *word = out;
        while (p < end && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            char c = *p++;
            if (c == '\\' && p < end) {
                *out++ = *p++;
            } else if (c == '\'') {
                while (p < end && *p != '\'')
                    *out++ = *p++;
                if (p++ >= end)
                    return -1;
            } else if (c == '"') {
                while (p < end && *p != '"') {
                    if (*p == '\\' && p + 1 < end && strchr("\\\"$`", p[1]))
                        p++;
                    *out++ = *p++;
                }
                if (p++ >= end)
                    return -1;
            } else {
                *out++ = c;
            }
        }
        /* The byte after a word is a separator (or the end): room for the
         * NUL, once the separator has been read. */
        if (p < end)
            p++;
        *out++ = '\0';
        argv[argc++] = word;
    }
    return argc;
}

int cb_options_split(const char *text, char ***argv_out, int *argc_out)
{
    size_t len = strlen(text);
    /* Upper bound: one word per two bytes, plus argv[0] and the NULL. */
    size_t maxwords = len / 2 + 3;
    size_t size = maxwords * sizeof(char *) + sizeof "cbench" + len + 1;
    char **argv = cb_fault_malloc(size);
    if (!argv) {
        errno = ENOMEM;
        return -1;
    }
    char *strings = (char *)(argv + maxwords);
    memcpy(strings, "cbench", sizeof "cbench");
    argv[0] = strings;
    char *copy = strings + sizeof "cbench";
    memcpy(copy, text, len + 1);
    int argc = 1;
    for (char *p = copy; *p && argc >= 0;) {
        /* A line at a time: lines may be indented, or come from a file
         * written on Windows. */
        p += strspn(p, "\n \t\r");
        if (!*p)
            break;
        char *end = p + strcspn(p, "\n");
        bool more = *end != '\0';
        if (attached_value(p)) {
            char *trim = end;
            while (trim > p && trim[-1] == '\r')
                trim--;
            *trim = '\0';
            argv[argc++] = p;
        } else {
            argc = shell_words(p, end, argv, argc);
        }
        p = more ? end + 1 : end;
    }
    if (argc < 0) {
        free(argv);
        errno = EINVAL;
        return -1;
    }
    argv[argc] = NULL;
    *argv_out = argv;
    *argc_out = argc;
    return 0;
}

void cb_options_usage(void *out_file, const char *prog, bool command)
{
    FILE *out = out_file;
    if (command)
        fprintf(out,
                "usage: %s [flags] [PATH...]   run the cbench test binaries at PATH (default .)\n"
                "       %s compare OLD NEW     compare two bench.txt or results.json files\n"
                "       %s top PROFILE         the functions that cost most in a pprof profile\n"
                "       %s flamegraph PROFILE  a pprof profile as an SVG flame graph\n"
                "       %s trace stats TRACE   summarize a trace.json (spans, time blocked)\n\n",
                prog, prog, prog, prog, prog);
    else
        fprintf(out, "usage: %s [flags]\n\n", prog);
    fprintf(out, "flags:\n");
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        const flag_def *d = &flags[i];
        if (!d->help || (d->command_only && !command))
            continue;
        char left[40];
        snprintf(left, sizeof left, "%s%s%s%s", strlen(d->name) == 1 ? "-" : "--", d->name,
                 d->arg ? " " : "", d->arg ? d->arg : "");
        fprintf(out, "  %-27s %s\n", left, d->help);
    }
}
