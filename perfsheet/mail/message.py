"""Mail messages in and out (邮件收发): read returns from mail sources, build and send template mails.

This module only moves messages: it finds attachments in .eml files, mbox files, Maildirs, .zip
archives, folders and IMAP mailboxes (read-only unless asked), decodes their names the way Chinese
office mail clients write them, and builds/sends outgoing messages. Archiving, the ledger and ingest
live in :mod:`perfsheet.ledger` and :mod:`perfsheet.ingest`; nothing here writes outside the path it
is given.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import contextlib
import email
import email.generator
import email.utils
import hashlib
import imaplib
import io
import ipaddress
import mimetypes
import os
import re
import smtplib
import ssl
import unicodedata
import urllib.parse
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from email import policy as email_policy
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Literal

from perfsheet.errors import PerfsheetError, SourceError
from perfsheet.fsutil import write_bytes_atomic

__all__ = [
    "SPREADSHEET_EXTENSIONS",
    "Attachment",
    "MailItem",
    "build_message",
    "decode_filename_params",
    "decode_header_text",
    "iter_source",
    "message_bytes",
    "message_to_item",
    "parse_message_bytes",
    "safe_filename",
    "send_messages",
    "unique_names",
    "write_eml",
]

# Spreadsheet files by name. ``.et``/``.ett`` are WPS 表格 files (BIFF-compatible); a return is still
# identified later by its content, this only decides what is worth archiving.
SPREADSHEET_EXTENSIONS = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".et", ".ett"})

# China Standard Time: the bureau's zone, assumed for Date headers that carry no zone.
CHINA_TZ = timezone(timedelta(hours=8), "CST")

MAX_MESSAGE_BYTES = 200 * 1024 * 1024
MAX_PARTS = 2000
MAX_NESTING = 12
MAX_ZIP_MEMBERS = 2000
MAX_ZIP_MEMBER_BYTES = 50 * 1024 * 1024
MAX_ZIP_TOTAL_BYTES = 500 * 1024 * 1024
MAX_ZIP_RATIO = 200
IMAP_TIMEOUT = 30.0

# compat32 keeps header values as found (raw 8-bit bytes survive as surrogate escapes), which is what
# tolerant decoding needs; max_line_length=0 stops it from re-folding headers we fold ourselves.
_READ_POLICY = email_policy.compat32
_WRITE_POLICY = email_policy.compat32.clone(max_line_length=0, linesep="\r\n")

ProgressCallback = Callable[[int, "int | None"], None]


@dataclass(frozen=True)
class Attachment:
    """One attachment: the name as found (``raw_name``), as a person sees it (``name``), as a safe file
    name (``safe_name``), and the exact bytes."""

    raw_name: str
    name: str
    safe_name: str
    content: bytes
    content_type: str
    is_spreadsheet: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class MailItem:
    """One message (or one loose spreadsheet file, then without mail headers) found in a source.

    ``source`` says where it was found (file path, ``mbox#3``, ``archive.zip!entry``, an IMAP URL with
    ``;UID=n``; never a password). ``skipped`` lists attachments that are not spreadsheets (and forwarded
    messages, whose attachments are in ``attachments``)."""

    source: str
    message_id: str
    sender: str
    subject: str
    received: datetime | None
    attachments: tuple[Attachment, ...]
    skipped: tuple[str, ...]


# ----------------------------------------------------------------------------------------------------
# Tolerant header decoding


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_GB_ALIASES = frozenset(
    {"gb2312", "gbk", "gb18030", "cp936", "x-gbk", "gb_2312-80", "euc-cn", "x-euc-cn", "csgb2312", "936"}
)


def _codec_for(charset: str) -> str | None:
    """Python codec for a MIME charset; GB2312/GBK are decoded as their superset GB18030."""
    cs = charset.split("*", 1)[0].strip().strip('"').lower()  # RFC 2231 language suffix: utf-8*zh
    if cs in _GB_ALIASES:
        return "gb18030"
    if cs in ("utf8", "utf-8", "unicode-1-1-utf-8"):
        return "utf-8"
    if cs in ("ks_c_5601-1987", "ks_c_5601"):
        return "cp949"
    if cs in ("big5", "big5-hkscs", "x-big5"):
        return "big5hkscs"
    try:
        return codecs.lookup(cs).name
    except LookupError:
        return None


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode bytes in a declared charset, falling back to UTF-8 then GB18030 (never raises)."""
    codec = _codec_for(charset) if charset else None
    tried: list[str] = []
    for candidate in (codec, "utf-8", "gb18030"):
        if candidate is None or candidate in tried:
            continue
        tried.append(candidate)
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode(codec or "gb18030", errors="replace")


def _raw_bytes(value: str) -> bytes:
    """The header bytes as found: message_from_bytes keeps 8-bit bytes as surrogate escapes."""
    return value.encode("utf-8", "surrogateescape")


def _decode_raw_text(value: str) -> str:
    """Turn a header string that may hold raw 8-bit bytes into text (UTF-8 first, then GB18030)."""
    if value.isascii():
        return value
    return _decode_bytes(_raw_bytes(value), None)


def _printable_raw(value: str) -> str:
    """A header value as found, as storable text: raw 8-bit bytes become ``\\xNN`` escapes."""
    return _raw_bytes(value).decode("ascii", errors="backslashreplace")


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value).replace("\r", "").replace("\n", "")


def _b64_tolerant(text: str) -> bytes:
    text = re.sub(r"[^A-Za-z0-9+/]", "", text)
    text = text[: len(text) - len(text) % 4] if len(text) % 4 == 1 else text
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return b""


def _decode_words(text: str) -> str:
    """Decode RFC 2047 encoded-words anywhere in ``text`` (also inside quotes or unquoted).

    Whitespace between adjacent words is dropped, and the bytes of adjacent words in the same charset
    are joined before decoding, so a character split across two words (Outlook does this) survives."""
    if "=?" not in text:
        return text
    pieces: list[tuple[str | None, bytes | str]] = []  # (charset, bytes) for words, (None, text) else
    pos = 0
    for match in _ENCODED_WORD.finditer(text):
        between = text[pos : match.start()]
        previous_is_word = bool(pieces) and pieces[-1][0] is not None
        if between and not (previous_is_word and between.strip() == ""):
            pieces.append((None, between))
        charset, kind, payload = match.group(1), match.group(2).upper(), match.group(3)
        if kind == "B":
            data = _b64_tolerant(payload)
        else:
            data = binascii.a2b_qp(payload.encode("ascii", "replace"), header=True)
        pieces.append((charset.split("*", 1)[0].lower(), data))
        pos = match.end()
    if pos < len(text):
        pieces.append((None, text[pos:]))
    out: list[str] = []
    index = 0
    while index < len(pieces):
        charset, payload = pieces[index]
        if charset is None:
            assert isinstance(payload, str)
            out.append(payload)
            index += 1
            continue
        joined = bytearray()
        while index < len(pieces) and pieces[index][0] == charset:
            chunk = pieces[index][1]
            assert isinstance(chunk, bytes)
            joined += chunk
            index += 1
        out.append(_decode_bytes(bytes(joined), charset))
    return "".join(out)


def decode_header_text(value: str | None) -> str:
    """Decode a header (Subject, a display name) tolerantly: raw 8-bit bytes and RFC 2047 words."""
    if not value:
        return ""
    return _decode_words(_decode_raw_text(_unfold(str(value)))).strip()


def _format_sender(value: str | None) -> str:
    if not value:
        return ""
    text = _decode_raw_text(_unfold(str(value)))
    display, address = email.utils.parseaddr(text)
    display = _decode_words(display).strip()
    if not address:
        return _decode_words(text).strip()
    return f"{display} <{address}>" if display else address


def _split_params(value: str) -> tuple[str, list[tuple[str, str]]]:
    """Split a Content-Type/Disposition value into the main value and (name, value) params.

    Tolerant: ``;`` inside quotes is kept, an unterminated quote runs to the end, and a backslash only
    escapes ``"`` or ``\\`` (Windows paths sent unescaped keep their backslashes)."""
    segments: list[str] = []
    current: list[str] = []
    in_quotes = False
    index = 0
    while index < len(value):
        char = value[index]
        if char == "\\" and in_quotes and index + 1 < len(value) and value[index + 1] in '"\\':
            current.append(value[index : index + 2])
            index += 2
            continue
        if char == '"':
            in_quotes = not in_quotes
        if char == ";" and not in_quotes:
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    segments.append("".join(current))
    main = segments[0].strip().lower()
    params: list[tuple[str, str]] = []
    for segment in segments[1:]:
        if "=" not in segment:
            continue
        key, _, raw = segment.partition("=")
        raw = raw.strip()
        if raw.startswith('"'):
            body = raw[1:]
            end = len(body)
            probe = 0
            while probe < len(body):
                if body[probe] == "\\" and probe + 1 < len(body) and body[probe + 1] in '"\\':
                    probe += 2
                    continue
                if body[probe] == '"':
                    end = probe
                    break
                probe += 1
            raw = re.sub(r'\\(["\\])', r"\1", body[:end])
        params.append((key.strip().lower(), raw))
    return main, params


def _rfc2231_value(params: list[tuple[str, str]], key: str) -> tuple[str, str] | None:
    """(raw, decoded) of ``key*=`` or ``key*0*=``/``key*1=`` continuations, or None."""
    simple: str | None = None
    sections: dict[int, tuple[str, bool, str]] = {}
    pattern = re.compile(re.escape(key) + r"\*(\d{1,3})(\*?)")
    for name, value in params:
        if name == key + "*":
            simple = value
            continue
        match = pattern.fullmatch(name)
        if match:
            sections.setdefault(int(match.group(1)), (value, match.group(2) == "*", name))
    if simple is not None:
        ordered = [(simple, True, key + "*")]
    elif sections:
        ordered = []
        for number in range(len(sections)):
            if number not in sections:
                break
            ordered.append(sections[number])
    else:
        return None
    charset: str | None = None
    data = bytearray()
    for number, (value, encoded, _name) in enumerate(ordered):
        raw = _raw_bytes(value)
        if encoded:
            if number == 0 and raw.count(b"'") >= 2:
                charset_bytes, _lang, raw = raw.split(b"'", 2)
                charset = charset_bytes.decode("ascii", "replace") or None
            data += urllib.parse.unquote_to_bytes(raw)
        else:
            data += raw
    decoded = _decode_bytes(bytes(data), charset)
    raw_text = "; ".join(f"{name}={_printable_raw(value)}" for value, _enc, name in ordered)
    return raw_text, _decode_words(decoded)


def decode_filename_params(content_disposition: str | None, content_type: str | None) -> tuple[str, str] | None:
    """(raw, decoded) attachment name from the two headers, or None when neither carries one.

    Order: ``filename*`` / ``filename`` (Content-Disposition), then ``name*`` / ``name`` (Content-Type);
    a candidate that only decodes with replacement characters gives way to a clean one."""
    candidates: list[tuple[str, str]] = []
    for header, key in ((content_disposition, "filename"), (content_type, "name")):
        if not header:
            continue
        _main, params = _split_params(_unfold(str(header)))
        extended = _rfc2231_value(params, key)
        if extended is not None:
            candidates.append(extended)
        for name, value in params:
            if name == key:
                candidates.append((_printable_raw(value), _decode_words(_decode_raw_text(value)).strip()))
                break
    candidates = [c for c in candidates if c[1]]
    if not candidates:
        return None
    for candidate in candidates:
        if "\ufffd" not in candidate[1]:
            return candidate
    return candidates[0]


# ----------------------------------------------------------------------------------------------------
# Safe file names


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_WINDOWS_ILLEGAL = frozenset('<>:"/\\|?*')
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{dev}{n}" for dev in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]]
)
_MAX_NAME_BYTES = 255


def _split_extension(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    if dot and stem and 0 < len(ext) <= 16 and ext.isalnum():
        return stem, "." + ext
    return name, ""


def _is_reserved(name: str) -> bool:
    return name.split(".", 1)[0].rstrip(" ").upper() in _RESERVED


def safe_filename(name: str, *, max_length: int = 120) -> str:
    """A file name that is safe to create on Windows and POSIX: no path parts, no control or bidi
    characters, no characters Windows forbids, no reserved device names, at most ``max_length``
    characters and 255 UTF-8 bytes with the extension kept; never empty."""
    max_length = max(max_length, 24)
    text = unicodedata.normalize("NFC", name)
    text = re.split(r"[\\/]", text)[-1]  # the last path component only
    text = re.sub(r"^[A-Za-z]:", "", text)  # drive-relative "C:evil.xlsx"
    cleaned: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if char in _BIDI_CONTROLS or category in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            continue
        if char in _WINDOWS_ILLEGAL:
            cleaned.append("_")
        elif category == "Zs":
            cleaned.append(" ")
        else:
            cleaned.append(char)
    text = re.sub(r" {2,}", " ", "".join(cleaned))
    text = text.strip(" .")  # trailing dots/spaces are dropped by Windows; leading dots hide files
    if not text:
        text = "attachment"
    stem, ext = _split_extension(text)
    budget = max_length - len(ext)
    stem = stem[:budget]
    while len((stem + ext).encode("utf-8")) > _MAX_NAME_BYTES:
        stem = stem[:-1]
    stem = stem.rstrip(" .")
    if not stem:
        stem = "attachment"
    result = stem + ext
    if _is_reserved(result):
        result = "_" + result
        if len(result) > max_length:
            result = result[: max_length - len(ext)].rstrip(" .") + ext
    return result


def unique_names(names: Iterable[str]) -> list[str]:
    """Make names unique (case-insensitively, as Windows compares): ``x.xlsx``, ``x (2).xlsx``, …"""
    used: set[str] = set()
    result: list[str] = []
    for name in names:
        candidate = name
        stem, ext = _split_extension(name)
        number = 2
        while candidate.casefold() in used:
            candidate = f"{stem} ({number}){ext}"
            number += 1
        used.add(candidate.casefold())
        result.append(candidate)
    return result


# ----------------------------------------------------------------------------------------------------
# Reading messages


def _sniff_spreadsheet(content: bytes) -> bool:
    """True for an OOXML/ODS workbook (zip) or an OLE compound file holding a Workbook stream."""
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = set(archive.namelist()[:5000])
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return False
        if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
            return True
        return content[30:38] == b"mimetype" and b"opendocument.spreadsheet" in content[38:120]
    if content.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        # Directory entries are UTF-16LE; BIFF8 files (Excel, WPS) have "Workbook", BIFF5 "Book",
        # password-protected OOXML "EncryptedPackage". A .doc has none of these.
        return any(
            marker.encode("utf-16-le") in content
            for marker in ("Workbook", "Book\x00", "EncryptedPackage")
        )
    return False


def _is_spreadsheet(name: str, content: bytes) -> bool:
    return Path(name.replace("\\", "/")).suffix.lower() in SPREADSHEET_EXTENSIONS or _sniff_spreadsheet(content)


def _make_attachment(raw_name: str, name: str, content: bytes, content_type: str) -> Attachment:
    spreadsheet = _is_spreadsheet(name, content)
    fallback = "attachment" + (".xlsx" if spreadsheet and content.startswith(b"PK") else "")
    return Attachment(
        raw_name=raw_name,
        name=name,
        safe_name=safe_filename(name or fallback),
        content=content,
        content_type=content_type,
        is_spreadsheet=spreadsheet,
    )


class _Collector:
    def __init__(self) -> None:
        self.attachments: list[Attachment] = []
        self.skipped: list[str] = []
        self.parts = 0


def _walk(part: Message, collector: _Collector, depth: int) -> None:
    collector.parts += 1
    if collector.parts > MAX_PARTS or depth > MAX_NESTING:
        return  # a pathological message; what was found so far is kept
    content_type = part.get_content_type()
    payload = part.get_payload()
    if content_type == "message/rfc822" or (isinstance(payload, list) and part.get_content_maintype() == "message"):
        found = decode_filename_params(_header(part, "Content-Disposition"), _header(part, "Content-Type"))
        inner: list[Message] = []
        if isinstance(payload, list):
            inner = [p for p in payload if isinstance(p, Message)]
        else:
            data = part.get_payload(decode=True)
            if isinstance(data, bytes) and data:
                inner = [email.message_from_bytes(data, policy=_READ_POLICY)]
        if found is not None:
            label = found[1]
        else:
            subject = decode_header_text(_header(inner[0], "Subject")) if inner else ""
            label = (subject or "转发的邮件") + ".eml"
        collector.skipped.append(label)
        for message in inner:
            _walk(message, collector, depth + 1)
        return
    if isinstance(payload, list):
        for child in payload:
            if isinstance(child, Message):
                _walk(child, collector, depth + 1)
        return
    found = decode_filename_params(_header(part, "Content-Disposition"), _header(part, "Content-Type"))
    disposition = (part.get_content_disposition() or "").lower()
    if found is None and disposition != "attachment" and part.get_content_maintype() in ("text", "multipart"):
        return  # the message body
    data = part.get_payload(decode=True)
    content = data if isinstance(data, bytes) else b""
    raw_name, name = found if found is not None else ("", "")
    if found is None and disposition != "attachment" and not _sniff_spreadsheet(content):
        return  # an unnamed inline part (an image in the HTML body)
    attachment = _make_attachment(raw_name, name, content, content_type)
    if attachment.is_spreadsheet:
        collector.attachments.append(attachment)
    else:
        collector.skipped.append(name or "（未命名附件）")


def _header(message: Message, name: str) -> str | None:
    """The first header ``name`` exactly as found. ``Message.get`` would turn a header holding raw
    8-bit bytes into a ``Header`` with replacement characters; the raw pairs keep the bytes."""
    wanted = name.lower()
    for key, value in message.raw_items():
        if key.lower() == wanted:
            return value if isinstance(value, str) else str(value)
    return None


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(_decode_raw_text(_unfold(str(value))).strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=CHINA_TZ)
    return parsed


def parse_message_bytes(data: bytes) -> Message:
    """Parse raw message bytes with the tolerant (compat32) policy used throughout this module."""
    return email.message_from_bytes(data, policy=_READ_POLICY)


def message_to_item(data: bytes, source: str, *, received: datetime | None = None) -> MailItem:
    """Parse one message (raw bytes) into a :class:`MailItem`. ``received`` overrides the Date header."""
    message = parse_message_bytes(data)
    collector = _Collector()
    _walk(message, collector, 0)
    message_id = _decode_raw_text(_unfold(str(_header(message, "Message-ID") or ""))).strip()
    return MailItem(
        source=source,
        message_id=message_id,
        sender=_format_sender(_header(message, "From")),
        subject=decode_header_text(_header(message, "Subject")),
        received=received if received is not None else _parse_date(_header(message, "Date")),
        attachments=tuple(collector.attachments),
        skipped=tuple(collector.skipped),
    )


def _loose_item(name: str, content: bytes, source: str) -> MailItem:
    attachment = _make_attachment(name, name, content, _guess_mime(name))
    return MailItem(
        source=source, message_id="", sender="", subject="", received=None,
        attachments=(attachment,), skipped=(),
    )


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


def _keep(item: MailItem, since: date | None) -> bool:
    return since is None or item.received is None or item.received.date() >= since


_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")


def _iter_mbox(path: Path, since: date | None) -> Iterator[MailItem]:
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

        def finish() -> MailItem | None:
            body = b"".join(lines)
            if not body.strip():
                return None
            if not _HEADER_LINE.match(body):
                raise SourceError(f"mbox 文件已损坏：第 {number} 封邮件没有邮件头（{path}）")
            return message_to_item(body, f"{path}#{number}")

        number = 1
        for line in handle:
            if line.startswith(b"From ") and previous_blank:
                item = finish()
                if item is not None and _keep(item, since):
                    yield item
                number += 1
                lines, size = [], 0
                previous_blank = True
                continue
            size += len(line)
            if size > MAX_MESSAGE_BYTES:
                raise SourceError(f"mbox 文件中第 {number} 封邮件过大：{path}")
            # mboxrd quoting: ">From " at line start stands for "From ".
            lines.append(line[1:] if re.match(rb"^>+From ", line) else line)
            previous_blank = line.strip() == b""
        item = finish()
        if item is not None and _keep(item, since):
            yield item


def _maildir_flags(filename: str) -> str:
    _, sep, info = filename.rpartition(":2,")
    if not sep:
        _, sep, info = filename.rpartition("!2,")  # Windows-friendly separator used by some tools
    return info if sep else ""


def _iter_maildir(path: Path, since: date | None, unseen_only: bool) -> Iterator[MailItem]:
    for sub in ("new", "cur"):
        folder = path / sub
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if not entry.is_file() or entry.name.startswith("."):
                continue
            if unseen_only and (sub == "cur" and "S" in _maildir_flags(entry.name)):
                continue
            item = message_to_item(_read_file(entry), str(entry))
            if _keep(item, since):
                yield item


def _zip_entry_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    return _decode_bytes(raw, None)  # Chinese Windows writes GBK names without the UTF-8 flag


def _iter_zip(path: Path, since: date | None) -> Iterator[MailItem]:
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
            if suffix != ".eml" and suffix not in SPREADSHEET_EXTENSIONS:
                continue
            if info.flag_bits & 0x1:
                raise SourceError(f"压缩包内文件已加密，请解压后再导入：{path}!{name}")
            if info.file_size > MAX_ZIP_MEMBER_BYTES or (
                info.file_size > 1024 * 1024 and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1)
            ):
                raise SourceError(f"压缩包内文件过大或压缩比异常：{path}!{name}")
            data = _read_zip_member(archive, info, path, name)
            total += len(data)
            if total > MAX_ZIP_TOTAL_BYTES:
                raise SourceError(f"压缩包解压后总量过大（上限 {MAX_ZIP_TOTAL_BYTES // (1024 * 1024)} MB）：{path}")
            source = f"{path}!{name}"
            item = message_to_item(data, source) if suffix == ".eml" else _loose_item(name, data, source)
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


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def _looks_like_mbox(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(5) == b"From "
    except OSError:
        return False


def _iter_file(path: Path, since: date | None, unseen_only: bool, explicit: bool) -> Iterator[MailItem]:
    suffix = path.suffix.lower()
    if suffix == ".eml":
        item = message_to_item(_read_file(path), str(path))
        if _keep(item, since):
            yield item
    elif suffix == ".zip":
        yield from _iter_zip(path, since)
    elif suffix in SPREADSHEET_EXTENSIONS:
        if not path.name.startswith("~$"):  # Excel's lock files
            yield _loose_item(path.name, _read_file(path), str(path))
    elif _looks_like_mbox(path) or (explicit and suffix in (".mbox", ".mbx")):
        yield from _iter_mbox(path, since)
    elif explicit:
        head = _read_file(path)[:4096]
        if _HEADER_LINE.match(head):
            item = message_to_item(_read_file(path), str(path))
            if _keep(item, since):
                yield item
        else:
            raise SourceError(f"无法识别的来源文件（不是 .eml、mbox、zip 或表格文件）：{path}")


def _iter_folder(root: Path, since: date | None, unseen_only: bool) -> Iterator[MailItem]:
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
) -> Iterator[MailItem]:
    """Yield every message (and loose spreadsheet) found in ``source``.

    ``source``: a folder (recursive), a ``.eml`` file, an mbox, a Maildir, a ``.zip`` or
    ``imaps://user@host[:port]/FOLDER`` (``imap://`` only with STARTTLS or on loopback). ``since``
    keeps messages received on or after that date; ``unseen_only`` applies to IMAP and Maildir.
    Mail is never changed unless ``mark_seen`` (IMAP: \\Seen is set after the consumer has taken each
    message). ``progress(done, total)`` is called after each item (total None when unknown).
    Unusable sources raise :class:`SourceError` with a Chinese message that never holds the password.
    """
    if re.match(r"^imaps?://", source, re.IGNORECASE):
        items = _iter_imap(source, since=since, unseen_only=unseen_only, mark_seen=mark_seen,
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


# ----------------------------------------------------------------------------------------------------
# IMAP


@dataclass(frozen=True)
class _ImapUrl:
    secure: bool
    user: str
    host: str
    port: int
    folder: str

    def display(self) -> str:
        scheme = "imaps" if self.secure else "imap"
        return f"{scheme}://{urllib.parse.quote(self.user, safe='@')}@{self.host}:{self.port}/{self.folder}"


def _parse_imap_url(source: str) -> _ImapUrl:
    try:
        parts = urllib.parse.urlsplit(source)
        port_value = parts.port
    except ValueError:
        raise SourceError("IMAP 地址格式不正确，应为 imaps://用户名@服务器[:端口]/文件夹") from None
    if parts.password is not None:
        raise SourceError("IMAP 地址中不能包含密码；请用环境变量 PERFSHEET_IMAP_PASSWORD 或在提示时输入")
    if not parts.hostname or not parts.username:
        raise SourceError("IMAP 地址缺少用户名或服务器，应为 imaps://用户名@服务器[:端口]/文件夹")
    secure = parts.scheme.lower() == "imaps"
    folder = urllib.parse.unquote(parts.path.lstrip("/")) or "INBOX"
    return _ImapUrl(
        secure=secure,
        user=urllib.parse.unquote(parts.username),
        host=parts.hostname,
        port=port_value or (993 if secure else 143),
        folder=folder,
    )


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _imap_utf7(folder: str) -> str:
    """Modified UTF-7 (RFC 3501 §5.1.3) for non-ASCII folder names such as 收件箱/已处理."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in folder:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def _quote_imap(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _scrub(text: str, password: str | None) -> str:
    return text.replace(password, "***") if password else text


def _imap_error_text(exc: BaseException) -> str:
    if isinstance(exc, imaplib.IMAP4.error) and exc.args:
        first = exc.args[0]
        return first.decode("utf-8", "replace") if isinstance(first, bytes) else str(first)
    return str(exc)


def _parse_internaldate(blob: bytes) -> datetime | None:
    match = re.search(rb'INTERNALDATE "([^"]+)"', blob)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1).decode("ascii"), "%d-%b-%Y %H:%M:%S %z")
    except ValueError:
        return None


def _imap_login(client: imaplib.IMAP4, user: str, password: str) -> None:
    """LOGIN for ASCII credentials; AUTHENTICATE PLAIN (UTF-8, RFC 4616) otherwise, since imaplib
    can only send ASCII strings."""
    if (user.isascii() and password.isascii()) or "AUTH=PLAIN" not in client.capabilities:
        client.login(user, password)
        return
    token = b"\0" + user.encode("utf-8") + b"\0" + password.encode("utf-8")
    client.authenticate("PLAIN", lambda _challenge: token)


def _iter_imap(
    source: str,
    *,
    since: date | None,
    unseen_only: bool,
    mark_seen: bool,
    password: str | None,
    ssl_context: ssl.SSLContext | None,
    progress: ProgressCallback | None,
) -> Iterator[MailItem]:
    url = _parse_imap_url(source)
    where = f"{url.host}:{url.port}"
    if password is None:
        raise SourceError(f"读取 {url.display()} 需要密码：请设置环境变量 PERFSHEET_IMAP_PASSWORD 或在提示时输入")
    context = ssl_context or ssl.create_default_context()
    try:
        if url.secure:
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(url.host, url.port, ssl_context=context, timeout=IMAP_TIMEOUT)
        else:
            client = imaplib.IMAP4(url.host, url.port, timeout=IMAP_TIMEOUT)
    except ssl.SSLError as exc:
        raise SourceError(f"无法与邮件服务器 {where} 建立加密连接（证书或 TLS 设置问题）：{exc.reason or exc}") from None
    except (OSError, imaplib.IMAP4.error) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else _imap_error_text(exc)
        raise SourceError(f"无法连接邮件服务器 {where}：{detail}。请检查服务器地址、端口和网络。") from None
    try:
        try:
            if not url.secure:
                if "STARTTLS" in client.capabilities:
                    client.starttls(ssl_context=context)
                elif not _is_loopback(url.host):
                    raise SourceError(
                        f"邮件服务器 {where} 不支持加密连接，拒绝以明文发送密码；请使用 imaps:// 地址"
                    )
            try:
                _imap_login(client, url.user, password)
            except imaplib.IMAP4.error as exc:
                detail = _scrub(_imap_error_text(exc), password)
                raise SourceError(f"登录邮件服务器 {where} 失败（用户 {url.user}）：用户名或密码不正确。服务器答复：{detail}") from None
            status, data = client.select(_quote_imap(_imap_utf7(url.folder)), readonly=not mark_seen)
            if status != "OK":
                detail = _scrub(b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace"), password)
                raise SourceError(f"邮箱中没有文件夹“{url.folder}”（{where}）：{detail}")
            criteria: list[str] = []
            if since is not None:
                criteria.append(f"SINCE {since.day:02d}-{_MONTHS[since.month - 1]}-{since.year}")
            if unseen_only:
                criteria.append("UNSEEN")
            status, data = client.uid("SEARCH", *(criteria or ["ALL"]))
            if status != "OK":
                raise SourceError(f"在邮件服务器 {where} 上搜索邮件失败")
            uids = [uid for uid in (data[0] or b"").split() if uid.isdigit()]
            total = len(uids)
            for done, uid in enumerate(uids, start=1):
                status, fetched = client.uid("FETCH", uid.decode("ascii"), "(INTERNALDATE BODY.PEEK[])")
                if status != "OK":
                    raise SourceError(f"从邮件服务器 {where} 读取邮件 UID {uid.decode()} 失败")
                message_bytes: bytes | None = None
                internal: datetime | None = None
                for entry in fetched:
                    if isinstance(entry, tuple) and len(entry) >= 2:
                        internal = _parse_internaldate(entry[0]) or internal
                        message_bytes = entry[1]
                if message_bytes is None:
                    continue  # expunged meanwhile by another client
                source_label = f"{url.display()};UID={uid.decode('ascii')}"
                yield message_to_item(message_bytes, source_label, received=internal)
                if mark_seen:
                    client.uid("STORE", uid.decode("ascii"), "+FLAGS.SILENT", "(\\Seen)")
                if progress is not None:
                    progress(done, total)
        except SourceError:
            raise
        except ssl.SSLError as exc:
            raise SourceError(f"与邮件服务器 {where} 的加密连接出错：{exc.reason or exc}") from None
        except (OSError, imaplib.IMAP4.error, EOFError, UnicodeError) as exc:
            detail = _scrub(_imap_error_text(exc), password)
            raise SourceError(f"与邮件服务器 {where} 通信出错：{detail}") from None
    finally:
        try:
            if client.state == "SELECTED":
                client.close()
            client.logout()
        except (OSError, imaplib.IMAP4.error, EOFError):
            pass


# ----------------------------------------------------------------------------------------------------
# Outgoing messages


_MIME_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".xls": "application/vnd.ms-excel",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    ".csv": "text/csv",
}


def _guess_mime(name: str) -> str:
    suffix = Path(name.replace("\\", "/")).suffix.lower()
    return _MIME_TYPES.get(suffix) or mimetypes.guess_type("x" + suffix)[0] or "application/octet-stream"


def _encoded_words(text: str, limit: int = 75) -> list[str]:
    """RFC 2047 UTF-8 B words for ``text``, each ≤ ``limit`` characters, never splitting a character."""
    if text.isascii() and "=?" not in text and len(text) <= limit:
        return [text]
    words: list[str] = []
    chunk = ""
    for char in text:
        trial = chunk + char
        if len("=?UTF-8?B?" + base64.b64encode(trial.encode("utf-8")).decode("ascii") + "?=") > limit and chunk:
            words.append(chunk)
            chunk = char
        else:
            chunk = trial
    if chunk:
        words.append(chunk)
    return ["=?UTF-8?B?" + base64.b64encode(w.encode("utf-8")).decode("ascii") + "?=" for w in words]


def _fold_words(words: list[str]) -> str:
    return "\r\n ".join(words)


def _rfc2231_params(key: str, value: str, single_line_limit: int = 900, piece_limit: int = 66) -> str:
    """``key*=UTF-8''…`` on one line (legal up to 998 bytes, and read by more clients than
    continuations); only very long names are split into ``key*0*=`` continuations, on character
    boundaries because some clients decode each piece on its own."""
    safe = "!#$&+-.^_`|~"
    encoded = urllib.parse.quote(value.encode("utf-8"), safe=safe)
    if len(encoded) <= single_line_limit:
        return f"{key}*=UTF-8''{encoded}"
    pieces: list[str] = []
    current = ""
    for char in value:
        quoted = urllib.parse.quote(char.encode("utf-8"), safe=safe)
        if current and len(current) + len(quoted) > piece_limit:
            pieces.append(current)
            current = ""
        current += quoted
    pieces.append(current)
    lines = [f"{key}*0*=UTF-8''{pieces[0]}"] + [f"{key}*{n}*={piece}" for n, piece in enumerate(pieces[1:], 1)]
    return ";\r\n ".join(lines)


def _address(text: str) -> str:
    display, address = email.utils.parseaddr(text)
    if not address:
        raise PerfsheetError(f"邮件地址格式不正确：{text}")
    if not display:
        return address
    if display.isascii() and re.fullmatch(r"[A-Za-z0-9 .\-_']*", display):
        return f'"{display}" <{address}>'
    return f"{_fold_words(_encoded_words(display))} <{address}>"


def _b64_body(data: bytes) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return "\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76)) + "\r\n"


def build_message(
    *,
    sender: str,
    to: str | Sequence[str],
    subject: str,
    body: str,
    attachments: Sequence[tuple[str, bytes]],
    date: datetime | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """A message with a UTF-8 body and the given attachments, readable in Outlook, Foxmail and webmail.

    Attachment names go out twice: ``filename*=UTF-8''…`` (RFC 2231) in Content-Disposition and an
    RFC 2047 ``name=`` in Content-Type for clients that only read that. With ``date`` and
    ``message_id`` given, the bytes are deterministic (the boundary is derived from the content)."""
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        raise PerfsheetError("邮件没有收件人")
    when = date or datetime.now(CHINA_TZ)
    if when.tzinfo is None:
        when = when.replace(tzinfo=CHINA_TZ)
    sender_address = _address(sender)
    if message_id is None:
        domain = email.utils.parseaddr(sender)[1].rpartition("@")[2] or "perfsheet.invalid"
        message_id = email.utils.make_msgid(domain=domain)
    digest = hashlib.sha256()
    for piece in (sender, "\n".join(recipients), subject, body, message_id):
        digest.update(piece.encode("utf-8") + b"\0")
    for name, data in attachments:
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
    boundary = "=_perfsheet_" + digest.hexdigest()[:32]  # "=_" never occurs in base64 bodies

    message = EmailMessage(policy=_WRITE_POLICY)
    message["From"] = sender_address
    message["To"] = ",\r\n ".join(_address(r) for r in recipients)
    message["Subject"] = _fold_words(_encoded_words(subject))
    message["Date"] = email.utils.format_datetime(when)
    message["Message-ID"] = message_id
    message["MIME-Version"] = "1.0"
    message["X-Mailer"] = "perfsheet"

    text = EmailMessage(policy=_WRITE_POLICY)
    text["Content-Type"] = 'text/plain; charset="UTF-8"'
    text["Content-Transfer-Encoding"] = "base64"
    text.set_payload(_b64_body(body.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")))
    if not attachments:
        for key, value in text.items():
            message[key] = value
        message.set_payload(text.get_payload())
        return message
    parts: list[Message | str] = [text]
    for name, data in attachments:
        part = EmailMessage(policy=_WRITE_POLICY)
        part["Content-Type"] = f'{_guess_mime(name)};\r\n name="{_fold_words(_encoded_words(name))}"'
        part["Content-Transfer-Encoding"] = "base64"
        part["Content-Disposition"] = "attachment;\r\n " + _rfc2231_params("filename", name)
        part.set_payload(_b64_body(data))
        parts.append(part)
    message["Content-Type"] = f'multipart/mixed;\r\n boundary="{boundary}"'
    message.preamble = "This is a multi-part message in MIME format."
    message.set_payload(parts)
    return message


def message_bytes(message: Message) -> bytes:
    """The message as it goes on the wire (CRLF line ends)."""
    buffer = io.BytesIO()
    email.generator.BytesGenerator(buffer, mangle_from_=False, policy=_WRITE_POLICY).flatten(message)
    return buffer.getvalue()


def write_eml(message: Message, path: str | os.PathLike[str]) -> Path:
    """Write a message as an .eml file atomically (temp file in the same folder, then rename)."""
    return write_bytes_atomic(Path(path), message_bytes(message), fsync=True)


def _smtp_login(client: smtplib.SMTP, user: str, password: str) -> None:
    """smtplib encodes credentials as ASCII; non-ASCII ones go as AUTH PLAIN in UTF-8 (RFC 4616)."""
    if user.isascii() and password.isascii():
        client.login(user, password)
        return
    token = base64.b64encode(b"\0" + user.encode("utf-8") + b"\0" + password.encode("utf-8")).decode("ascii")
    code, reply = client.docmd("AUTH", "PLAIN " + token)
    if code == 334:  # server wants the response on its own line
        code, reply = client.docmd(token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def send_messages(
    messages: Sequence[Message],
    *,
    host: str,
    port: int,
    security: Literal["none", "starttls", "ssl"],
    user: str | None,
    password: str | None,
    timeout: float = 30,
    ssl_context: ssl.SSLContext | None = None,
) -> list[str]:
    """Send messages over one SMTP connection; returns their Message-IDs in order.

    ``security='none'`` is for a loopback relay only (a password is refused without TLS). Failures
    raise :class:`PerfsheetError` with a Chinese message (never the password)."""
    where = f"{host}:{port}"
    if security not in ("none", "starttls", "ssl"):
        raise PerfsheetError(f"未知的 SMTP 加密方式：{security}（可选 none、starttls、ssl）")
    if security == "none" and password and not _is_loopback(host):
        raise PerfsheetError(f"拒绝以明文向 {where} 发送密码；请使用 --starttls 或 --ssl")
    context = ssl_context or ssl.create_default_context()
    sent: list[str] = []
    try:
        if security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
    except (OSError, smtplib.SMTPException) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PerfsheetError(f"无法连接发信服务器 {where}：{_scrub(detail, password)}。请检查地址、端口和网络。") from None
    try:
        try:
            client.ehlo()
            if security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if user:
                if password is None:
                    raise PerfsheetError(f"发信服务器 {where} 需要密码")
                try:
                    _smtp_login(client, user, password)
                except smtplib.SMTPAuthenticationError:
                    raise PerfsheetError(f"登录发信服务器 {where} 失败（用户 {user}）：用户名或密码不正确") from None
            for message in messages:
                sender = email.utils.parseaddr(str(message.get("From", "")))[1]
                recipients = [addr for _n, addr in email.utils.getaddresses(
                    [str(v) for key in ("To", "Cc", "Bcc") for v in message.get_all(key, [])])]
                client.sendmail(sender, recipients, message_bytes(message))
                sent.append(str(message.get("Message-ID", "")))
        except PerfsheetError:
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            refused = "、".join(sorted(exc.recipients))
            raise PerfsheetError(f"发信服务器 {where} 拒绝了收件人：{refused}（已发送 {len(sent)} 封）") from None
        except (OSError, smtplib.SMTPException, UnicodeError) as exc:
            detail = _scrub(str(exc), password)
            raise PerfsheetError(f"通过 {where} 发信失败（已发送 {len(sent)} 封）：{detail}") from None
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            client.quit()
    return sent
