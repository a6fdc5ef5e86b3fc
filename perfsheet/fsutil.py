"""Small file-system helpers shared by every stage: atomic writes and workspace confinement.

Outputs are written to a temporary file in the target folder and renamed over the target, so a crash
never leaves a half-written workbook where a person (or the next run) would read it. Every write or
lock inside a workspace goes through one rule, :func:`confined`: no component between the workspace
root and the target may be a symlink (a dangling one included), and nothing may leave the root.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO

from perfsheet.errors import PerfsheetError

__all__ = [
    "confined",
    "fault_message",
    "file_sha256",
    "link_or_copy_new",
    "open_no_follow",
    "os_error_text",
    "read_text_file",
    "safe_dir",
    "sync_dirs",
    "sync_files",
    "unwritable_reason",
    "write_bytes_atomic",
    "write_new_bytes",
    "write_new_files",
    "write_text_atomic",
]

def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file's bytes, read in chunks; "" when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


# Text a person edits on Windows: UTF-8 (with or without the BOM Notepad adds), else GB18030 (what
# Notepad and WPS save as "ANSI" on Chinese Windows; a superset of GBK and GB2312).
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")

# Where the platform has it (not on Windows), os.open refuses a symlink as the last component.
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)


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
    if exc.errno == getattr(errno, "EDQUOT", -1):
        return "磁盘配额已用完"
    return f"系统错误（{exc.strerror or exc}）"


# What to do about a write that failed, by errno: the one advice every fault message ends with.
_NO_SPACE = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
ADVICE_SPACE = "请清理磁盘空间后重试"
ADVICE_PERMISSIONS = "请检查文件夹权限（或换到可写的位置）后重试"
ADVICE_DISK = "请检查磁盘空间和文件夹权限后重试"


def unwritable_reason(folder: str | os.PathLike[str]) -> str | None:
    """Why nothing can be written in ``folder`` (or its nearest existing parent), in Chinese; None when
    it looks writable. Tells a read-only disk, missing permissions and a full disk apart."""
    current = Path(os.path.abspath(folder))
    while not current.exists() and current != current.parent:
        current = current.parent
    try:
        info = os.statvfs(current) if hasattr(os, "statvfs") else None
    except OSError:
        info = None
    if info is not None and info.f_flag & getattr(os, "ST_RDONLY", 1):
        return f"{current} 所在磁盘为只读，{ADVICE_PERMISSIONS}"
    if not os.access(current, os.W_OK):
        return f"没有写入 {current} 的权限，{ADVICE_PERMISSIONS}"
    if info is not None and info.f_bavail == 0:
        return f"{current} 所在磁盘空间已满，{ADVICE_SPACE}"
    return None


def fault_message(exc: OSError) -> str:
    """One Chinese sentence for a file-system error: what happened, where, and what to do."""
    where = exc.filename if exc.filename is not None else ""
    what = os_error_text(exc)
    if exc.errno in _NO_SPACE:
        advice = ADVICE_SPACE
    elif exc.errno == errno.EROFS or isinstance(exc, PermissionError):
        advice = ADVICE_PERMISSIONS
    elif isinstance(exc, FileNotFoundError):
        advice = "请检查路径是否正确"
    else:
        advice = ADVICE_DISK
    writing = exc.errno in _NO_SPACE or exc.errno == errno.EROFS  # only a write meets these
    verb = "写入" if writing else "读写"
    prefix = f"无法{verb} {where}：" if where else f"{verb}文件失败："
    return f"{prefix}{what}。{advice}。"


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


def confined(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> Path:
    """``path`` (absolute, or relative to ``root``) checked against the workspace rule, else
    :class:`PerfsheetError`: it lies under ``root``, has no ``..`` and no existing component between
    ``root`` and it (the last one included, even a dangling one) is a symlink. So its real location is
    inside the workspace. Returns the absolute path under ``root`` (symlinks are refused, never resolved).
    """
    root_abs = Path(os.path.abspath(root))
    target = Path(path)
    if not target.is_absolute():
        target = root_abs / target
    rel: Path | None = None
    base = root_abs
    for candidate in (root_abs, Path(os.path.realpath(root_abs))):
        try:
            rel = target.relative_to(candidate)
        except ValueError:
            continue
        base = candidate
        break
    if rel is None or ".." in rel.parts:
        raise PerfsheetError(f"拒绝写入工作区以外的位置：{path}")
    current = base
    for part in rel.parts:
        current = current / part
        try:
            info = os.lstat(current)
        except (FileNotFoundError, NotADirectoryError):
            break  # nothing below exists yet: whatever is created there is created by us, without links
        if stat.S_ISLNK(info.st_mode):
            raise PerfsheetError(
                f"拒绝写入：{current} 是符号链接，工作区内的文件和文件夹不能是链接，请删除该链接后重试"
            )
    return base / rel


def safe_dir(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> Path:
    """The folder ``path`` inside ``root``, checked by :func:`confined` and created one component at a
    time without following symlinks (``os.mkdir`` never follows one; an existing component must be a
    real folder)."""
    root_abs = Path(os.path.abspath(root))
    root_abs.mkdir(parents=True, exist_ok=True)  # the root itself is the user's choice, links allowed
    target = confined(root_abs, path)
    base = root_abs if _is_under(target, root_abs) else Path(os.path.realpath(root_abs))
    current = base
    for part in target.relative_to(base).parts:
        current = current / part
        try:
            os.mkdir(current)
            continue
        except FileExistsError:
            pass
        info = os.lstat(current)
        if stat.S_ISLNK(info.st_mode):
            raise PerfsheetError(
                f"拒绝写入：{current} 是符号链接，工作区内的文件和文件夹不能是链接，请删除该链接后重试"
            )
        if not stat.S_ISDIR(info.st_mode):
            raise PerfsheetError(f"无法创建文件夹：{current} 已存在且不是文件夹，请移走该文件后重试")
    return target


def open_no_follow(
    root: str | os.PathLike[str], path: str | os.PathLike[str], flags: int = os.O_RDWR, mode: int = 0o644
) -> int:
    """``os.open`` of a file inside ``root`` (created when missing) that never follows a symlink: the
    folders are made by :func:`safe_dir`, the file is opened with ``O_NOFOLLOW | O_CREAT``."""
    target = confined(root, path)
    safe_dir(root, target.parent)
    try:
        return os.open(target, flags | os.O_CREAT | _O_NOFOLLOW | _O_CLOEXEC | _O_BINARY, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PerfsheetError(
                f"拒绝写入：{target} 是符号链接，工作区内的文件和文件夹不能是链接，请删除该链接后重试"
            ) from None
        raise


def _is_under(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _target_dir(path: Path, root: str | os.PathLike[str] | None) -> Path:
    """The checked folder of ``path`` (and ``path`` itself checked) when writing inside ``root``."""
    if root is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        return path
    target = confined(root, path)
    safe_dir(root, target.parent)
    return target


def write_bytes_atomic(
    path: Path, data: bytes, *, fsync: bool = False, root: str | os.PathLike[str] | None = None
) -> Path:
    """Write ``data`` to ``path`` via a temp file in the same folder and ``os.replace``.

    With ``root`` (a workspace), the folder and the target are checked by :func:`confined` first, so
    the temp file is created (``O_EXCL``, never through a link) in a checked folder."""
    path = _target_dir(Path(path), root)
    fd, tmp = _temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        _name_target(exc, path)
        raise
    return path


def _temp_beside(path: Path) -> tuple[int, str]:
    """A new temp file (``O_EXCL``: never an existing file or link) in the folder of ``path``."""
    import tempfile  # ~7 ms to import, and only a write needs it (`perfsheet goals show` writes nothing)

    try:
        return tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        _name_target(exc, path)
        raise


def _name_target(exc: BaseException, path: Path) -> None:
    """A failed write of the temp file names the file being written (what the user knows of)."""
    if isinstance(exc, OSError) and (exc.filename is None or Path(str(exc.filename)).name.startswith(".tmp-")):
        exc.filename = str(path)
        exc.filename2 = None


def write_text_atomic(path: Path, text: str, *, root: str | os.PathLike[str] | None = None) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"), root=root)


def write_new_bytes(path: Path, data: bytes, *, root: str | os.PathLike[str] | None = None) -> bool:
    """Write ``data`` only if ``path`` does not exist yet (archives are never overwritten).

    Returns True when the file was written, False when it already existed. With ``root``, the target
    and its folder are checked by :func:`confined` first.
    """
    path = _target_dir(Path(path), root)
    if path.exists():
        return False
    fd, tmp = _temp_beside(path)
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
    except OSError as exc:
        _name_target(exc, path)
        raise
    finally:
        Path(tmp).unlink(missing_ok=True)


# --- many files at once: durable at disk speed --------------------------------------------------

# fsyncs issued together are committed together by the file system's journal (ext4, XFS, NTFS group
# their commits), so a batch of files costs about one flush instead of one each (~2.5 ms a file here).
_SYNC_THREADS = 16


def sync_files(fds: Sequence[int]) -> None:
    """``os.fsync`` every open file in ``fds``, concurrently, and return when all are on disk."""
    if len(fds) <= 1:
        for fd in fds:
            os.fsync(fd)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(_SYNC_THREADS, len(fds))) as pool:
        for _ in pool.map(os.fsync, fds):
            pass  # map re-raises the first failure (a full disk, an I/O error) here


def sync_dirs(folders: Iterable[Path]) -> None:
    """Make the names just created in ``folders`` (links, renames) durable: fsync each folder once.
    Windows cannot open a folder for that and journals names with the files, so it does nothing there."""
    if os.name != "posix":
        return
    fds: list[int] = []
    try:
        for folder in dict.fromkeys(folders):
            fds.append(os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _O_CLOEXEC))
        sync_files(fds)
    finally:
        for fd in fds:
            os.close(fd)


# Where files can be made read-only on creation (POSIX), a file written once is: an archived file is
# never changed, and its hard-linked inbox copy (the same file) then refuses an in-place save too.
_FCHMOD: Callable[[int, int], None] | None = getattr(os, "fchmod", None)
READ_ONLY = 0o444


def write_new_files(
    items: Sequence[tuple[Path, bytes]],
    *,
    root: str | os.PathLike[str] | None = None,
    read_only: bool = False,
    on_stage: Callable[[str], None] | None = None,
    checked: set[Path] | None = None,
) -> list[bool]:
    """:func:`write_new_bytes` for many files, durable together: every file goes to a temp file beside
    its target, one concurrent fsync pass makes them all durable, each is then linked to its name
    (never replacing a file: an existing one gives False), and one fsync per folder makes the names
    durable. So, as for one file, an interrupted process (or a power cut) leaves each target either
    complete or absent, never partly written — at the cost of one flush for the whole batch.

    ``read_only`` (POSIX) makes the new files read-only. ``on_stage`` is called with ``"written"``
    (temp files durable, no name yet) and ``"linked"`` (names durable): the kill tests stop there.
    ``checked``: folders the caller checked (:func:`safe_dir`) for this batch already.
    """
    written: list[bool] = [False] * len(items)
    temps: list[tuple[int, str, Path]] = []  # (index, temp path, target)
    handles: list[IO[bytes]] = []
    checked = set(checked) if checked is not None else set()
    current: Path | None = None  # the file a failure is about
    try:
        for index, (path, data) in enumerate(items):
            current = Path(path)
            target = _checked_new_target(current, root, checked)
            if target is None:
                continue
            fd, tmp = _temp_beside(target)
            temps.append((index, tmp, target))
            handle: IO[bytes] = os.fdopen(fd, "wb")
            handles.append(handle)
            handle.write(data)
            handle.flush()
            if read_only and _FCHMOD is not None:
                _FCHMOD(fd, READ_ONLY)
        current = temps[0][2] if temps else None
        sync_files([h.fileno() for h in handles])
        if on_stage is not None:
            on_stage("written")
        for index, tmp, target in temps:
            current = target
            written[index] = _link_new(tmp, target)
            Path(tmp).unlink(missing_ok=True)  # now a second name of the target (or of nothing)
        current = temps[0][2] if temps else None
        sync_dirs(target.parent for _index, _tmp, target in temps)
        if on_stage is not None:
            on_stage("linked")
    except OSError as exc:
        if current is not None:
            _name_target(exc, current)
        raise
    finally:
        for handle in handles:
            # A handle whose write failed (a full disk) fails to close too; that failure is being raised.
            with contextlib.suppress(OSError):
                handle.close()
        for _index, tmp, _target in temps:
            Path(tmp).unlink(missing_ok=True)
    return written


def _checked_new_target(path: Path, root: str | os.PathLike[str] | None, checked: set[Path]) -> Path | None:
    """The target checked as :func:`_target_dir` does (each folder once per batch); None when it exists."""
    if root is None:
        if path.parent not in checked:
            path.parent.mkdir(parents=True, exist_ok=True)
            checked.add(path.parent)
    elif path.parent not in checked:
        path = confined(root, path)
        safe_dir(root, path.parent)
        checked.add(path.parent)
    else:
        # The folder was checked in this batch; the name itself must still be no link (a dangling one too).
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return path
        if stat.S_ISLNK(info.st_mode):
            raise PerfsheetError(
                f"拒绝写入：{path} 是符号链接，工作区内的文件和文件夹不能是链接，请删除该链接后重试"
            )
        return None
    return None if os.path.lexists(path) else path


def _link_new(tmp: str, path: Path) -> bool:
    """Give the durable temp file ``tmp`` the name ``path`` unless that name exists (then False)."""
    try:
        # os.link fails if the target exists, so two writers can never replace each other's file.
        os.link(tmp, path)
    except FileExistsError:
        return False
    except OSError:
        # A file system without hard links (FAT, some network shares): rename, after checking.
        if os.path.lexists(path):
            return False
        os.replace(tmp, path)
    return True


def link_or_copy_new(
    source: Path,
    path: Path,
    *,
    root: str | os.PathLike[str] | None = None,
    checked: set[Path] | None = None,
) -> bool:
    """Make ``path`` (if it does not exist yet) the same file as ``source`` by a hard link, else a copy.

    A hard link costs no data and no fsync of data; where the file system has none (or across disks)
    the bytes are copied by :func:`write_new_bytes`. False when ``path`` already exists. The caller
    makes the new name durable (:func:`sync_dirs`) together with the others of its batch. ``checked``
    holds the folders already checked (and made) by the caller's batch, so each is checked once.
    """
    target = _checked_new_target(Path(path), root, checked if checked is not None else set())
    if target is None:
        return False
    try:
        os.link(source, target)
        return True
    except FileExistsError:
        return False
    except OSError:
        return write_new_bytes(target, Path(source).read_bytes(), root=root)
