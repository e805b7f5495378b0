#!/usr/bin/env bash
# benchmarks.json read by the real compare.py of Google Benchmark
# (Debian's libbenchmark-tools), and its figures, and those of
# bencher.json and github-action-benchmark.json, checked against
# results.json: one entry per repetition, aggregates when --count > 1
# (mean, median, stddev, cv), none with one run.
#
#   test_benchmarks_json.sh CBENCH GATE_EXAMPLE
set -euo pipefail
cbench=$1 bin=$2
compare=/usr/share/benchmark/compare.py
[ -f $compare ] || { echo "FAIL: no $compare (scripts/install-deps.sh installs libbenchmark-tools)"; exit 1; }
work=$(mktemp -d /tmp/cbench-gbench-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin"
cp "$bin" "$work/bin/gate_example"
for run in a b; do
    "$cbench" --bench . --benchmem --benchtime 20ms --count 3 --cpu 1,2 --outdir "$work/$run" \
        "$work/bin" >/dev/null
done
"$cbench" --bench . --benchtime 10ms --count 1 --cpu 1 --outdir "$work/one" "$work/bin" >/dev/null

# The real compare.py (Debian's python3, which has scipy), with its U test.
/usr/bin/python3 $compare --no-color benchmarks "$work/a/benchmarks.json" "$work/b/benchmarks.json" \
    >"$work/compare.txt"
cat "$work/compare.txt"
for name in gate_example/BenchmarkChecksum gate_example/BenchmarkChecksum/threads:2; do
    for suffix in "" _pvalue _mean _median _stddev _cv; do
        grep -qE "^$name$suffix +[-+]?[0-9.]+ +[-+]?[0-9.]+" "$work/compare.txt" ||
            { echo "FAIL: compare.py shows no $name$suffix"; exit 1; }
    done
done
grep -qE "^OVERALL_GEOMEAN" "$work/compare.txt" || { echo "FAIL: no geomean"; exit 1; }
/usr/bin/python3 $compare --no-color benchmarks "$work/one/benchmarks.json" "$work/one/benchmarks.json" \
    >/dev/null

python3 - "$work" <<'PY'
import json, statistics, sys
work = sys.argv[1]
def load(p): return json.load(open(f"{work}/{p}"))
res = [r for r in load("a/results.json")["records"] if r["kind"] == "bench"]
gb = load("a/benchmarks.json")
ctx = gb["context"]
for key in ("date", "host_name", "executable", "num_cpus", "mhz_per_cpu", "cpu_scaling_enabled",
            "caches", "load_avg", "library_build_type"):
    assert key in ctx, key
assert ctx["executable"] == "gate_example"
entries = gb["benchmarks"]
for procs, name in ((1, "gate_example/BenchmarkChecksum"), (2, "gate_example/BenchmarkChecksum/threads:2")):
    runs = [r for r in res if r["procs"] == procs]
    its = [e for e in entries if e["run_name"] == name and e["run_type"] == "iteration"]
    assert len(runs) == 3 and len(its) == 3, (len(runs), len(its))
    for i, (r, e) in enumerate(zip(runs, its)):
        m = {x["unit"]: x["value"] for x in r["metrics"]}
        assert e["name"] == name and e["repetition_index"] == i and e["repetitions"] == 3
        assert e["threads"] == procs and e["iterations"] == r["n"] and e["time_unit"] == "ns"
        assert abs(e["real_time"] - m["ns/op"]) <= 1e-9 * m["ns/op"], (e, m)
        assert abs(e["cpu_time"] - r["cpu_s"] * 1e9 / r["n"]) <= 1e-6 * e["cpu_time"]
        assert 0 < e["cpu_time"] < 100 * e["real_time"]
        assert e["B/op"] == m["B/op"] and e["allocs/op"] == m["allocs/op"]
    real = [e["real_time"] for e in its]
    agg = {e["aggregate_name"]: e for e in entries if e["run_name"] == name and e["run_type"] == "aggregate"}
    assert sorted(agg) == ["cv", "mean", "median", "stddev"], agg.keys()
    assert abs(agg["mean"]["real_time"] - statistics.mean(real)) < 1e-6 * statistics.mean(real)
    assert abs(agg["median"]["real_time"] - statistics.median(real)) < 1e-6 * statistics.median(real)
    assert abs(agg["stddev"]["real_time"] - statistics.stdev(real)) < 1e-6 * statistics.mean(real)
    assert abs(agg["cv"]["real_time"] - statistics.stdev(real) / statistics.mean(real)) < 1e-9
    assert agg["cv"]["aggregate_unit"] == "percentage" and agg["mean"]["aggregate_unit"] == "time"
    assert agg["mean"]["name"] == name + "_mean" and agg["mean"]["iterations"] == 3
    # Bencher's metric format and github-action-benchmark's JSON: the medians.
    key = "gate_example/BenchmarkChecksum" + ("-2" if procs == 2 else "")
    bmf = load("a/bencher.json")[key]
    lat = sorted(real)
    assert bmf["latency"] == {"value": lat[1], "lower_value": lat[0], "upper_value": lat[2]}, bmf
    assert bmf["allocs-per-op"]["value"] == 1 and "b-per-op" in bmf
    gab = {e["name"]: e for e in load("a/github-action-benchmark.json")}
    e = gab[key + " - ns/op"]
    assert e["unit"] == "ns/op" and e["value"] == lat[1] and e["range"].startswith("\u00b1 ")
    assert gab[key + " - allocs/op"]["value"] == 1
one = load("one/benchmarks.json")["benchmarks"]
assert len(one) == 1 and one[0]["run_type"] == "iteration" and one[0]["repetitions"] == 1, one
print("benchmarks.json, bencher.json, github-action-benchmark.json: ok")
PY
