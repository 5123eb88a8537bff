"""Saving a fitted pipeline so that `ml52 predict` can use it later, and refusing anything else.

Unpickling runs code chosen by whoever wrote the file, so ml52 reads a model file in three guarded steps:

1. the file must start with the line `ML52-MODEL 1`, then the SHA-256 of the rest: a file that is not an
   ml52 model, or one damaged or cut short, is refused before any unpickling;
2. the pickle is read by an Unpickler that may only rebuild ml52's own classes, NumPy arrays and plain
   Python containers (the "restricting globals" recipe of the `pickle` documentation), so a hand-made file
   cannot call os.system or similar even if its checksum is right;
3. the object must be an ml52 solve `Model`.

The checksum proves integrity, not origin: load only models you (or someone you trust) saved.
The file is written atomically (a temporary file renamed into place), so it is never half-written.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from dataclasses import dataclass, field
from pathlib import Path

from ml52.errors import UserError
from ml52.io import write_atomic

MAGIC = b"ML52-MODEL 1\n"
HEADER_LEN = len(MAGIC) + 64 + 1          # magic, hex SHA-256, newline

# what an ml52 model's pickle may rebuild: module -> allowed names ("*": any class in that module)
ALLOWED = {
    "builtins": {"set", "frozenset", "slice", "complex", "range", "bytearray", "object"},
    "copyreg": {"_reconstructor"},
    "collections": {"OrderedDict", "defaultdict"},
    "numpy": {"ndarray", "dtype"},
    "numpy.core.multiarray": {"_reconstruct", "scalar"},
    "numpy._core.multiarray": {"_reconstruct", "scalar"},
    "numpy.core.numeric": {"_frombuffer"},
    "numpy._core.numeric": {"_frombuffer"},
    "numpy.dtypes": {"*"},
    "numpy.random._pickle": {"__generator_ctor", "__bit_generator_ctor", "__randomstate_ctor"},
    "numpy.random._generator": {"Generator"},
    "numpy.random._pcg64": {"PCG64"},
    "numpy.random.bit_generator": {"SeedSequence", "__pyx_unpickle_SeedSequence"},
}


@dataclass
class Model:
    """What `ml52 solve` saves: the fitted pipeline and model, and what it needs to check new rows."""

    fitted: object                       # ml52.solve.models.Fitted (or the clustering pieces)
    task: str                            # regression | classification | clustering
    target: str | None
    kinds: dict                          # {column: kind} the model was trained with
    trained_rows: int
    model_name: str
    metrics: dict = field(default_factory=dict)


class SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        allowed = ALLOWED.get(module, set())
        if name in allowed or "*" in allowed:
            return super().find_class(module, name)
        if module.startswith("ml52."):
            obj = super().find_class(module, name)
            if isinstance(obj, type):                     # ml52 classes only, never its functions
                return obj
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in an ml52 model")


def save_model(model: Model, path: str | Path) -> Path:
    payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    digest = hashlib.sha256(payload).hexdigest().encode()
    return write_atomic(path, MAGIC + digest + b"\n" + payload)


def load_model(path: str | Path) -> Model:
    path = Path(path)
    if not path.exists():
        raise UserError(f"no such model file: {path}")
    if path.is_dir():
        raise UserError(f"{path} is a folder; give the .ml52 file that 'ml52 solve' wrote")
    raw = path.read_bytes()
    if not raw.startswith(MAGIC):
        raise UserError(f"{path} is not an ml52 model (it lacks the 'ML52-MODEL 1' header); "
                        "give the .ml52 file that 'ml52 solve' wrote")
    digest, payload = raw[len(MAGIC):HEADER_LEN - 1], raw[HEADER_LEN:]
    if raw[HEADER_LEN - 1:HEADER_LEN] != b"\n" or hashlib.sha256(payload).hexdigest().encode() != digest:
        raise UserError(f"{path} is damaged: its checksum does not match its contents; run 'ml52 solve' again")
    try:
        model = SafeUnpickler(io.BytesIO(payload)).load()
    except (pickle.UnpicklingError, AttributeError, ImportError, EOFError, TypeError, ValueError) as exc:
        raise UserError(f"{path} cannot be loaded as an ml52 model ({exc}); it may come from another "
                        "version of ml52: run 'ml52 solve' again") from None
    if not isinstance(model, Model):
        raise UserError(f"{path} does not hold an ml52 solve model")
    return model
