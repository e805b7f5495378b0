#!/usr/bin/env bash
# Checks results.json and junit.xml with readers cbench does not share
# code with: results.json against docs/results.schema.json with Python's
# jsonschema (Debian's python3-jsonschema), junit.xml with Python's
# xml.etree, and the counts of both against each other.
#
#   test_results_files.sh WRITER SCHEMA
#
# WRITER is tests/test_results_writer. jsonschema is a declared
# dependency (scripts/install-deps.sh): without it this test fails rather
# than skips.
set -euo pipefail

writer=$1
schema=$2

# The first Python that has jsonschema: the one on PATH, else Debian's.
python=
for candidate in python3 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import jsonschema' >/dev/null 2>&1; then
        python=$candidate
        break
    fi
done
if [[ -z $python ]]; then
    echo "test_results_files: no python3 with jsonschema; run scripts/install-deps.sh" \
        "(python3-jsonschema)" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$writer" files "$tmp"

# A program under test may call setlocale(): in a locale with a decimal
# comma, every file must still come out byte for byte the same.
if ! command -v localedef >/dev/null 2>&1 || [[ ! -e /usr/share/i18n/locales/de_DE ]]; then
    echo "test_results_files: localedef or the de_DE locale source is missing;" \
        "run scripts/install-deps.sh (locales)" >&2
    exit 1
fi
mkdir "$tmp/locale" "$tmp/comma"
localedef -i de_DE -f UTF-8 "$tmp/locale/de_DE.UTF-8" 2>/dev/null || true
[[ -d "$tmp/locale/de_DE.UTF-8" ]] || { echo "test_results_files: localedef failed" >&2; exit 1; }
LOCPATH="$tmp/locale" CBENCH_TEST_LOCALE=de_DE.UTF-8 "$writer" files "$tmp/comma"
for f in results.json bench.txt junit.xml; do
    cmp "$tmp/$f" "$tmp/comma/$f"
done
# The R lines are the helper's own printf, in the locale; the L lines are
# cbench's.
"$writer" lines 2000 | grep '^L' >"$tmp/lines"
LOCPATH="$tmp/locale" CBENCH_TEST_LOCALE=de_DE.UTF-8 "$writer" lines 2000 | grep '^L' >"$tmp/comma/lines"
cmp "$tmp/lines" "$tmp/comma/lines"
rm -rf "$tmp/locale" "$tmp/comma" "$tmp/lines"

"$python" - "$tmp" "$schema" <<'PY'
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

import jsonschema

out, schema_path = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


# --- results.json: strict UTF-8, strict JSON (no NaN), valid by the schema.
raw = open(os.path.join(out, "results.json"), "rb").read()
text = raw.decode("utf-8")  # raises on invalid UTF-8


def no_constants(name):
    raise ValueError("non-standard JSON constant " + name)


results = json.loads(text, parse_constant=no_constants)
schema = json.load(open(schema_path))
jsonschema.Draft202012Validator.check_schema(schema)
jsonschema.Draft202012Validator(schema).validate(results)

# A record the schema does not allow must be rejected: the schema checks.
broken = json.loads(text)
broken["records"][0]["status"] = "passed"
check(not jsonschema.Draft202012Validator(schema).is_valid(broken),
      "schema accepts an unknown status")

records = results["records"]
check(len(records) == 15, "15 records, got %d" % len(records))
summary = results["summary"]
count = lambda pred: sum(1 for r in records if pred(r))
check(summary["tests"] == count(lambda r: r["kind"] == "test"), "summary.tests")
check(summary["benchmarks"] == count(lambda r: r["kind"] == "bench"), "summary.benchmarks")
for status, key in (("pass", "passed"), ("fail", "failed"), ("skip", "skipped")):
    check(summary[key] == count(lambda r: r["status"] == status), "summary." + key)
check(summary["passed"] + summary["failed"] + summary["skipped"]
      == summary["tests"] + summary["benchmarks"], "summary adds up")
names = [r["name"] for r in records]
check("test_quote\"back\\slash" in names, "quotes and backslashes survive")
check("test_caf\u00e9_\u4e2d" in names, "non-ASCII survives")
check("test_bad_utf8_\ufffd" in names, "invalid UTF-8 becomes U+FFFD")
failed = [r for r in records if r["name"] == "test_quote\"back\\slash"][0]
check(failed["message"].startswith("line one\npkg: evil\n"), "message kept with newlines")
check("\x01\x02" in failed["message"], "control characters kept in JSON")
check(results["pkg"] == "tests", "pkg")
over = [r for r in records if r["name"] == "BenchmarkOverLimit"][0]
check(over["status"] == "fail" and over["metrics"], "a limit's failure keeps its metrics")
check(over["limits"] == [{"unit": "allocs/op", "below": 1, "breached": True},
                         {"unit": "MB/s", "above": 0.5, "breached": False}],
      "limits as written: %r" % over["limits"])
check(all(r["limits"] == [] for r in records if r is not over), "no limits: []")


# --- junit.xml: well-formed XML 1.0, counts as results.json says.
def xml_clean(s):
    """What XML 1.0 can hold of s: cbench drops the other characters."""
    return "".join(c for c in s if c in "\t\n\r" or
                   "\x20" <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd" or
                   c >= "\U00010000")


def go_name(r):
    """The benchmark's name as bench.txt and junit.xml print it."""
    name = r["name"] if r["name"].startswith("Benchmark") else "Benchmark" + r["name"]
    go_space = "\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000"
    name = "".join("_" if c in go_space or "\u2000" <= c <= "\u200a" else
                   ("\\x%02x" % ord(c) if ord(c) < 0x20 or c == "\x7f" else c) for c in name)
    return name + ("-%d" % r["procs"] if r["procs"] > 1 else "")


tree = ET.parse(os.path.join(out, "junit.xml"))
root = tree.getroot()
check(root.tag == "testsuites", "root is <testsuites>")
check(int(root.get("tests")) == len(records), "testsuites tests")
check(int(root.get("failures")) == summary["failed"], "testsuites failures")
check(int(root.get("skipped")) == summary["skipped"], "testsuites skipped")
binaries = []
for r in records:
    if r["binary"] not in binaries:
        binaries.append(r["binary"])
suites = root.findall("testsuite")
check([s.get("name") for s in suites] == binaries, "one suite per binary, in order")
for suite, binary in zip(suites, binaries):
    mine = [r for r in records if r["binary"] == binary]
    check(int(suite.get("tests")) == len(mine), binary + ": tests")
    check(int(suite.get("failures")) == sum(r["status"] == "fail" for r in mine), binary + ": failures")
    check(int(suite.get("skipped")) == sum(r["status"] == "skip" for r in mine), binary + ": skipped")
    check(abs(float(suite.get("time")) - sum(r["elapsed_s"] for r in mine)) < 1e-5, binary + ": time")
    cases = suite.findall("testcase")
    check(len(cases) == len(mine), binary + ": testcases")
    for case, r in zip(cases, mine):
        want = go_name(r) if r["kind"] == "bench" else xml_clean(r["name"])
        check(case.get("name") == want, "testcase name %r, want %r" % (case.get("name"), want))
        check(case.get("classname") == binary, "classname")
        float(case.get("time"))
        failure, skipped = case.find("failure"), case.find("skipped")
        check((failure is not None) == (r["status"] == "fail"), want + ": <failure>")
        check((skipped is not None) == (r["status"] == "skip"), want + ": <skipped>")
        if failure is not None and r["message"]:
            check(failure.get("message") == xml_clean(r["message"]), want + ": failure message")
            check(failure.text.startswith(xml_clean(r["message"])), want + ": failure text")
            if r["output"]:
                check(failure.text.endswith(xml_clean(r["output"])), want + ": output in failure")
        sysout = case.find("system-out")
        over = r["status"] == "fail" and any(l["breached"] for l in r["limits"])
        if r["kind"] == "bench" and (r["status"] == "pass" or over):
            check(sysout is not None and re.match(re.escape(go_name(r)) + r"\t +\d+\t", sysout.text),
                  want + ": result line in <system-out>")

if failures:
    print("test_results_files: %d failed checks:" % len(failures))
    for f in failures:
        print("  " + f)
    sys.exit(1)
print("test_results_files: ok (%d records, %d suites)" % (len(records), len(suites)))
PY
