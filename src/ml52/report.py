"""The race report: one HTML page, one section per lesson (idea, problem, result vs bar, figures, the
source files to read), written atomically next to the figures it shows."""

from __future__ import annotations

import html
import os
from pathlib import Path

from ml52.io import write_atomic
from ml52.lesson import Lesson

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } .summary { font-size: 1.1em; }
section.lesson { border-top: 1px solid #ccc; padding: 1em 0; }
.pass { color: #176d2c; } .fail { color: #b00020; }
table { border-collapse: collapse; margin: 0.5em 0; } td, th { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; }
img { max-width: 100%; display: block; margin: 0.5em 0; border: 1px solid #eee; }
code, pre { background: #f6f6f6; } pre { padding: 0.5em; white-space: pre-wrap; }
"""


def _fmt(x) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    return html.escape(str(x))


def _section(lesson: Lesson, result: dict, out: Path) -> str:
    e = html.escape
    ok = result["passed"]
    rows = []
    bar_of = {b["metric"]: b for b in result["bars"]}
    names = list(result["metrics"]) + [k for k in result["reference"]["metrics"] if k not in result["metrics"]]
    for name in names:
        b = bar_of.get(name)
        btxt = f"{e(b['op'])} {_fmt(b['value'])} {'✓' if b['passed'] else '✗'}" if b else ""
        rows.append(f"<tr><td>{e(name)}</td><td>{_fmt(result['metrics'].get(name, ''))}</td>"
                    f"<td>{_fmt(result['reference']['metrics'].get(name, ''))}</td><td>{btxt}</td></tr>")
    figures = []
    for f in result["figures"]:
        rel = os.path.relpath(Path(f).resolve(), out.resolve())
        figures.append(f'<img src="{e(Path(rel).as_posix())}" alt="{e(Path(f).stem)}">')
    notes = "".join(f"<pre>{e(n)}</pre>" for n in result.get("notes", []))
    error = f'<p class="fail">Error: {e(result["error"])}</p>' if result.get("error") else ""
    sources = "".join(f"<li><code>ml52/{e(s)}</code></li>" for s in lesson.sources)
    return f"""
<section class="lesson" id="{e(lesson.slug)}">
<h2>{e(lesson.slug)}: {e(lesson.concept)} <small>({e(lesson.algorithm)})</small></h2>
<p><b>Idea.</b> {e(lesson.idea)}</p>
<p><b>Problem.</b> {e(lesson.problem)}</p>
<p><b>Data.</b> {e(lesson.data)}</p>
<p class="{'pass' if ok else 'fail'}"><b>{'Bar met' if ok else 'Bar missed'}</b> in {result['seconds']:.1f} s
(budget {lesson.budget:g} s, seed {result['seed']}).</p>{error}
<table><tr><th>metric</th><th>ml52</th><th>{e(result['reference']['name'] or 'reference')}</th><th>bar</th></tr>
{''.join(rows)}</table>
{notes}
{''.join(figures)}
<p><b>Read next:</b></p><ul>{sources}</ul>
</section>"""


def write_report(lessons: list[Lesson], results: list[dict], out: Path, total_seconds: float) -> Path:
    """Write `<out>/report.html` and return its path."""
    out = Path(out)
    by_slug = {r["lesson"]: r for r in results}
    n_ok = sum(r["passed"] for r in results)
    sections = "".join(_section(le, by_slug[le.slug], out) for le in lessons if le.slug in by_slug)
    index = "".join(
        f'<tr><td><a href="#{html.escape(le.slug)}">{html.escape(le.slug)}</a></td><td>{html.escape(le.concept)}</td>'
        f'<td class="{"pass" if by_slug[le.slug]["passed"] else "fail"}">{"met" if by_slug[le.slug]["passed"] else "missed"}</td>'
        f'<td>{by_slug[le.slug]["seconds"]:.1f}</td></tr>'
        for le in lessons if le.slug in by_slug)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ml52 race report</title><style>{STYLE}</style></head>
<body>
<h1>ml52 race report</h1>
<p class="summary {'pass' if n_ok == len(results) else 'fail'}">{n_ok} of {len(results)} lessons met their bars
in {total_seconds:.1f} s (target 52 s).</p>
<table><tr><th>lesson</th><th>idea</th><th>bar</th><th>seconds</th></tr>{index}</table>
{sections}
</body></html>
"""
    return write_atomic(out / "report.html", page)
