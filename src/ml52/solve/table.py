"""Reading a user's table and looking at it before any model does: the first step of every real problem.

Real files are messy, so reading is defensive: the size is checked against free memory before a byte is
parsed, the format is recognised from the file's first bytes (Parquet's magic `PAR1`, binary junk, an
Excel workbook), CSV text must be UTF-8 and its delimiter is sniffed (`,` `;` tab `|`). Every problem a
user can fix becomes one `UserError` line. Then `profile` describes each column (kind, missing values,
distinct values) and flags the suspicious ones that a model must not see: constant columns, ID-like
columns (a different value in every row) and columns that leak the target (they alone give the answer
away), following the data-checking advice of Kaufman et al. 2012, "Leakage in data mining", and the
"look at your data first" habit of ISLP chapter 2.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ml52.errors import UserError

MIN_ROWS = 10             # fewer rows cannot be split into folds that teach anything
MAX_COLUMNS = 500         # wider tables: one-hot columns and the profile outgrow a 2-core laptop
CSV_MEMORY_FACTOR = 5     # a CSV needs up to ~5x its size in memory (parsed frame, features, folds)
PARQUET_MEMORY_FACTOR = 15  # Parquet is compressed: ~15x its size once decoded
DELIMITERS = ",;\t|"
NA_VALUES = ["?"]         # pandas' own missing markers ("", NA, N/A, null, NaN, None, ...) plus "?"
NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def available_memory() -> int:
    """Bytes of memory free for new work (Linux MemAvailable; else free pages x page size)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def check_size(path: Path, kind: str, memory: int | None = None) -> None:
    """Refuse a file that would not fit in memory once parsed: limit = free memory / factor."""
    memory = available_memory() if memory is None else memory
    factor = PARQUET_MEMORY_FACTOR if kind == "parquet" else CSV_MEMORY_FACTOR
    limit = memory // factor
    size = path.stat().st_size
    if size > limit:
        raise UserError(f"{path} is {_size(size)}, too large for the {_size(memory)} of free memory: ml52 solve "
                        f"reads {kind} files up to {_size(limit)} (1/{factor} of free memory); take a sample "
                        f"first, e.g. head -n 100000 {path.name} > sample.csv")


def sniff_kind(path: Path, head: bytes) -> str:
    """'parquet' or 'csv' from the first bytes; anything else is not a table ml52 can read."""
    if head.startswith(b"PAR1"):
        return "parquet"
    if path.suffix.lower() in (".parquet", ".pq"):
        raise UserError(f"{path} is named like a Parquet file but is not one (no 'PAR1' header); "
                        "re-export it as Parquet or CSV")
    if head.startswith(b"PK\x03\x04"):
        raise UserError(f"{path} is a zip archive or an Excel workbook, not a table ml52 can read; "
                        "save it as CSV (UTF-8) or Parquet")
    if head.startswith(b"\x1f\x8b"):
        raise UserError(f"{path} is gzip-compressed; decompress it first (gunzip -k {path.name})")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UserError(f"{path} is UTF-16 text; save it as UTF-8 CSV (e.g. iconv -f UTF-16 -t UTF-8)")
    if b"\x00" in head:
        raise UserError(f"{path} is a binary file, not a CSV or Parquet table")
    return "csv"


def sniff_delimiter(text: str) -> str:
    """The delimiter among , ; tab | that splits the first lines into the same number (> 1) of fields."""
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if len(lines) > 1 and not text.endswith("\n"):
        lines = lines[:-1]                                 # the last line of the sample may be cut short
    best, best_fields = ",", 1
    for d in DELIMITERS:
        counts = [len(row) for row in csv.reader(lines, delimiter=d)]
        if counts and min(counts) > 1 and len(set(counts)) == 1 and counts[0] > best_fields:
            best, best_fields = d, counts[0]
    return best


def read_table(path: str | os.PathLike, memory: int | None = None,
               min_rows: int = MIN_ROWS) -> tuple[pd.DataFrame, dict]:
    """The table in `path` (CSV or Parquet) and how it was read; one UserError for anything wrong.

    memory: bytes of free memory to check the file size against (None: measure it).
    min_rows: the fewest rows accepted (`ml52 predict` takes a single row).
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"no such file: {path}")
    if path.is_dir():
        raise UserError(f"{path} is a folder; give the path of a CSV or Parquet file")
    try:
        with open(path, "rb") as f:
            head = f.read(64 * 1024)
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not head.strip():
        raise UserError(f"{path} is empty: it has no header and no rows")
    kind = sniff_kind(path, head)
    check_size(path, kind, memory)
    if kind == "parquet":
        try:
            df = pd.read_parquet(path)
        except Exception as exc:                           # pyarrow raises many kinds for a damaged file
            raise UserError(f"{path} is not a readable Parquet file ({type(exc).__name__}: "
                            f"{str(exc).splitlines()[0][:120]})") from None
        how = {"format": "parquet"}
    else:
        df, how = _read_csv(path, head)
    _check_shape(df, path, min_rows)
    return df, how


def _read_csv(path: Path, head: bytes) -> tuple[pd.DataFrame, dict]:
    encoding = "utf-8-sig" if head.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        sample = head.decode(encoding)
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:                      # not just a character cut by the 64 KB sample
            raise _not_utf8(path, head, exc.start) from None
        sample = head[:exc.start].decode(encoding)
    sep = sniff_delimiter(sample)
    try:
        df = pd.read_csv(path, sep=sep, encoding=encoding, na_values=NA_VALUES, low_memory=False)
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, None, exc.start) from None
    except pd.errors.EmptyDataError:
        raise UserError(f"{path} is empty: it has no header and no rows") from None
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1].replace("Error tokenizing data. C error: ", "")
        raise UserError(f"{path} is not a regular table read with {NAMES[sep]} as the delimiter ({detail}); "
                        "check the delimiter and quoting") from None
    if df.shape[1] == 1 and len(df) > 0:
        text = str(df.columns[0])
        other = [d for d in DELIMITERS if d != sep and d in text]
        hint = f"; its header contains {NAMES[other[0]]}s: use one delimiter throughout" if other else ""
        raise UserError(f"{path} has a single column, so there is nothing to learn from; a table needs at "
                        f"least two columns separated by , ; tab or |{hint}")
    return df, {"format": "csv", "delimiter": NAMES[sep], "encoding": "utf-8"}


def _not_utf8(path: Path, head: bytes | None, pos: int) -> UserError:
    byte = f" (byte 0x{head[pos]:02x} at position {pos})" if head is not None else f" (at byte {pos})"
    return UserError(f"{path} is not UTF-8 text{byte}; re-save it as UTF-8, e.g. "
                     f"iconv -f latin1 -t utf-8 {path.name} > utf8.csv")


def _check_shape(df: pd.DataFrame, path: Path, min_rows: int) -> None:
    if df.shape[1] == 0:
        raise UserError(f"{path} has no columns")
    if len(df) == 0:
        raise UserError(f"{path} has a header but no rows")
    if len(df) < min_rows:
        raise UserError(f"{path} has only {len(df)} row{'s' if len(df) > 1 else ''}; ml52 solve needs at least "
                        f"{min_rows} rows to learn and check anything")
    if df.shape[1] > MAX_COLUMNS:
        raise UserError(f"{path} has {df.shape[1]} columns; ml52 solve handles up to {MAX_COLUMNS}: keep the "
                        "columns you believe matter (or reduce them first, e.g. with PCA)")
    dupes = df.columns[df.columns.duplicated()].tolist()
    if dupes:
        raise UserError(f"{path} has duplicate column names: {', '.join(map(str, dupes[:5]))}; rename them")


# --- column kinds and checks ------------------------------------------------------------------------------

def _is_number_text(values: pd.Series) -> np.ndarray:
    """True where a text value reads as a number."""
    return pd.to_numeric(values.astype(str).str.strip(), errors="coerce").notna().to_numpy()


def _looks_like_dates(values: pd.Series) -> bool:
    """Text whose values (a sample of up to 200) nearly all parse as dates, and not as plain numbers."""
    sample = values.dropna().astype(str).head(200)
    if sample.empty or _is_number_text(sample).mean() > 0.5 or sample.str.len().max() > 40:
        return False
    if not sample.str.contains(r"\d{1,4}[-/.:]\d{1,2}", regex=True).mean() > 0.9:
        return False
    from ml52.solve.pipeline import day_first, parse_dates

    parsed = parse_dates(sample, day_first(sample))
    return parsed.notna().mean() >= 0.9


def _finite(s: pd.Series, v: np.ndarray) -> str:
    bad = np.isinf(v)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise UserError(f"column '{s.name}' has {int(bad.sum())} infinite value(s) (first in data row "
                        f"{row + 1}); replace them with a number or leave the cell empty")
    return "number"


def column_kind(s: pd.Series) -> str:
    """'number', 'category', 'date' or 'empty'; raises UserError for mixed types and infinite values."""
    if s.isna().all():
        return "empty"
    if pd.api.types.is_bool_dtype(s):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "date"
    if pd.api.types.is_numeric_dtype(s):
        return _finite(s, s.to_numpy(dtype=float, na_value=np.nan))
    values = s.dropna()
    kinds = {type(v) for v in values.head(10_000)}
    if isinstance(s.dtype, pd.CategoricalDtype):
        return "category"
    numeric = _is_number_text(values)
    share = numeric.mean()
    if 0.5 <= share < 1:
        bad = values[~numeric].iloc[0]
        raise UserError(f"column '{s.name}' mixes numbers and text: {numeric.sum()} of {len(values)} values "
                        f"are numbers but e.g. {str(bad)[:30]!r} is not; fix or blank those cells, or make the "
                        "whole column text")
    if share == 1 and kinds - {str}:                       # numbers stored as Python objects
        return _finite(s, pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan))
    if share == 1:                                         # codes written as text ("007", zip codes)
        return "category"
    if len(kinds) > 1 and kinds - {str}:
        raise UserError(f"column '{s.name}' mixes kinds of values ({', '.join(sorted(k.__name__ for k in kinds))}); "
                        "store one kind per column")
    return "date" if _looks_like_dates(values) else "category"


@dataclass
class Column:
    """What `profile` found about one column."""

    name: str
    kind: str                 # number | category | date | empty
    missing: int
    distinct: int
    flag: str = ""            # constant | id-like | leaks target | empty | target
    why: str = ""


@dataclass
class Profile:
    rows: int
    columns: list[Column]
    target: str | None
    task: str = ""            # regression | classification | clustering
    classes: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def kinds(self) -> dict[str, str]:
        return {c.name: c.kind for c in self.columns}

    def features(self) -> list[Column]:
        """The columns a model may use: not the target and not flagged."""
        return [c for c in self.columns if not c.flag]


def _id_like(s: pd.Series, kind: str, n: int) -> bool:
    """A different value in (nearly) every row, as row numbers, customer codes or free text do."""
    values = s.dropna()
    if n < 20 or len(values) < 0.9 * n:
        return False
    unique_share = values.nunique() / len(values)
    if kind == "category":
        return unique_share > 0.9
    if kind == "number" and unique_share == 1.0:
        v = values.to_numpy(dtype=float)
        return bool(np.all(v == np.round(v)))              # whole numbers, all different: a counter or key
    return False


def _leak(x: pd.Series, kind: str, y: pd.Series, task: str) -> str:
    """Why `x` alone gives the target away, or '' (Kaufman et al. 2012: a feature known only afterwards)."""
    both = x.notna() & y.notna()
    x, y = x[both], y[both]
    if len(x) < 30:
        return ""
    if task == "regression" and kind == "number":
        xv, yv = x.to_numpy(float), y.to_numpy(float)
        if xv.std() > 0 and yv.std() > 0:
            r = float(np.corrcoef(xv, yv)[0, 1])
            if abs(r) >= 0.99:
                return f"correlation {r:+.3f} with the target"
        return ""
    if task == "classification" and kind == "number":
        # the classes occupy disjoint ranges of x: a few thresholds on x alone classify every row
        spans = x.astype(float).groupby(y.astype(str).to_numpy()).agg(["min", "max"]).sort_values("min")
        if len(spans) > 1 and np.all(spans["min"].to_numpy()[1:] > spans["max"].to_numpy()[:-1]):
            return "its value ranges separate the classes perfectly"
        return ""
    if kind == "category" and x.nunique() <= max(2, len(x) // 10):
        groups = y.astype(str if task == "classification" else float).groupby(x.astype(str).to_numpy())
        if task == "classification":
            if (groups.nunique() == 1).all() and y.nunique() > 1:
                return "each of its values goes with a single class"
        else:
            within = float(groups.var(ddof=0).fillna(0).mul(groups.size()).sum())
            total = float(y.astype(float).var(ddof=0) * len(y))
            if total > 0 and within / total <= 0.01:
                return "its groups explain over 99% of the target's variance"
    return ""


def target_task(y: pd.Series, kind: str) -> str:
    """Text, yes/no and small whole-number codes (0, 1, 2, ...) are classes; other numbers are a regression.

    A rating in half stars (0.5 ... 5) is a number; a label coded 0/1/2 is a class: store codes meant as
    numbers, or numbers meant as classes, as text to decide otherwise.
    """
    if kind != "number" or pd.api.types.is_bool_dtype(y):
        return "classification"
    v = y.dropna().to_numpy(dtype=float)
    values = np.unique(v)
    codes = np.all(values == np.round(values)) and values.min() >= 0 and len(values) <= 10 \
        and values.max() - values.min() == len(values) - 1          # consecutive whole numbers
    return "classification" if len(values) <= 2 or codes else "regression"


def profile(df: pd.DataFrame, target: str | None) -> Profile:
    """Column kinds, missing values, distinct values, the task, and the suspicious columns."""
    n = len(df)
    if target is not None:
        _check_target(df, target)
    cols, task, classes = [], "clustering", {}
    kinds = {name: column_kind(df[name]) for name in df.columns}
    if target is not None:
        y = df[target]
        if kinds[target] == "date":
            raise UserError(f"target '{target}' holds dates; predict a number or a category instead")
        task = target_task(y, kinds[target])
        if task == "classification":
            classes = {str(k): int(v) for k, v in y.dropna().astype(str).value_counts().items()}
            if len(classes) < 2:
                raise UserError(f"target '{target}' has one class ({next(iter(classes))!r}) in every row: "
                                "there is nothing to predict; choose another column")
            if min(classes.values()) < 2:
                rare = [k for k, v in classes.items() if v < 2]
                raise UserError(f"target '{target}' has class(es) seen only once ({', '.join(rare[:5])}); each "
                                "class needs at least 2 rows: merge or remove the rare classes")
            if len(classes) > 50:
                raise UserError(f"target '{target}' has {len(classes)} different text values: too many classes "
                                "to learn; choose a column with fewer categories (or numbers)")
    for name in df.columns:
        s, kind = df[name], kinds[name]
        col = Column(str(name), kind, int(s.isna().sum()), int(s.nunique()))
        if name == target:
            col.flag, col.why = "target", "what to predict"
        elif kind == "empty":
            col.flag, col.why = "empty", "no values at all"
        elif col.distinct <= 1:
            col.flag, col.why = "constant", f"the same value in every row ({s.dropna().iloc[0]!r})"
        elif _id_like(s, kind, n):
            col.flag, col.why = "id-like", "a different value in (nearly) every row: a key, not a pattern"
        elif target is not None:
            why = _leak(s, kind, df[target], task)
            if why:
                col.flag, col.why = "leaks target", why + ": dropped, as it would not be known in advance"
        cols.append(col)
    prof = Profile(n, cols, target, task, classes)
    if not prof.features():
        need = "columns that could explain the target" if target is not None else "columns whose values vary"
        raise UserError(f"no usable feature columns are left after dropping constant, ID-like and leaking "
                        f"columns; the table needs {need}")
    return prof


def _check_target(df: pd.DataFrame, target: str) -> None:
    if target not in df.columns:
        import difflib

        names = [str(c) for c in df.columns]
        close = [c for c in names if c.lower() == target.lower()] or \
            difflib.get_close_matches(target, names, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        shown = ", ".join(map(str, df.columns[:12])) + (", ..." if df.shape[1] > 12 else "")
        raise UserError(f"no column '{target}' in the table{hint} (columns: {shown})")
    known = int(df[target].notna().sum())
    if known == 0:
        raise UserError(f"target column '{target}' is empty in every row: nothing to learn from")
    if known < MIN_ROWS:
        raise UserError(f"target column '{target}' has only {known} non-missing values; at least {MIN_ROWS} needed")
