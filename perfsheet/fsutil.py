"""Small file-system helpers shared by every stage: atomic writes and workspace confinement.

Outputs are written to a temporary file in the target folder and renamed over the target, so a crash
never leaves a half-written workbook where a person (or the next run) would read it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from perfsheet.errors import PerfsheetError

__all__ = [
    "ensure_inside",
    "os_error_text",
    "read_text_file",
    "write_bytes_atomic",
    "write_new_bytes",
    "write_text_atomic",
]

# Text a person edits on Windows: UTF-8 (with or without the BOM Notepad adds), else GB18030 (what
# Notepad and WPS save as "ANSI" on Chinese Windows; a superset of GBK and GB2312).
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")


def os_error_text(exc: OSError) -> str:
    """What a file-system error means, in Chinese."""
    if isinstance(exc, FileNotFoundError):
        return "找不到该文件"
    if isinstance(exc, IsADirectoryError):
        return "这是一个文件夹，不是文件"
    if isinstance(exc, NotADirectoryError):
        return "路径中的某一级不是文件夹"
    if isinstance(exc, PermissionError):
        return "没有读写权限"
    if exc.errno == 28:  # ENOSPC
        return "磁盘空间已满"
    if exc.errno == 30:  # EROFS
        return "磁盘为只读"
    return f"系统错误（{exc.strerror or exc}）"


def read_text_file(path: Path) -> str:
    """A text file a person edits: UTF-8 or GB18030, decided by which decodes. Raises
    ``UnicodeDecodeError`` when neither does and ``OSError`` when it cannot be read at all."""
    data = path.read_bytes()
    for encoding in TEXT_ENCODINGS[:-1]:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode(TEXT_ENCODINGS[-1])


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
