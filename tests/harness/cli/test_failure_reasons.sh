#!/usr/bin/env bash
# Every failure's reason reaches results.json, junit.xml and bench.txt:
# a failed cmocka assertion (cmocka prints it; the record has none) gets
# "file:line: message" from the test's output, also after 3 MiB of
# output (the output kept is its first and last 512 KiB).
#
#   test_failure_reasons.sh CBENCH REASON_PROG
set -euo pipefail
cbench=$1 prog=$2
work=$(mktemp -d /tmp/cbench-reasons-XXXXXX)
trap 'rm -rf "$work"' EXIT
status=0
"$cbench" --outdir "$work/out" "$prog" > "$work/console.txt" 2>&1 || status=$?
[ "$status" -eq 1 ] || { echo "exit status $status, want 1"; cat "$work/console.txt"; exit 1; }
python3 - "$work/out" <<'PY'
import json, re, sys, xml.etree.ElementTree as ET
out = sys.argv[1]
recs = {r["name"]: r for r in json.load(open(out + "/results.json"))["records"]}
big, now = recs["prints_a_lot_then_fails"], recs["fails_at_once"]
assert recs["passes"]["message"] is None
want_big = re.compile(r".*reason_prog\.c:\d+: 0x29 != 0x2a$")
want_now = re.compile(r'.*reason_prog\.c:\d+: "apple" != "pear"$')
assert want_big.match(big["message"]), big["message"]
assert want_now.match(now["message"]), now["message"]
# The output kept: its start, the cut, and its end with cmocka's lines.
o = big["output"]
assert o.startswith("[ RUN      ] prints_a_lot_then_fails\n00000 x") or o.startswith("00000 x"), o[:80]
m = re.search(r"\n\[\.\.\. (\d+) bytes cut \.\.\.\]\n", o)
assert m and int(m.group(1)) > 2 << 20, "no cut note"
assert "[  ERROR   ] --- 0x29 != 0x2a" in o[-2000:], o[-500:]
assert len(o) < (1 << 20) + 200, len(o)

failures = {c.get("name"): c.find("failure") for c in ET.parse(out + "/junit.xml").iter("testcase")}
assert want_big.match(failures["prints_a_lot_then_fails"].get("message"))
assert want_now.match(failures["fails_at_once"].get("message"))
assert failures["passes"] is None

bench = open(out + "/bench.txt").read().split("\n")
for name, want in (("prints_a_lot_then_fails", want_big), ("fails_at_once", want_now)):
    i = next(i for i, l in enumerate(bench) if l.startswith("--- FAIL: " + name + " "))
    assert want.match(bench[i + 1].strip()), bench[i + 1]
print("failure reasons: ok")
PY
