"""The `ml52` command: list the lessons, learn one, or race them all.

    ml52 list
    ml52 learn <slug> [--seed N] [--out DIR] [--device auto|cpu|cuda] [--json] [lesson options]
    ml52 race [--only a,b] [--seed N] [--out DIR] [--device ...] [--json]

Bad input (a wrong slug or option, an unwritable folder, missing data) is one line on stderr and exit
status 2. A lesson's own options come from its `options` dataclass: each field becomes `--field-name`.
"""

from __future__ import annotations

import time

START = time.perf_counter()  # the race clock counts from the command's start, imports included

import argparse
import dataclasses
import difflib
import os
import re
import sys
import typing
from ml52 import lessons
from ml52.errors import UserError
from ml52.lesson import DEFAULT_SEED

EXIT_BAR_MISSED = 1
EXIT_USAGE = 2


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (with the closest lesson slug for a typo)."""

    def error(self, message: str) -> typing.NoReturn:
        m = re.search(r"invalid choice: '([^']*)'", message)
        if m and "argument slug" in message:
            bad = m.group(1)
            close = difflib.get_close_matches(bad, lessons.SLUGS, n=1, cutoff=0.5)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            message = f"no lesson called '{bad}'{hint} ('ml52 list' shows all {len(lessons.SLUGS)})"
        elif m:
            message = message.split(" (choose from")[0]
        raise UserError(f"{message} (see '{self.prog} --help')")


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    p.add_argument("--out", default="ml52-output", help="folder for figures and the report (default ml52-output/)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="where neural networks run: auto uses CUDA when present (default auto)")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")


def _option_type(tp):
    if tp in (int, float, str):
        return tp
    if tp in ("int", "float", "str"):
        return {"int": int, "float": float, "str": str}[tp]
    return str  # Path | None and friends arrive as strings; the lesson checks them


def _add_options(p: argparse.ArgumentParser, options: type | None) -> None:
    """Each field of a lesson's options dataclass becomes a --flag with the field's help text."""
    if options is None:
        return
    hints = typing.get_type_hints(options)
    group = p.add_argument_group("lesson options")
    for f in dataclasses.fields(options):
        flag = "--" + f.name.replace("_", "-")
        helptext = f.metadata.get("help", "")
        default = f.default if f.default is not dataclasses.MISSING else None
        if hints.get(f.name) is bool:
            group.add_argument(flag, dest=f"opt_{f.name}", action="store_true", default=default, help=helptext)
        else:
            shown = f" (default {default})" if default not in (None, "") else ""
            group.add_argument(flag, dest=f"opt_{f.name}", type=_option_type(hints.get(f.name)),
                               default=default, help=helptext + shown, metavar=f.name.upper())


def build_parser() -> Parser:
    parser = Parser(prog="ml52", description="Learn the core ideas of machine learning, each on a real problem.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    sub.add_parser("list", help="a table of every lesson")
    learn = sub.add_parser("learn", help="run one lesson, explained and plotted")
    per_lesson = learn.add_subparsers(dest="slug", metavar="slug", required=True, parser_class=Parser)
    for slug in lessons.SLUGS:
        lesson = lessons.load(slug)
        lp = per_lesson.add_parser(slug, help=lesson.problem, description=lesson.idea)
        _add_common(lp)
        _add_options(lp, lesson.options)
    race = sub.add_parser("race", help="every lesson back to back, against 52 seconds")
    _add_common(race)
    race.add_argument("--only", default="", help="comma-separated slugs to run (default: all)")
    race.add_argument("--jobs", type=int, default=None,
                      help="lessons run side by side, one core each (default: 2 on a machine with 2+ cores)")
    solve = sub.add_parser("solve", help="apply the right ideas to your own table (CSV or Parquet)")
    solve.add_argument("data", help="a CSV (UTF-8; , ; tab or | separated) or Parquet file")
    solve.add_argument("--target", default=None, help="the column to predict (none: find groups instead)")
    solve.add_argument("--out", default="ml52-output", help="folder for the report and model (default ml52-output/)")
    solve.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    solve.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    predict = sub.add_parser("predict", help="apply a model saved by 'ml52 solve' to new rows")
    predict.add_argument("model", help="the .ml52 file that 'ml52 solve' wrote")
    predict.add_argument("data", help="new rows, with the columns the model was trained on")
    predict.add_argument("--out", default=None, help="CSV file for the predictions (default: print them)")
    predict.add_argument("--allow-new-categories", action="store_true",
                         help="treat category values never seen in training as unknown instead of refusing")
    return parser


def resolve_device(name: str) -> str:
    if name == "cpu":
        return "cpu"
    if name == "auto" and not any(os.path.exists(p) for p in ("/dev/nvidiactl", "/dev/nvidia0", "/dev/dxg")):
        return "cpu"                     # no NVIDIA driver: no need to import PyTorch to find that out
    import torch

    if name == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda was asked for but no CUDA GPU is available; use --device cpu")
    return "cuda" if torch.cuda.is_available() else "cpu"


def lesson_options(lesson, args) -> object | None:
    if lesson.options is None:
        return None
    values = {f.name: getattr(args, f"opt_{f.name}") for f in dataclasses.fields(lesson.options)}
    return lesson.options(**values)


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command == "list":
            from ml52.race import print_list
            print_list(lessons.all_lessons())
            return 0
        if args.command in ("solve", "predict"):
            from ml52.solve import solver
            return solver.solve_command(args) if args.command == "solve" else solver.predict_command(args)
        from ml52.io import prepare_folder

        out = prepare_folder(args.out)
        device = resolve_device(args.device)
        if args.command == "learn":
            from ml52.race import learn
            lesson = lessons.load(args.slug)
            result = learn(lesson, seed=args.seed, out=out, device=device,
                           options=lesson_options(lesson, args), as_json=args.json)
            return 0 if result["passed"] else EXIT_BAR_MISSED
        if args.command == "race":
            from ml52.race import race
            slugs = [s.strip() for s in args.only.split(",") if s.strip()] or list(lessons.SLUGS)
            chosen = [lessons.load(s) for s in slugs]
            from ml52.race import default_jobs
            jobs = default_jobs() if args.jobs is None else args.jobs
            if jobs < 1:
                raise UserError(f"--jobs must be 1 or more, got {jobs}")
            summary = race(chosen, seed=args.seed, out=out, device=device, as_json=args.json, t0=START,
                           jobs=jobs)
            return 0 if summary["passed"] else EXIT_BAR_MISSED
    except UserError as exc:
        print(f"ml52: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("ml52: interrupted", file=sys.stderr)
        return 130
    return EXIT_USAGE


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
