#!/usr/bin/env python3
"""The cbench command walked through allocation failure.

The command built over the countdown (sampler/base/fault.h, CB_FAULTS)
fails the nth allocation it makes when CBENCH_FAULT_AT=n is set (and every
later one with CBENCH_FAULT_PERSIST=1), and says so on stderr. This runs it
over three fake test binaries (one passing with a benchmark, one failing,
one crashing) with n = 1, 2, 3, ... until a run completes without reaching
the countdown, so that every allocation site of the run fails once, and
then the run with --report against a baseline, `cbench compare` (with a
gate and markdown), `cbench top`, `cbench flamegraph` and `cbench merge`
(two tiny repeated runs whose profiles and traces meet) the same way.

After each failure the command must have ended with an error (exit status
1 or 2, "out of memory" on stderr, no signal, no sanitizer report), and
each result file must be either the one that was there before, untouched,
or complete: the same as the reference run's but for times. No temporary
file may be left beside them.

    test_faults.py CBENCH_WITH_FAULTS FAKE_DIR PPROF_GEN
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

cbench, fakes = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
pprof_gen = os.path.abspath(sys.argv[3])
work = tempfile.mkdtemp(prefix="cbench-faults-")
os.makedirs(os.path.join(work, "suite"))
for fake, name in (("pass", "a_pass"), ("fail", "b_fail"), ("crash", "c_crash")):
    shutil.copy(os.path.join(fakes, "cli_fake_" + fake), os.path.join(work, "suite", name))

env = dict(os.environ)
# The fake crash dies of its signal, not in a sanitizer's handler.
env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "handle_segv=0"]))
RESULT_FILES = ("results.json", "bench.txt", "junit.xml")
OLD = "old contents\n"
MAX_STEPS = 20000
failures = []


def run(args, n, persist=False):
    """Runs the command with the countdown at n (0: counting only)."""
    e = dict(env)
    e["CBENCH_FAULT_AT"] = str(n if n else 10**12)
    e["CBENCH_FAULT_PERSIST"] = "1" if persist else "0"
    return subprocess.run([cbench] + args, env=e, cwd=work, capture_output=True, text=True,
                          errors="replace", timeout=300)


def counts(stderr):
    m = re.search(r"cbench-fault: (\d+) allocations checked, (\d+) failed", stderr)
    if not m:
        raise SystemExit("no countdown report on stderr (a build without CB_FAULTS?):\n" + stderr)
    return int(m.group(1)), int(m.group(2))


def normal_form(name, text):
    """What must not change between two runs: the file without its times."""
    if name == "results.json":
        doc = json.loads(text)
        doc.pop("started", None)
        for rec in doc["records"]:
            rec.pop("elapsed_s", None)
        return json.dumps(doc, sort_keys=True)
    if name == "junit.xml":
        root = ET.fromstring(text)
        for el in root.iter():
            el.attrib.pop("time", None)
        return ET.tostring(root, encoding="unicode")
    return re.sub(r"\(\d+\.\d+s\)", "(t)", text)


def check_files(what, outdir, want):
    for f in RESULT_FILES:
        path = os.path.join(outdir, f)
        if not os.path.exists(path):
            failures.append(f"{what}: {f} is gone (the old one must stay)")
            continue
        text = open(path, encoding="utf-8", errors="replace").read()
        if text == OLD:
            continue
        try:
            got = normal_form(f, text)
        except Exception as e:  # a truncated file does not parse
            failures.append(f"{what}: {f} is not whole: {e}")
            continue
        if got != want[f]:
            failures.append(f"{what}: {f} differs from the reference run's")
    left = [f for f in os.listdir(outdir) if ".tmp" in f]
    if left:
        failures.append(f"{what}: temporary files left: {left}")


def check_failed_run(what, p):
    if p.returncode < 0:
        failures.append(f"{what}: killed by signal {-p.returncode}")
    elif p.returncode not in (1, 2):
        failures.append(f"{what}: exit status {p.returncode}, want 1 or 2")
    if "out of memory" not in p.stderr and "Cannot allocate memory" not in p.stderr:
        failures.append(f"{what}: no error message on stderr:\n{p.stderr}")


def walk(title, args, persist, judge):
    """Fails allocation 1, 2, 3, ... of the command; judge(what, p) checks
    each failing run. Returns the number of allocations of a whole run."""
    for n in range(1, MAX_STEPS):
        what = f"{title} (allocation {n}{', and on' if persist else ''})"
        p = run(args(n), n, persist)
        checked, failed = counts(p.stderr)
        if "Sanitizer" in p.stderr or "runtime error" in p.stderr:
            failures.append(f"{what}: a sanitizer report:\n{p.stderr}")
        if not failed:
            print(f"{title:44} {'persistent' if persist else 'one':10} {checked:4} allocations; "
                  f"{n - 1:4} runs, each ended in an error")
            return checked
        check_failed_run(what, p)
        judge(what, p)
        if len(failures) > 20:
            break
    return 0


# ---- the run over the suite ----
out = os.path.join(work, "out")


def reset_outdir():
    """The outdir holding old result files, which a failed run must keep."""
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    for f in RESULT_FILES:
        with open(os.path.join(out, f), "w") as o:
            o.write(OLD)


def run_args(n):
    reset_outdir()
    return ["--bench", ".", "--outdir", out, "suite"]


def json_args(n):
    reset_outdir()
    return ["--json", "--bench", ".", "--outdir", out, "suite"]


ref = run(run_args(0), 0)
checked, _ = counts(ref.stderr)
if ref.returncode != 1 or not checked:
    raise SystemExit(f"reference run: exit status {ref.returncode}, {checked} allocations:\n"
                     + ref.stderr)
want = {f: normal_form(f, open(os.path.join(out, f)).read()) for f in RESULT_FILES}
shutil.copytree(out, os.path.join(work, "ref"))


def judge_run(what, p):
    check_files(what, out, want)


for persist in (False, True):
    walk("cbench --bench . suite", run_args, persist, judge_run)
walk("cbench --json --bench . suite", json_args, False, judge_run)

# ---- cbench compare ----
old = os.path.join(work, "ref", "bench.txt")
new = os.path.join(work, "ref", "results.json")
def cmp_args(n):
    return ["compare", old, new]



ref_cmp = run(cmp_args(0), 0)
if ref_cmp.returncode != 0 or "ns/op" not in ref_cmp.stdout:
    raise SystemExit("reference compare failed:\n" + ref_cmp.stdout + ref_cmp.stderr)


def judge_compare(what, p):
    if p.stdout:
        failures.append(f"{what}: printed a table although it failed:\n{p.stdout}")


for persist in (False, True):
    walk("cbench compare bench.txt results.json", cmp_args, persist, judge_compare)
walk("cbench compare --fail-above 5 --format markdown", lambda n: [
    "compare", "--fail-above", "5", "--format", "markdown", old, new], False, judge_compare)


# ---- the report ----
def report_args(n):
    reset_outdir()
    with open(os.path.join(out, "index.html"), "w") as o:
        o.write(OLD)
    return ["--bench", ".", "--outdir", out, "--baseline", new, "suite"]


def judge_report(what, p):
    check_files(what, out, want)
    page = open(os.path.join(out, "index.html"), encoding="utf-8", errors="replace").read()
    if page != OLD and not page.endswith("</html>\n"):
        failures.append(f"{what}: index.html is not whole")


walk("cbench --report --baseline results.json suite", report_args, False, judge_report)

# ---- top and flamegraph ----
profile = os.path.join(work, "small.pb.gz")
subprocess.run([pprof_gen, profile, "5", "5", "20"], check=True, capture_output=True)
svg = os.path.join(work, "flame.svg")
ref_top = run(["top", profile], 0)
if ref_top.returncode != 0 or "flat%" not in ref_top.stdout:
    raise SystemExit("reference top failed:\n" + ref_top.stdout + ref_top.stderr)


def judge_top(what, p):
    if p.stdout:
        failures.append(f"{what}: printed a report although it failed:\n{p.stdout[:300]}")


def flame_args(n):
    with open(svg, "w") as o:
        o.write(OLD)
    return ["flamegraph", "-o", svg, "--base", profile, profile]


def judge_flame(what, p):
    text = open(svg, encoding="utf-8", errors="replace").read()
    if text != OLD:
        failures.append(f"{what}: the SVG was changed although the command failed")
    left = [f for f in os.listdir(work) if ".tmp" in f]
    if left:
        failures.append(f"{what}: temporary files left: {left}")


for persist in (False, True):
    walk("cbench top", lambda n: ["top", profile], persist, judge_top)
walk("cbench flamegraph --base", flame_args, False, judge_flame)

# ---- merge ----
# Two folders of one tiny binary "x", as repeated runs: test t in both
# (its profile added up, its trace kept twice), a in one, b in the other.
header = json.load(open(os.path.join(work, "ref", "results.json")))
header["binaries"] = [{"name": "x", "build_id": "ab"}]
small = os.path.join(work, "tiny.pb.gz")
subprocess.run([pprof_gen, small, "3", "1", "20"], check=True, capture_output=True)


def merge_input(name, tests):
    d = os.path.join(work, name)
    records = []
    for t in tests:
        os.makedirs(os.path.join(d, "x", t))
        shutil.copy(small, os.path.join(d, "x", t, "cpu.pb.gz"))
        with open(os.path.join(d, "x", t, "trace.json"), "w") as o:
            o.write("[]\n")
        records.append({"kind": "test", "binary": "x", "name": t, "procs": 0, "status": "pass",
                        "elapsed_s": 0.001, "n": 0, "metrics": [], "limits": [],
                        "artifacts": {"cpu": f"x/{t}/cpu.pb.gz", "trace": f"x/{t}/trace.json"},
                        "message": None, "output": None})
    with open(os.path.join(d, "results.json"), "w") as o:
        json.dump(dict(header, records=records), o)
    return d


merged = os.path.join(work, "merged")
merge_cmd = ["merge", "--runs", merge_input("run1", ["t", "a"]), merge_input("run2", ["t", "b"]),
             "--outdir", merged]


def merge_args(n):
    shutil.rmtree(merged, ignore_errors=True)
    os.makedirs(merged)
    for f in RESULT_FILES:
        with open(os.path.join(merged, f), "w") as o:
            o.write(OLD)
    return merge_cmd


ref_merge = run(merge_args(0), 0)
if ref_merge.returncode != 0:
    raise SystemExit("reference merge failed:\n" + ref_merge.stdout + ref_merge.stderr)
want_merge = {f: normal_form(f, open(os.path.join(merged, f)).read()) for f in RESULT_FILES}


def judge_merge(what, p):
    check_files(what, merged, want_merge)
    for d, _, files in os.walk(merged):
        if any(".tmp" in f for f in files):
            failures.append(f"{what}: temporary files left in {d}")


for persist in (False, True):
    walk("cbench merge --runs", merge_args, persist, judge_merge)

shutil.rmtree(work, ignore_errors=True)
if failures:
    print("test_faults: %d failures:" % len(failures))
    for f in failures[:20]:
        print("  " + f)
    sys.exit(1)
print("test_faults: ok")
