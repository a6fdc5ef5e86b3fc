"""Where returns come from: .eml files, mbox files, Maildirs, .zip archives, folders of any of these
and loose spreadsheets, and IMAP mailboxes (:mod:`perfsheet.mail.imap`). Read-only: nothing here
writes to a source unless asked (IMAP ``mark_seen``).
"""

from __future__ import annotations

import os
import re
import ssl
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from perfsheet.errors import SourceError
from perfsheet.mail.imap import iter_imap
from perfsheet.mail.names import decode_bytes
from perfsheet.mail.parse import (
    HEADER_LINE,
    MAX_MESSAGE_BYTES,
    OLE_MAGIC,
    SPREADSHEET_EXTENSIONS,
    ProgressCallback,
    SourceItem,
    UnreadableMessage,
    loose_item,
    read_message,
)

__all__ = [
    "MAX_ZIP_MEMBERS",
    "MAX_ZIP_MEMBER_BYTES",
    "MAX_ZIP_RATIO",
    "MAX_ZIP_TOTAL_BYTES",
    "iter_source",
]

MAX_ZIP_MEMBERS = 2000
MAX_ZIP_MEMBER_BYTES = 50 * 1024 * 1024
MAX_ZIP_TOTAL_BYTES = 500 * 1024 * 1024
MAX_ZIP_RATIO = 200


# ----------------------------------------------------------------------------------------------------
# Sources


def _read_file(path: Path, limit: int = MAX_MESSAGE_BYTES) -> bytes:
    try:
        size = path.stat().st_size
        if size > limit:
            raise SourceError(f"文件过大（{size // (1024 * 1024)} MB，上限 {limit // (1024 * 1024)} MB）：{path}")
        return path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"找不到文件：{path}") from None
    except PermissionError:
        raise SourceError(f"没有权限读取文件：{path}") from None
    except OSError as exc:
        raise SourceError(f"无法读取文件 {path}：{exc.strerror or exc}") from None


def _keep(item: SourceItem, since: date | None) -> bool:
    if isinstance(item, UnreadableMessage):
        return True  # its date is unknown: never dropped by --since
    return since is None or item.received is None or item.received.date() >= since




_MBOXRD_QUOTED = re.compile(rb">+From ")
_BLANK_LINES = frozenset((b"\n", b"\r\n"))


def _iter_mbox(path: Path, since: date | None) -> Iterator[SourceItem]:
    """Read an mbox file as a stream, one message at a time (``From `` separator lines)."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise SourceError(f"无法打开 mbox 文件 {path}：{exc.strerror or exc}") from None
    with handle:
        first = handle.readline()
        if not first.startswith(b"From "):
            raise SourceError(f"不是有效的 mbox 文件（第一行不是“From ”分隔行）：{path}")
        number = 0
        lines: list[bytes] = []
        size = 0
        previous_blank = True

        too_large = False

        def finish() -> SourceItem | None:
            source = f"{path}#{number}"
            if too_large:
                return UnreadableMessage(source, f"邮件过大（超过 {MAX_MESSAGE_BYTES // (1024 * 1024)} MB），未读取")
            body = b"".join(lines)
            if not body.strip():
                return None
            # The blank line before the next "From " belongs to the separator, not to the message.
            for ending in (b"\r\n", b"\n"):
                if body.endswith(ending * 2):
                    body = body[: -len(ending)]
                    break
            return read_message(body, source)

        number = 1
        for line in handle:
            if line.startswith(b"From ") and previous_blank:
                item = finish()
                if item is not None and _keep(item, since):
                    yield item
                number += 1
                lines, size, too_large = [], 0, False
                previous_blank = True
                continue
            size += len(line)
            # Per line of a mailbox of hundreds of MiB: the cheap tests first.
            blank = line in _BLANK_LINES or not line.strip()
            if too_large or size > MAX_MESSAGE_BYTES:
                too_large, lines = True, []  # one huge message is reported, not kept in memory
                previous_blank = blank
                continue
            # mboxrd quoting: ">From " at line start stands for "From ".
            lines.append(line[1:] if line[:1] == b">" and _MBOXRD_QUOTED.match(line) else line)
            previous_blank = blank
        item = finish()
        if item is not None and _keep(item, since):
            yield item


def _maildir_flags(filename: str) -> str:
    _, sep, info = filename.rpartition(":2,")
    if not sep:
        _, sep, info = filename.rpartition("!2,")  # Windows-friendly separator used by some tools
    return info if sep else ""


def _iter_maildir(path: Path, since: date | None, unseen_only: bool) -> Iterator[SourceItem]:
    for sub in ("new", "cur"):
        folder = path / sub
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if not entry.is_file() or entry.name.startswith("."):
                continue
            if unseen_only and (sub == "cur" and "S" in _maildir_flags(entry.name)):
                continue
            item = _read_message_file(entry)
            if _keep(item, since):
                yield item


def _zip_entry_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    return decode_bytes(raw, None)  # Chinese Windows writes GBK names without the UTF-8 flag


def _iter_zip(path: Path, since: date | None) -> Iterator[SourceItem]:
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise SourceError(f"找不到压缩包：{path}") from None
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SourceError(f"压缩包已损坏或不是 zip 文件：{path}（{exc}）") from None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) > MAX_ZIP_MEMBERS:
            raise SourceError(f"压缩包内文件过多（{len(members)} 个，上限 {MAX_ZIP_MEMBERS}）：{path}")
        total = 0
        for info in members:
            name = _zip_entry_name(info)
            base = name.replace("\\", "/").rsplit("/", 1)[-1]
            suffix = Path(base).suffix.lower()
            if name.startswith("__MACOSX/") or base.startswith("~$"):
                continue
            if suffix not in _MESSAGE_SUFFIXES and suffix not in SPREADSHEET_EXTENSIONS and suffix:
                continue  # a readme or a picture beside the returns: not a source
            source = f"{path}!{name}"
            if info.flag_bits & 0x1:
                yield UnreadableMessage(source, "压缩包内文件已加密，请解压后再导入")
                continue
            if info.file_size > MAX_ZIP_MEMBER_BYTES or (
                info.file_size > 1024 * 1024 and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1)
            ):
                yield UnreadableMessage(source, "压缩包内文件过大或压缩比异常，未解压")
                continue
            try:
                data = _read_zip_member(archive, info, path, name)
            except SourceError as exc:
                yield UnreadableMessage(source, str(exc))
                continue
            total += len(data)
            if total > MAX_ZIP_TOTAL_BYTES:
                raise SourceError(f"压缩包解压后总量过大（上限 {MAX_ZIP_TOTAL_BYTES // (1024 * 1024)} MB）：{path}")
            if suffix in SPREADSHEET_EXTENSIONS:
                item: SourceItem = loose_item(name, data, source)
            elif suffix or _looks_like_message(data):
                item = read_message(data, source)
            else:
                continue
            if _keep(item, since):
                yield item


def _read_zip_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, name: str) -> bytes:
    # The header sizes can lie; read at most the limit and stop.
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as member:
            while True:
                chunk = member.read(1024 * 1024)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_ZIP_MEMBER_BYTES:
                    raise SourceError(f"压缩包内文件解压后过大：{path}!{name}")
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError) as exc:
        raise SourceError(f"无法读取压缩包内文件 {path}!{name}：{exc}") from None
    return b"".join(chunks)


def _read_message_file(path: Path) -> SourceItem:
    """One message file (.eml, a Maildir entry, .msg): unreadable rather than fatal when it cannot be read."""
    try:
        data = _read_file(path)
    except SourceError as exc:
        return UnreadableMessage(str(path), str(exc))
    return read_message(data, str(path))


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def _looks_like_mbox(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(5) == b"From "
    except OSError:
        return False


_MESSAGE_SUFFIXES = frozenset((".eml", ".msg"))


def _looks_like_message(head: bytes) -> bool:
    """A file without a suffix that is mail all the same: a header line, or an Outlook .msg (an OLE
    compound file) as Outlook's drag-and-drop and some mail tools save it without a name ending."""
    return bool(HEADER_LINE.match(head)) or head.startswith(OLE_MAGIC)


def _file_head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(4096)
    except OSError:
        return b""


def _iter_file(path: Path, since: date | None, unseen_only: bool, explicit: bool) -> Iterator[SourceItem]:
    suffix = path.suffix.lower()
    if suffix in _MESSAGE_SUFFIXES or (not suffix and not explicit and _looks_like_message(_file_head(path))):
        item = _read_message_file(path)
        if _keep(item, since):
            yield item
    elif suffix == ".zip":
        yield from _iter_zip(path, since)
    elif suffix in SPREADSHEET_EXTENSIONS:
        if not path.name.startswith("~$"):  # Excel's lock files
            yield loose_item(path.name, _read_file(path), str(path))
    elif _looks_like_mbox(path) or (explicit and suffix in (".mbox", ".mbx")):
        yield from _iter_mbox(path, since)
    elif explicit:
        if _looks_like_message(_read_file(path)[:4096]):
            item = _read_message_file(path)
            if _keep(item, since):
                yield item
        else:
            raise SourceError(f"无法识别的来源文件（不是 .eml、mbox、zip 或表格文件）：{path}")


def _iter_folder(root: Path, since: date | None, unseen_only: bool) -> Iterator[SourceItem]:
    for directory, subdirs, files in os.walk(root):
        here = Path(directory)
        if _is_maildir(here):
            subdirs[:] = []
            yield from _iter_maildir(here, since, unseen_only)
            continue
        subdirs.sort()
        for filename in sorted(files):
            yield from _iter_file(here / filename, since, unseen_only, explicit=False)


def iter_source(
    source: str,
    *,
    since: date | None = None,
    unseen_only: bool = False,
    mark_seen: bool = False,
    password: str | None = None,
    progress: ProgressCallback | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> Iterator[SourceItem]:
    """Yield every message (and loose spreadsheet) found in ``source``; a message that cannot be read
    comes as an :class:`UnreadableMessage` and the others go on.

    ``source``: a folder (recursive), a ``.eml`` file, an mbox, a Maildir, a ``.zip`` or
    ``imaps://user@host[:port]/FOLDER`` (``imap://`` only with STARTTLS or on loopback). ``since``
    keeps messages received on or after that date; ``unseen_only`` applies to IMAP and Maildir.
    Mail is never changed unless ``mark_seen`` (IMAP: \\Seen is set after the consumer has taken each
    message). ``progress(done, total)`` is called after each item (total None when unknown).
    Unusable sources raise :class:`SourceError` with a Chinese message that never holds the password.
    """
    if re.match(r"^imaps?://", source, re.IGNORECASE):
        items = iter_imap(source, since=since, unseen_only=unseen_only, mark_seen=mark_seen,
                           password=password, ssl_context=ssl_context, progress=progress)
        yield from items
        return
    if "://" in source:
        raise SourceError(f"不支持的来源地址：{source}（只支持 imaps:// 或 imap://）")
    path = Path(source)
    if not path.exists():
        raise SourceError(f"找不到来源：{source}")
    if path.is_dir():
        inner = _iter_maildir(path, since, unseen_only) if _is_maildir(path) else _iter_folder(path, since, unseen_only)
    else:
        inner = _iter_file(path, since, unseen_only, explicit=True)
    for done, item in enumerate(inner, start=1):
        yield item
        if progress is not None:
            progress(done, None)
