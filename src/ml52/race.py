"""Running lessons for a person: `ml52 list`, `ml52 learn` (one lesson, explained) and `ml52 race`
(every lesson back to back with a live scoreboard against the 52-second target, then an HTML report).

The lessons themselves know nothing of Rich: they call `ctx.progress(fraction, message)` and this module
draws it.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path

from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from ml52.errors import UserError
from ml52.lesson import Lesson, run_lesson

TARGET_SECONDS = 52.0
PACKAGE_DIR = Path(__file__).resolve().parent


def source_paths(lesson: Lesson) -> list[str]:
    """The files a learner should read next, as paths they can open."""
    return [str(PACKAGE_DIR / s) for s in lesson.sources]


def _fmt(x) -> str:
    if isinstance(x, bool) or x is None:
        return str(x)
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return f"{x:.4g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.2e}"
    return str(x)


def bars_text(result: dict) -> str:
    parts = []
    for b in result["bars"]:
        mark = "✓" if b["passed"] else "✗"
        parts.append(f"{b['metric']} {_fmt(result['metrics'].get(b['metric']))} {b['op']} {_fmt(b['value'])} {mark}")
    return "; ".join(parts)


def print_list(all_lessons: list[Lesson]) -> None:
    table = Table(title="ml52 lessons", show_lines=False)
    for col in ("slug", "concept", "algorithm", "problem", "data", "metric", "bar"):
        table.add_column(col, overflow="fold")
    for le in all_lessons:
        table.add_row(le.slug, le.concept, le.algorithm, le.problem, le.data, le.metric,
                      "; ".join(str(b) for b in le.bars))
    Console(width=max(160, Console().width)).print(table)


def _run_guarded(lesson: Lesson, **kw) -> dict:
    """Run a lesson; in a race a failing lesson is recorded, not fatal."""
    start = time.perf_counter()
    try:
        return run_lesson(lesson, **kw)
    except UserError as exc:
        error = str(exc)
    except Exception as exc:  # noqa: BLE001 - the race goes on; the error is shown and recorded
        if os.environ.get("ML52_DEBUG"):
            raise
        error = f"{type(exc).__name__}: {exc} (set ML52_DEBUG=1 for the traceback)"
        traceback.print_exc(file=sys.stderr)
    return {"lesson": lesson.slug, "seed": kw.get("seed"), "metrics": {},
            "bars": [{"metric": b.metric, "op": b.op, "value": b.value, "passed": False} for b in lesson.bars],
            "passed": False, "seconds": round(time.perf_counter() - start, 3), "budget": lesson.budget,
            "reference": {"name": "", "metrics": {}}, "figures": [], "notes": [], "error": error}


def learn(lesson: Lesson, *, seed: int, out: Path, device: str, options=None, as_json: bool = False) -> dict:
    """One lesson: the idea and the problem, a progress bar, the result beside bar and reference."""
    console = Console(stderr=as_json)
    console.print(f"[bold]{lesson.slug}[/bold]: {lesson.concept} ({lesson.algorithm})")
    console.print(f"[bold]Idea.[/bold] {lesson.idea}")
    console.print(f"[bold]Problem.[/bold] {lesson.problem}")
    console.print(f"[bold]Data.[/bold] {lesson.data}")
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), TextColumn("{task.fields[note]}"), console=console, transient=False) as bar:
        task = bar.add_task(lesson.slug, total=1.0, note="")
        result = run_lesson(lesson, seed=seed, out=out, device=device, options=options,
                            report=lambda f, m="": bar.update(task, completed=f, note=m))
    if as_json:
        print(json.dumps(result, indent=2))
        return result
    table = Table(show_header=True)
    table.add_column("metric")
    table.add_column("ml52", justify="right")
    table.add_column(result["reference"]["name"] or "reference", justify="right")
    table.add_column("bar")
    bar_of = {b["metric"]: b for b in result["bars"]}
    names = list(result["metrics"]) + [k for k in result["reference"]["metrics"] if k not in result["metrics"]]
    for name in names:
        b = bar_of.get(name)
        btxt = f"{b['op']} {_fmt(b['value'])} {'✓' if b['passed'] else '✗'}" if b else ""
        table.add_row(name, _fmt(result["metrics"].get(name, "")), _fmt(result["reference"]["metrics"].get(name, "")), btxt)
    console.print(table)
    for note in result["notes"]:
        console.print(note, markup=False, highlight=False)
    verdict = "[green]bar met[/green]" if result["passed"] else "[red]bar missed[/red]"
    console.print(f"{verdict} in {result['seconds']:.1f} s (budget {lesson.budget:g} s)")
    console.print("[bold]Figures:[/bold] " + ", ".join(result["figures"]))
    console.print("[bold]Read next:[/bold]")
    for p in source_paths(lesson):
        console.print(f"  {p}", markup=False, highlight=False)
    return result


def _scoreboard(lessons: list[Lesson], state: dict, t0: float) -> Table:
    table = Table(title="ml52 race: every idea, every bar, 52 seconds")
    table.add_column("lesson")
    table.add_column("progress", width=16, no_wrap=True)
    table.add_column("result vs bar", overflow="fold")
    table.add_column("seconds", justify="right")
    for le in lessons:
        s = state[le.slug]
        frac = 1.0 if "result" in s else s.get("fraction", 0.0)
        filled = int(round(frac * 10))
        bar = Text("█" * filled + "░" * (10 - filled) + f" {frac * 100:3.0f}%")
        if "result" in s:
            r = s["result"]
            res = Text(r.get("error") or bars_text(r), style="green" if r["passed"] else "red")
            secs = f"{r['seconds']:.1f}/{le.budget:g}"
        elif "start" in s:
            res = Text(s.get("note", ""), style="cyan")
            secs = f"{time.perf_counter() - s['start']:.1f}/{le.budget:g}"
        else:
            res, secs = Text("waiting", style="dim"), f"-/{le.budget:g}"
        table.add_row(le.slug, bar, res, secs)
    total = time.perf_counter() - t0
    style = "green" if total <= TARGET_SECONDS else "red"
    table.add_row(Text("total", style="bold"), "", "", Text(f"{total:.1f}/{TARGET_SECONDS:g}", style=style))
    return table


def _limit_threads(threads: int) -> None:
    """Pin NumPy's BLAS and PyTorch to `threads` threads, so two lessons side by side don't fight."""
    os.environ["OMP_NUM_THREADS"] = str(threads)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
    except ImportError:
        pass
    import torch

    torch.set_num_threads(threads)


def _worker(tasks, events, seed, out, device, threads) -> None:
    """A race worker process: takes lesson slugs from `tasks`, sends progress and results to `events`."""
    from ml52 import lessons as catalogue

    _limit_threads(threads)
    while (slug := tasks.get()) is not None:
        last = [0.0]

        def report(fraction, message="", slug=slug):
            now = time.perf_counter()
            if now - last[0] > 0.1 or fraction >= 1.0:     # at most ten updates a second per lesson
                last[0] = now
                events.put(("progress", slug, fraction, message))

        events.put(("start", slug, 0.0, ""))
        result = _run_guarded(catalogue.load(slug), seed=seed, out=out, device=device, report=report)
        events.put(("done", slug, result, ""))


def default_jobs() -> int:
    """Two lessons at a time on a machine with two or more cores: each gets its own core."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def race(lessons: list[Lesson], *, seed: int, out: Path, device: str, as_json: bool = False,
         t0: float | None = None, jobs: int = 1) -> dict:
    """Every lesson with a live scoreboard; then the HTML report.

    With jobs > 1, lessons run in that many worker processes (longest budget first, so the two cores
    finish together), each pinned to its share of the cores. Each lesson's numbers depend only on its
    seed, not on which worker ran it or when.
    """
    from ml52.report import write_report

    t0 = t0 if t0 is not None else time.perf_counter()
    console = Console(stderr=as_json)
    state: dict[str, dict] = {le.slug: {} for le in lessons}
    results: dict[str, dict] = {}
    with Live(_scoreboard(lessons, state, t0), console=console, refresh_per_second=4,
              transient=False) as live:
        if jobs <= 1 or len(lessons) <= 1:
            for le in lessons:
                state[le.slug]["start"] = time.perf_counter()

                def report(fraction, message="", slug=le.slug):
                    state[slug].update(fraction=fraction, note=message)
                    live.update(_scoreboard(lessons, state, t0))

                results[le.slug] = _run_guarded(le, seed=seed, out=out, device=device, report=report)
                state[le.slug].update(result=results[le.slug])
                live.update(_scoreboard(lessons, state, t0))
        else:
            import multiprocessing as mp

            ctx = mp.get_context("spawn")            # a clean interpreter: safe with PyTorch's threads
            tasks, events = ctx.Queue(), ctx.Queue()
            for le in sorted(lessons, key=lambda le: -le.budget):
                tasks.put(le.slug)
            threads = max(1, (os.cpu_count() or 1) // jobs)
            workers = [ctx.Process(target=_worker, args=(tasks, events, seed, str(out), device, threads), daemon=True)
                       for _ in range(jobs)]
            for w in workers:
                tasks.put(None)
                w.start()
            while len(results) < len(lessons):
                try:
                    kind, slug, value, message = events.get(timeout=0.25)
                except Exception:                    # queue.Empty: just redraw the clock
                    if not any(w.is_alive() for w in workers):
                        raise RuntimeError("race workers stopped before every lesson finished") from None
                    live.update(_scoreboard(lessons, state, t0))
                    continue
                if kind == "start":
                    state[slug]["start"] = time.perf_counter()
                elif kind == "progress":
                    state[slug].update(fraction=value, note=message)
                else:
                    results[slug] = value
                    state[slug].update(result=value)
                live.update(_scoreboard(lessons, state, t0))
            for w in workers:
                w.join(timeout=10)
        ordered = [results[le.slug] for le in lessons]
        report = write_report(lessons, ordered, out, total_seconds=time.perf_counter() - t0)
        total = time.perf_counter() - t0
        live.update(_scoreboard(lessons, state, t0))
    summary = {"lessons": ordered, "total_seconds": round(total, 3), "jobs": jobs,
               "passed": all(r["passed"] for r in ordered), "report": str(report)}
    if as_json:
        print(json.dumps(summary, indent=2))
    else:
        console.print()
        n_ok = sum(r["passed"] for r in ordered)
        verdict = ("[green]every bar met[/green]" if summary["passed"]
                   else f"[red]{len(ordered) - n_ok} lesson(s) missed a bar[/red]")
        console.print(f"{verdict}: {n_ok}/{len(ordered)} in {total:.1f} s (target {TARGET_SECONDS:g} s)")
        console.print(f"Report: {report}")
    return summary
