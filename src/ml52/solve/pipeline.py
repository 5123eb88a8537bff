"""Feature engineering: from a table of mixed columns to one matrix of numbers a model can learn from.

Each kind of column gets the standard treatment (Kuhn & Johnson, *Feature Engineering and Selection*,
2019, chapters 5, 8 and 9; ESL §9.6 on missing data):

- numbers: missing values filled with the training median (plus a 0/1 "was missing" column, as the gap
  itself may carry information), then standardised, z = (x - mean) / std;
- dates: split into parts a model can use (year, month, day of month, day of week, hour when the data
  has times, and days since 1970 as a trend), then treated as numbers;
- categories: one 0/1 column per frequent category (at most `max_categories`; the rare ones share an
  "(other)" column and a gap is its own "(missing)" category). A category never seen in training
  becomes all zeros; `new_categories` lists such values so that `ml52 predict` can say so.

Everything is learned from the training rows only and reused unchanged on new rows, so cross-validation
folds never peek at their own validation rows. The pieces are ml52's own: `SimpleImputer`,
`StandardScaler` and `OneHotEncoder` from `ml52.features`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml52.features.encoding import OneHotEncoder
from ml52.features.imputation import SimpleImputer
from ml52.features.scaling import StandardScaler

OTHER, MISSING = "(other)", "(missing)"
DATE_PARTS = ("year", "month", "day", "weekday", "hour", "days")


def day_first(values: pd.Series) -> bool:
    """True when dates are written day first (31/12/2024): some value's first number is above 12."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return False
    first = values.dropna().astype(str).str.extract(r"^\s*(\d{1,2})[/.-]\d{1,2}[/.-]\d{2,4}")[0].dropna()
    return bool(len(first)) and bool((first.astype(int) > 12).any())


def parse_dates(values: pd.Series, dayfirst: bool) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    return pd.to_datetime(values.astype("string"), errors="coerce", format="mixed", dayfirst=dayfirst)


def date_parts(values: pd.Series, with_hour: bool, dayfirst: bool = False) -> dict[str, np.ndarray]:
    """Year, month, day, weekday (Monday = 0), [hour], and days since 1970-01-01 of each date (NaN if none)."""
    t = parse_dates(values, dayfirst)
    if getattr(t.dt, "tz", None) is not None:
        t = t.dt.tz_convert("UTC").dt.tz_localize(None)
    parts = {"year": t.dt.year, "month": t.dt.month, "day": t.dt.day, "weekday": t.dt.weekday}
    if with_hour:
        parts["hour"] = t.dt.hour + t.dt.minute / 60
    # days since 1970: keeps the order and spacing of dates, for trends over time
    parts["days"] = (t - pd.Timestamp("1970-01-01")).dt.total_seconds() / 86400
    return {k: v.to_numpy(dtype=float, na_value=np.nan) for k, v in parts.items()}


def as_text(values: pd.Series) -> np.ndarray:
    """Category values as strings, with gaps as '(missing)': (n,) object array."""
    out = values.astype(object).where(values.notna(), MISSING)
    return np.array([v if isinstance(v, str) else str(v) for v in out], dtype=object)


class TablePipeline:
    """Turns a DataFrame into a float matrix (n, features), learning every statistic in `fit`.

    kinds: {column: "number" | "category" | "date"} for the columns to use (others are ignored).
    max_categories: most one-hot columns per category column; rarer values share "(other)".

    Fitted: feature_names_ (list), groups_ (features,) index of the input column each feature came from,
    columns_ (the input columns, in order), seen_ ({category column: set of training values}).
    """

    def __init__(self, kinds: dict[str, str], max_categories: int = 20):
        self.kinds = kinds
        self.max_categories = max_categories

    def _numeric_block(self, df: pd.DataFrame) -> tuple[np.ndarray, list[str], list[int]]:
        blocks, names, groups = [], [], []
        for i, col in enumerate(self.columns_):
            kind = self.kinds[col]
            if kind == "number":
                blocks.append(pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan))
                names.append(col)
                groups.append(i)
            elif kind == "date":
                for part, v in date_parts(df[col], self.date_hours_[col], self.day_first_[col]).items():
                    blocks.append(v)
                    names.append(f"{col}_{part}")
                    groups.append(i)
        X = np.column_stack(blocks) if blocks else np.zeros((len(df), 0))   # (n, numeric features)
        return X, names, groups

    def fit(self, df: pd.DataFrame) -> "TablePipeline":
        self.columns_ = [c for c in df.columns if self.kinds.get(c) in ("number", "category", "date")]
        self.date_hours_, self.day_first_ = {}, {}
        for c in self.columns_:
            if self.kinds[c] == "date":
                self.day_first_[c] = day_first(df[c])     # 05/07/2024: 5 July if another date is 31/12/2024
                t = parse_dates(df[c], self.day_first_[c])
                self.date_hours_[c] = bool(((t.dt.hour != 0) | (t.dt.minute != 0)).any())
        X, names, groups = self._numeric_block(df)
        self.imputer_ = SimpleImputer(strategy="median", keep_empty_features=True).fit(X) if X.shape[1] else None
        # a 0/1 "was missing" column for each numeric feature with gaps in training
        self.flag_missing_ = np.isnan(X).any(axis=0)                         # (numeric features,)
        self.scaler_ = StandardScaler().fit(self.imputer_.transform(X)) if X.shape[1] else None
        self.numeric_names_ = names
        self.numeric_groups_ = groups
        cats = [c for c in self.columns_ if self.kinds[c] == "category"]
        self.category_columns_, self.seen_, kept = cats, {}, []
        for c in cats:
            text = as_text(df[c])
            values, counts = np.unique(text, return_counts=True)
            self.seen_[c] = set(values.tolist())
            top = values[np.argsort(-counts, kind="stable")[:self.max_categories]]
            rare = len(values) > len(top)
            kept.append(np.array(sorted(top.tolist() + ([OTHER] if rare else [])), dtype=object))
        self.kept_ = kept
        self.encoder_ = OneHotEncoder(categories=kept, handle_unknown="ignore").fit(
            self._category_block(df)) if cats else None
        self.feature_names_ = (names + [f"{names[j]}_missing" for j in np.flatnonzero(self.flag_missing_)]
                               + ([f"{c}={v}" for c, k in zip(cats, kept) for v in k] if cats else []))
        gi = {c: i for i, c in enumerate(self.columns_)}
        self.groups_ = np.array(groups + [groups[j] for j in np.flatnonzero(self.flag_missing_)]
                                + [gi[c] for c, k in zip(cats, kept) for _ in k], dtype=int)
        return self

    def _category_block(self, df: pd.DataFrame) -> np.ndarray:
        cols = []
        for c, kept in zip(self.category_columns_, self.kept_):
            text = as_text(df[c])
            seen = self.seen_[c]
            # a value seen in training but too rare to keep goes to "(other)"; an unseen one stays as it is
            # and the encoder (handle_unknown="ignore") turns it into all zeros
            rare = np.array([v in seen for v in text]) & ~np.isin(text, kept)
            cols.append(np.where(rare, OTHER, text))
        return np.column_stack(cols).astype(object)

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        X, _, _ = self._numeric_block(df)
        parts = []
        if X.shape[1]:
            missing = np.isnan(X)[:, self.flag_missing_].astype(float)      # (n, flagged features)
            parts += [self.scaler_.transform(self.imputer_.transform(X)), missing]
        if self.encoder_ is not None:
            parts.append(self.encoder_.transform(self._category_block(df)))
        return np.hstack(parts) if parts else np.zeros((len(df), 0))

    def fit_transform(self, df: pd.DataFrame) -> np.ndarray:
        return self.fit(df).transform(df)

    def new_categories(self, df: pd.DataFrame) -> dict[str, list[str]]:
        """{column: values never seen in training} for the category columns of new rows."""
        found = {}
        for c in self.category_columns_:
            text = np.unique(as_text(df[c]))
            new = [v for v in text.tolist() if v not in self.seen_[c] and v != MISSING]
            if new:
                found[c] = new
        return found
