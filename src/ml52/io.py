"""Writing files so that nothing is left half-written: write to a temporary file, then rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ml52.errors import UserError


def prepare_folder(path: str | os.PathLike) -> Path:
    """Create `path` if needed and prove it is writable, or raise one clear `UserError`."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".ml52-probe-"):
            pass
    except OSError as exc:
        raise UserError(f"cannot write to output folder '{folder}' ({exc.strerror or exc}); "
                        f"pass --out with a folder you can write to") from None
    return folder


def write_atomic(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write `data` to `path` through a temporary file in the same folder, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)     # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save_figure(fig, path: str | os.PathLike, dpi: int = 90) -> Path:
    """Save a Matplotlib figure as PNG atomically, close it, and return its path."""
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return write_atomic(path, buf.getvalue())


def pyplot():
    """matplotlib.pyplot on the file-only Agg backend (no screen needed), for lessons' figures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
