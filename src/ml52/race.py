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
    table.add_column("progress", width=24)
    table.add_column("result vs bar", overflow="fold")
    table.add_column("seconds", justify="right")
    for le in lessons:
        s = state[le.slug]
        frac = s.get("fraction", 0.0)
        filled = int(round(frac * 20))
        bar = Text("█" * filled + "░" * (20 - filled) + f" {frac * 100:3.0f}%")
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


def race(lessons: list[Lesson], *, seed: int, out: Path, device: str, as_json: bool = False,
         t0: float | None = None) -> dict:
    """Every lesson back to back with a live scoreboard; then the HTML report."""
    from ml52.report import write_report

    t0 = t0 if t0 is not None else time.perf_counter()
    console = Console(stderr=as_json)
    state: dict[str, dict] = {le.slug: {} for le in lessons}
    results = []
    with Live(_scoreboard(lessons, state, t0), console=console, refresh_per_second=4,
              transient=False) as live:
        def report_for(slug):
            def report(fraction, message=""):
                state[slug].update(fraction=fraction, note=message)
                live.update(_scoreboard(lessons, state, t0))
            return report

        for le in lessons:
            state[le.slug]["start"] = time.perf_counter()
            result = _run_guarded(le, seed=seed, out=out, device=device, report=report_for(le.slug))
            state[le.slug].update(result=result, fraction=1.0 if result["passed"] else state[le.slug].get("fraction", 0))
            results.append(result)
            live.update(_scoreboard(lessons, state, t0))
        report = write_report(lessons, results, out, total_seconds=time.perf_counter() - t0)
        total = time.perf_counter() - t0
        live.update(_scoreboard(lessons, state, t0))
    summary = {"lessons": results, "total_seconds": round(total, 3),
               "passed": all(r["passed"] for r in results), "report": str(report)}
    if as_json:
        print(json.dumps(summary, indent=2))
    else:
        n_ok = sum(r["passed"] for r in results)
        verdict = "[green]every bar met[/green]" if summary["passed"] else f"[red]{len(results) - n_ok} lesson(s) missed a bar[/red]"
        console.print(f"{verdict}: {n_ok}/{len(results)} in {total:.1f} s (target {TARGET_SECONDS:g} s)")
        console.print(f"Report: {report}")
    return summary

