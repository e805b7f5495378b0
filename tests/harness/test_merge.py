#!/usr/bin/env python3
"""`cbench merge` against one unsharded run of the same binary.

Thirty tests, test k making k allocations of 100 bytes, and three
benchmarks at a fixed iteration count, profiled with --memprofilerate 1:
the allocs profiles are exact, so the merged shards must add up to what
one unsharded run records (465 allocations in the tests). The merged
folder must hold every test and benchmark once in every result file,
every profile must read in `go tool pprof` without a word on stderr, and
--runs must keep both repetitions and add their profiles up. Inputs that
do not belong together are refused, with exit status 2, and nothing
written.

    test_merge.py CBENCH SHARD_PROG heap|noheap

Under ASan (noheap) malloc is ASan's and there are no heap profiles: the
records and the CPU profiles are checked, the allocation counts are not.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

cbench, prog, heap = sys.argv[1], sys.argv[2], sys.argv[3] == "heap"
work = tempfile.mkdtemp(prefix="cbench-merge-")
os.chdir(work)
failures = []
BINARY = os.path.basename(prog)
FLAGS = (["--memprofile", "--memprofilerate", "1"] if heap else []) + [
    "--cpuprofile", "--cpuprofilerate", "1000", "--bench", ".", "--benchtime", "5x", "--cpu", "1"]


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def cbench_run(*args, want=0):
    p = subprocess.run([cbench, *args], capture_output=True, text=True)
    if p.returncode != want:
        raise SystemExit(f"cbench {' '.join(args)}: status {p.returncode}, want {want}\n"
                         f"{p.stdout}{p.stderr}")
    return p


def raw_totals(path):
    """Each sample type's total, as `go tool pprof -raw` prints the samples;
    pprof must say nothing on stderr."""
    p = subprocess.run(["go", "tool", "pprof", "-raw", path], capture_output=True, text=True)
    check(p.returncode == 0 and not p.stderr.strip(), f"pprof on {path}: {p.stderr}")
    lines = p.stdout.splitlines()
    start = lines.index("Samples:") + 2
    ntypes = len(lines[start - 1].split())
    tot = [0] * ntypes
    for line in lines[start:]:
        if not line.startswith(" "):
            break
        vals = line.split(":")[0].split()
        tot = [a + int(b) for a, b in zip(tot, vals)]
    return tot


def keyed(results):
    """Record key -> what must be equal between the merge and one run."""
    out = {}
    for r in results["records"]:
        key = (r["binary"], r["kind"], r["name"], r["procs"])
        out.setdefault(key, []).append((r["status"], r["n"], sorted(r["artifacts"]),
                                        [m["unit"] for m in r["metrics"]]))
    return out


def junit_names(path):
    return sorted(c.get("name") for c in ET.parse(path).iter("testcase"))


def bench_lines(path):
    return sorted(line.split()[0] for line in open(path) if line.startswith("Benchmark"))


for k in (1, 2, 3):
    cbench_run("--shard", f"{k}/3", *FLAGS, "--outdir", f"s{k}", prog)
cbench_run(*FLAGS, "--outdir", "full", prog)
cbench_run(*FLAGS, "--outdir", "full2", prog)

p = cbench_run("merge", "s1", "s2", "s3", "--outdir", "m")
check("merged 3 folders into m: 30 tests, 4 benchmarks, 0 failed" in p.stdout, p.stdout)
merged, full = json.load(open("m/results.json")), json.load(open("full/results.json"))

# Every test and benchmark once, with the same results, in every file.
check(keyed(merged) == keyed(full), "merged records differ from one run's")
check(all(len(v) == 1 for v in keyed(merged).values()), "a record is in the merge twice")
check(len([r for r in merged["records"] if r["kind"] == "test"]) == 30, "not 30 tests")
check(merged["summary"] == full["summary"], f"summary {merged['summary']} != {full['summary']}")
check(merged["shard"] is None, "the merge names a shard")
check(merged["binaries"] == full["binaries"], "binaries and build IDs differ")
check(merged["cbench_version"] == full["cbench_version"], "cbench version differs")
check(junit_names("m/junit.xml") == junit_names("full/junit.xml"), "junit.xml's cases differ")
check(bench_lines("m/bench.txt") == bench_lines("full/bench.txt"), "bench.txt's lines differ")
gb = lambda d: sorted(b["name"] for b in json.load(open(d + "/benchmarks.json"))["benchmarks"])
check(gb("m") == gb("full"), "benchmarks.json's benchmarks differ")
for f in ("bencher.json", "github-action-benchmark.json"):
    check(os.path.exists("m/" + f), f"no {f}")
check(not glob.glob("m/**/*.tmp*", recursive=True) and not glob.glob("m/**/.*tmp*", recursive=True),
      "temporary files left")

# Profiles: the tests' allocations exactly, and the binary's sums as one
# run's; every per-test profile copied whole.
tests_allocs = 0
for r in merged["records"]:
    for kind, rel in r["artifacts"].items():
        check(os.path.exists("m/" + rel), f"{rel} listed but not in the merge")
        t = raw_totals("m/" + rel)
        check(t == raw_totals(glob.glob(f"s?/{rel}")[0]), f"{rel} is not its shard's")
        if kind == "allocs" and r["kind"] == "test":
            k = int(r["name"].rsplit("_", 1)[1])
            check(t[:2] == [k, 100 * k], f"{rel}: {t[:2]}, want [{k}, {100 * k}]")
            tests_allocs += t[0]
check(tests_allocs == (465 if heap else 0), f"tests' allocations: {tests_allocs}, want 465")
for kind in ("allocs", "heap", "cpu") if heap else ("cpu",):
    got = raw_totals(f"m/{BINARY}/{kind}.pb.gz")
    parts = [raw_totals(f) for f in glob.glob(f"m/{BINARY}/*/{kind}.pb.gz")]
    check(got == [sum(c) for c in zip(*parts)], f"{kind}: the binary's sum is not its tests'")
    if kind != "cpu":  # CPU samples differ from run to run; allocations do not
        want = raw_totals(f"full/{BINARY}/{kind}.pb.gz")
        check(got == want, f"{kind}: merged {got}, one run {want}")

# Repeated runs: every repetition kept, their profiles added up.
cbench_run("merge", "--runs", "full", "full2", "--outdir", "runs")
runs = json.load(open("runs/results.json"))
check(all(len(v) == 2 for v in keyed(runs).values()), "--runs did not keep both repetitions")
check(len(runs["records"]) == 2 * len(full["records"]), "--runs lost records")
kind = "allocs" if heap else "cpu"
for rel in (f"{BINARY}/test_shard_7/{kind}.pb.gz", f"{BINARY}/{kind}.pb.gz"):
    want = [a + b for a, b in zip(raw_totals("full/" + rel), raw_totals("full2/" + rel))]
    check(raw_totals("runs/" + rel) == want, f"--runs: {rel} is not the two runs' sum")
if heap:
    check(raw_totals(f"runs/{BINARY}/test_shard_7/allocs.pb.gz")[:2] == [14, 1400],
          "--runs: test_shard_7's allocations not added up")

# A missing shard is said, and the merge goes on.
p = cbench_run("merge", "s1", "s3", "--outdir", "part")
check("shard 2/3 is not among the inputs" in p.stderr, "no note of the missing shard: " + p.stderr)


# Refused: exit status 2, a message, nothing written.
def tampered(name, edit):
    shutil.copytree("s2", name)
    d = json.load(open(f"{name}/results.json"))
    edit(d)
    json.dump(d, open(f"{name}/results.json", "w"))
    return name


def refused(args, message):
    p = cbench_run("merge", *args, "--outdir", "no", want=2)
    check(message in p.stderr, f"merge {args}: no \"{message}\" in: {p.stderr}")
    check(not os.path.exists("no/results.json"), f"merge {args} wrote files")


refused(["s1", "s1"], "are both shard 1/3: to merge repeated runs, use --runs")
refused(["full", "s1"], "of " + BINARY + " is in both full and s1")
refused(["full", "full2"], "is in both full and full2")
refused(["s1", tampered("v", lambda d: d.update(cbench_version="9.9.9"))],
        "by cbench 9.9.9: merge runs of one cbench version")
refused(["s1", tampered("b", lambda d: d["binaries"][0].update(build_id="00ff"))],
        BINARY + " is not the same build in s1 (build ID")
refused(["s1", tampered("o", lambda d: d.pop("cbench_version"))],
        "does not say which cbench wrote it")
refused(["s1", "nowhere"], "nowhere/results.json: No such file or directory")
refused(["s1", "s2", "--runs", "--bogus"], "unknown flag: --bogus")
p = cbench_run("merge", "s1", "s2", want=2)
check("--outdir OUT is required" in p.stderr, p.stderr)
p = cbench_run("merge", "s1", "s2", "--outdir", "s2", want=2)
check("is the input s2" in p.stderr, p.stderr)

shutil.rmtree(work, ignore_errors=True)
if failures:
    print("test_merge: %d failures:" % len(failures))
    for f in failures[:30]:
        print("  " + f)
    sys.exit(1)
print("test_merge: ok")
