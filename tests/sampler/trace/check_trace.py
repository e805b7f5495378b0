#!/usr/bin/env python3
"""Checks a cbench trace with Python's own JSON parser (independent of
cbench's reader and writer).

    check_trace.py TRACE [--partial] [--expect NAME]... [--absent NAME]...
                         [--thread-name NAME]...

A complete trace must parse as is. --partial: the trace was cut short by
a crash, so it must NOT end with "]" and must parse once "]" is appended
(what viewers do). Then, per thread: timestamps never go back and B/E
spans nest with matching names (in a partial trace spans may stay open).
--expect: an event with that name exists; --absent: none does;
--thread-name: some thread has that name.
"""
import json
import sys


def main(argv):
    path = argv[1]
    partial = "--partial" in argv
    expect, absent, tnames = [], [], []
    i = 2
    while i < len(argv):
        if argv[i] == "--expect":
            expect.append(argv[i + 1]); i += 2
        elif argv[i] == "--absent":
            absent.append(argv[i + 1]); i += 2
        elif argv[i] == "--thread-name":
            tnames.append(argv[i + 1]); i += 2
        else:
            i += 1
    text = open(path, encoding="utf-8").read()
    if partial:
        if text.rstrip().endswith("]"):
            return "a partial trace ends with ']'"
        try:
            json.loads(text)
            return "a partial trace parsed without its closing bracket"
        except ValueError:
            pass
        events = json.loads(text.rstrip().rstrip(",") + "]")
    else:
        events = json.loads(text)
    if not isinstance(events, list) or not events:
        return "not a non-empty array"
    last, stacks = {}, {}
    for n, e in enumerate(events):
        ph = e.get("ph")
        if ph in ("M", "P", "C") or e.get("s") == "p":
            continue
        tid, ts = e["tid"], e["ts"]
        if ts < last.get(tid, -1):
            return f"event {n} on tid {tid} goes back in time"
        last[tid] = ts
        st = stacks.setdefault(tid, [])
        if ph == "B":
            st.append(e["name"])
        elif ph == "E":
            if not st or st.pop() != e.get("name"):
                return f"event {n}: E {e.get('name')} does not close the open span"
    if not partial:
        for tid, st in stacks.items():
            if st:
                return f"tid {tid} ends with spans open: {st}"
    names = {e.get("name") for e in events}
    for name in expect:
        if name not in names:
            return f"no event named {name!r}"
    for name in absent:
        if name in names:
            return f"an event named {name!r}"
    threads = {e["args"]["name"] for e in events
               if e.get("ph") == "M" and e.get("name") == "thread_name"}
    for name in tnames:
        if name not in threads:
            return f"no thread named {name!r} (have {sorted(threads)})"
    return None


if __name__ == "__main__":
    err = main(sys.argv)
    if err:
        print(f"check_trace.py {sys.argv[1]}: {err}", file=sys.stderr)
        sys.exit(1)
