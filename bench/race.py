"""Benchmark the race: run `ml52 race --json` three times and report per-lesson median seconds.

    .venv/bin/python bench/race.py [--runs 3] [--jobs N] [--write bench/RESULTS.md] [--label "after"]

The wall time of each whole command (interpreter start to report written) is measured from outside too.
Timing belongs here, not in the tests: the machines are shared and noisy, so compare medians of runs made
in the same session. With --write, a dated section is appended to the results file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_race(jobs: int | None, only: str) -> tuple[dict, float]:
    out = tempfile.mkdtemp(prefix="ml52-bench-")
    cmd = [str(ROOT / ".venv" / "bin" / "ml52"), "race", "--json", "--out", out]
    if jobs is not None:
        cmd += ["--jobs", str(jobs)]
    if only:
        cmd += ["--only", only]
    start = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if r.returncode not in (0, 1):
        sys.exit(f"race failed: {r.stderr[-2000:]}")
    return json.loads(r.stdout), wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--only", default="")
    ap.add_argument("--write", default="", help="append a results section to this Markdown file")
    ap.add_argument("--label", default="", help="a label for the section (e.g. before/after)")
    args = ap.parse_args()

    runs = []
    for i in range(args.runs):
        summary, wall = one_race(args.jobs, args.only)
        runs.append((summary, wall))
        print(f"run {i + 1}: total {summary['total_seconds']:.1f} s (wall {wall:.1f} s), "
              f"passed={summary['passed']}", flush=True)

    slugs = [x["lesson"] for x in runs[0][0]["lessons"]]
    rows = []
    for slug in slugs:
        per = [next(x for x in s["lessons"] if x["lesson"] == slug) for s, _ in runs]
        held = sum(x["passed"] for x in per)
        rows.append((slug, statistics.median(x["seconds"] for x in per), per[0]["budget"], f"{held}/{len(per)}"))
    total = statistics.median(s["total_seconds"] for s, _ in runs)
    wall = statistics.median(w for _, w in runs)
    all_held = all(s["passed"] for s, _ in runs)
    lines = [f"| lesson | median s | budget s | bars held |", "|---|---:|---:|---|"]
    lines += [f"| {slug} | {sec:.2f} | {budget:g} | {held} |" for slug, sec, budget, held in rows]
    lines += [f"| **total (race clock)** | **{total:.1f}** | 52 | {'all' if all_held else 'NOT all'} |",
              f"| total (wall, from outside) | {wall:.1f} | | |"]
    table = "\n".join(lines)
    print(table)
    if args.write:
        jobs = runs[0][0].get("jobs", args.jobs)
        head = (f"\n## {args.label or 'run'}: {dt.date.today().isoformat()}, {os.cpu_count()} cores, "
                f"{platform.machine()}, Python {platform.python_version()}, {args.runs} runs, jobs={jobs}\n\n")
        with open(args.write, "a", encoding="utf-8") as f:
            f.write(head + table + "\n")


if __name__ == "__main__":
    main()
