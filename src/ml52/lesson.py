"""The lesson contract: what every lesson declares, what it gets when it runs, and what it returns.

A lesson is a problem solved by an idea. It declares, as plain data in a `Lesson`:
the idea in plain words, the problem, the data, the metric with its quality `Bar`s, a time budget (its
share of the race: seconds on one core, since the race runs two lessons at a time on a 2-core machine),
and the source files a learner should read next. Its `run(ctx)` function does
the work with the seed, output folder, device and progress callback in `ctx`, and returns an `Outcome`:
its metrics, the reference implementation's metrics, and the figures it saved.

`run_lesson` is the one place that times a lesson, checks its bars and builds the JSON object that
`ml52 learn --json` and `ml52 race --json` print. Lessons live in `ml52/lessons/`, one file each.
"""

from __future__ import annotations

import dataclasses
import math
import operator
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

OPS: dict[str, Callable[[float, float], bool]] = {">=": operator.ge, "<=": operator.le, "==": operator.eq}
DEFAULT_SEED = 52


@dataclass(frozen=True)
class Bar:
    """A quality bar: `metrics[metric] op value`, e.g. Bar("rmse_log", "<=", 0.115)."""

    metric: str
    op: str
    value: float

    def holds(self, metrics: dict[str, float]) -> bool:
        x = metrics.get(self.metric)
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return False
        return bool(OPS[self.op](x, self.value))

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


@dataclass(frozen=True)
class Lesson:
    """Everything a lesson declares; `run` does the work."""

    slug: str                 # the name on the command line: ml52 learn <slug>
    concept: str              # the idea from the post, e.g. "linear regression"
    algorithm: str            # what ml52 implements, e.g. "least squares (QR/SVD) + ridge"
    idea: str                 # at most three sentences, plain words
    problem: str              # the real problem it solves here
    data: str                 # the data set, and where it comes from offline
    metric: str               # the headline metric in words
    bars: tuple[Bar, ...]     # every bar must hold for the lesson to pass
    budget: float             # seconds on one core: its share of the race's 2 cores x 52 s (tests/test_cli.py)
    run: Callable[["Context"], "Outcome"]
    sources: tuple[str, ...]  # files to read next, relative to the ml52 package folder
    options: type | None = None  # a dataclass of lesson-specific options (the CLI is made from it)


@dataclass
class Context:
    """What a lesson gets to run with."""

    seed: int
    out: Path                 # this lesson's own folder for figures: <out>/<slug>/
    device: str = "cpu"       # "cpu" or "cuda"
    options: Any = None       # an instance of lesson.options, or None
    budget: float = 0.0
    report: Callable[[float, str], None] = lambda fraction, message="": None

    def progress(self, fraction: float, message: str = "") -> None:
        """Tell the progress bar how far the lesson is (0..1) and what it is doing."""
        self.report(min(max(float(fraction), 0.0), 1.0), message)

    def figure(self, name: str) -> Path:
        """The path to save a figure called `name` (e.g. "predictions.png") under."""
        self.out.mkdir(parents=True, exist_ok=True)
        return self.out / name


@dataclass
class Reference:
    """The field's reference implementation and its result on the same problem."""

    name: str
    metrics: dict[str, float]


@dataclass
class Outcome:
    """What a lesson's run returns."""

    metrics: dict[str, float]
    reference: Reference
    figures: list[Path]
    notes: list[str] = field(default_factory=list)   # short lines for the learner (a sample, the groups)


def default_options(lesson: Lesson) -> Any:
    return lesson.options() if lesson.options is not None else None


def _plain(x: Any) -> Any:
    """NumPy scalars and the like to plain JSON numbers."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if hasattr(x, "item") and callable(x.item):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def run_lesson(lesson: Lesson, *, seed: int = DEFAULT_SEED, out: Path | str = "ml52-output",
               device: str = "cpu", options: Any = None,
               report: Callable[[float, str], None] | None = None) -> dict:
    """Run one lesson, time it, check its bars; return the JSON object the CLI prints."""
    ctx = Context(seed=seed, out=Path(out) / lesson.slug, device=device,
                  options=options if options is not None else default_options(lesson),
                  budget=lesson.budget, report=report or (lambda f, m="": None))
    start = time.perf_counter()
    outcome = lesson.run(ctx)
    seconds = time.perf_counter() - start
    ctx.progress(1.0, "done")
    metrics = _plain(outcome.metrics)
    bars = [{"metric": b.metric, "op": b.op, "value": b.value, "passed": b.holds(metrics)}
            for b in lesson.bars]
    return {
        "lesson": lesson.slug,
        "seed": seed,
        "metrics": metrics,
        "bars": bars,
        "passed": all(b["passed"] for b in bars),
        "seconds": round(seconds, 3),
        "budget": lesson.budget,
        "reference": {"name": outcome.reference.name, "metrics": _plain(outcome.reference.metrics)},
        "figures": [str(p) for p in outcome.figures],
        "notes": list(outcome.notes),
        "options": _plain(dataclasses.asdict(ctx.options)) if dataclasses.is_dataclass(ctx.options) else {},
    }
