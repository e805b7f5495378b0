#!/usr/bin/env python3
"""cbench_add_test's CTest properties, as CTest itself reports them
(`ctest --show-only=json-v1`): benchmark runs are RUN_SERIAL, so that
`ctest -j` never times two of them side by side, and plain test runs are
not, so that they stay parallel.

    test_add_test_serial.py BUILD_DIR
"""
import json
import subprocess
import sys

p = subprocess.run(["ctest", "--test-dir", sys.argv[1], "--show-only=json-v1"],
                   capture_output=True, text=True, check=True)
tests = {t["name"]: {x["name"]: x["value"] for x in t.get("properties", [])}
         for t in json.loads(p.stdout)["tests"]}
want = {
    "wordcount_test": False,            # plain: its tests only
    "wordcount_test_bench": True,       # BENCH
    "add_test_bench_args": True,        # ARGS --bench=.
    "add_test_plain_args": False,       # ARGS without --bench
}
bad = []
for name, serial in want.items():
    if name not in tests:
        bad.append(f"{name}: not registered")
        continue
    got = tests[name].get("RUN_SERIAL", False)
    if got != serial:
        bad.append(f"{name}: RUN_SERIAL {got}, want {serial}")
    if serial and "cbench_bench" not in tests[name].get("LABELS", []):
        bad.append(f"{name}: no label cbench_bench")
if bad:
    sys.exit("\n".join(bad))
print("cbench_add_test: benchmark runs serial, test runs parallel: ok")
