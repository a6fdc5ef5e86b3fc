"""Small file-system helpers shared by every stage: atomic writes and workspace confinement.

Outputs are written to a temporary file in the target folder and renamed over the target, so a crash
never leaves a half-written workbook where a person (or the next run) would read it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from perfsheet.errors import PerfsheetError

__all__ = ["ensure_inside", "write_bytes_atomic", "write_new_bytes", "write_text_atomic"]


def write_bytes_atomic(path: Path, data: bytes, *, fsync: bool = False) -> Path:
    """Write ``data`` to ``path`` via a temp file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_new_bytes(path: Path, data: bytes) -> bool:
    """Write ``data`` only if ``path`` does not exist yet (archives are never overwritten).

    Returns True when the file was written, False when it already existed.
    """
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            # os.link fails if the target exists, so two writers can never replace each other's file.
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError:
            if path.exists():
                return False
            os.replace(tmp, path)
            return True
        return True
    finally:
        Path(tmp).unlink(missing_ok=True)


def ensure_inside(root: Path, path: Path) -> Path:
    """Resolve ``path`` and refuse it unless it lies inside ``root`` (no writes outside the workspace)."""
    resolved_root = root.resolve()
    resolved = path.resolve()
    if resolved != resolved_root and resolved_root not in resolved.parents:
        raise PerfsheetError(f"拒绝写入工作区以外的位置：{path}")
    return resolved
