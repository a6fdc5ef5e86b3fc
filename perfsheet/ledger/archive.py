"""The archive: every received file kept byte-for-byte under its sha256, never overwritten or deleted.

Collect stores each attachment under ``archive/<sha[:2]>/<sha256><ext>`` before anything else
happens; the ledger (:mod:`perfsheet.ledger.store`) records what it is. Ingest re-reads a file only
from here, so whatever the ledger concludes can always be re-derived from these bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from hashlib import sha256 as _sha256
from pathlib import Path

from perfsheet.errors import PerfsheetError
from perfsheet.fsutil import safe_dir, write_new_files

__all__ = [
    "ARCHIVE_TMP_PREFIX",
    "LedgerError",
    "archive_bytes",
    "archive_ext",
    "archive_many",
    "find_archived",
    "remove_stale_temps",
]

ARCHIVE_TMP_PREFIX = ".tmp-"
_SAFE_EXT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


class LedgerError(PerfsheetError):
    """The ledger or the archive cannot be used (unreadable database, archive damaged)."""



def archive_ext(name: str) -> str:
    """The archive file's extension, taken from an attachment name but never trusted as a path part.

    Only a short lowercase alphanumeric suffix survives (``.xlsx``, ``.xls``, ``.ods``); anything else
    gives ``.bin`` so that the archive never holds a name chosen by a sender.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if "." not in base:
        return ".bin"
    ext = base.rsplit(".", 1)[1].strip().lower()
    if not ext or len(ext) > 8 or not set(ext) <= _SAFE_EXT_CHARS:
        return ".bin"
    return "." + ext


def archive_bytes(
    archive_dir: Path, data: bytes, ext: str = ".bin", *, root: Path | None = None
) -> tuple[str, Path]:
    """Store ``data`` under ``archive_dir/<sha[:2]>/<sha256><ext>``; return ``(sha256, path)``.

    An archived file is never overwritten: the same bytes already present (under any extension) are
    the same file, so the existing path is returned. The write goes through a temp file + fsync, then
    ``os.link`` (:func:`perfsheet.fsutil.write_new_files`), so an interrupted process leaves either the
    whole file or none and two writers can never replace each other's file.

    ``root`` is the workspace the archive lives in (default: ``archive_dir`` itself): the folder and
    the file are created by :func:`perfsheet.fsutil.safe_dir` rules, never through a symlink.
    """
    return archive_many(archive_dir, [(data, ext)], root=root)[0]


def archive_many(
    archive_dir: Path,
    items: Sequence[tuple[bytes, str]],
    *,
    root: Path | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> list[tuple[str, Path]]:
    """:func:`archive_bytes` for a batch of ``(data, ext)``: the new files are written, made durable by
    one fsync pass and named together (:func:`perfsheet.fsutil.write_new_files`); when this returns,
    every file of the batch is in the archive for good and the ledger may record them. Where the
    platform allows, archived files are read-only (nothing may change one, see :mod:`perfsheet.fsutil`)."""
    root = root if root is not None else archive_dir
    digests: list[str] = []
    placed: dict[str, Path] = {}  # digest → its archived file
    new: dict[str, tuple[Path, bytes]] = {}  # digest → (target, data): the same bytes twice are one file
    folders: set[Path] = set()
    for data, ext in items:
        digest = _sha256(data).hexdigest()
        digests.append(digest)
        if digest in placed or digest in new:
            continue
        if not ext.startswith(".") or len(ext) > 9 or not set(ext[1:]) <= _SAFE_EXT_CHARS:
            ext = ".bin"
        folder = archive_dir / digest[:2]
        if folder not in folders:
            # Checked (and made) before it is looked into: a planted link must not lend the archive a file.
            safe_dir(root, folder)
            folders.add(folder)
        existing = find_archived(archive_dir, digest)
        if existing is None:
            new[digest] = (archive_dir / digest[:2] / f"{digest}{ext}", data)
        else:
            _check_size(existing, len(data))
            placed[digest] = existing
    written = write_new_files(list(new.values()), root=root, read_only=True, on_stage=on_stage, checked=folders)
    for (digest, (target, data)), fresh in zip(new.items(), written, strict=True):
        if not fresh:  # another writer stored the same bytes meanwhile (perhaps under another extension)
            found = find_archived(archive_dir, digest)
            if found is None:
                raise LedgerError(f"归档文件写入后找不到：{target}。请检查归档目录后重试。")
            _check_size(found, len(data))
            target = found
        placed[digest] = target
    return [(digest, placed[digest]) for digest in digests]


def _check_size(existing: Path, size: int) -> None:
    if existing.stat().st_size != size:
        raise LedgerError(f"归档文件已损坏（大小与哈希不符）：{existing}。请从备份恢复该文件后重试。")


def find_archived(archive_dir: Path, digest: str) -> Path | None:
    """The archived file holding the bytes with this sha256, whatever its extension."""
    folder = archive_dir / digest[:2]
    if not folder.is_dir():
        return None
    for candidate in sorted(folder.iterdir()):
        if candidate.name.startswith(digest) and not candidate.name.startswith(ARCHIVE_TMP_PREFIX):
            stem = candidate.name[len(digest) :]
            if stem == "" or stem.startswith("."):
                return candidate
    return None


def remove_stale_temps(archive_dir: Path) -> int:
    """Delete temp files an interrupted archive write left behind (never an archived file)."""
    removed = 0
    if not archive_dir.is_dir():
        return 0
    for folder in archive_dir.iterdir():
        if folder.is_symlink() or not folder.is_dir():
            continue  # never reach through a planted link to delete files elsewhere
        for candidate in folder.iterdir():
            if candidate.name.startswith(ARCHIVE_TMP_PREFIX) and candidate.is_file():
                candidate.unlink()
                removed += 1
    return removed
