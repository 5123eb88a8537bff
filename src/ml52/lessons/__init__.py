"""The lessons, in the order of the concept map. One module per lesson, each defining `LESSON`.

The list is explicit: to add a lesson, write `ml52/lessons/<slug_with_underscores>.py` with a
`LESSON = Lesson(...)` and add its slug here. Modules are imported only when needed, so `ml52 list`
and `ml52 learn <one>` stay fast.
"""

from __future__ import annotations

import difflib
import importlib

from ml52.errors import UserError
from ml52.lesson import Lesson

SLUGS = [
    "house-prices",
    "customer-purchase",
    "model-evaluation",
    "taste-groups",
    "image-compression",
    "leaf-species",
    "backprop",
    "object-recognition",
    "language-id",
    "regularization",
    "face-detection",
    "animal-images",
    "stock-prices",
    "text-style",
    "transfer-learning",
    "robot-walk",
    "chess-endgame",
]


def module_name(slug: str) -> str:
    return "ml52.lessons." + slug.replace("-", "_")


def load(slug: str) -> Lesson:
    """The lesson called `slug`, or a clear error naming the closest slug."""
    if slug not in SLUGS:
        close = difflib.get_close_matches(slug, SLUGS, n=1, cutoff=0.5)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise UserError(f"no lesson called '{slug}'{hint} ('ml52 list' shows all {len(SLUGS)})")
    return importlib.import_module(module_name(slug)).LESSON


def all_lessons() -> list[Lesson]:
    return [load(slug) for slug in SLUGS]
