"""One message → a :class:`MailItem`: its sender, subject, date and every attachment (forwarded
messages included), bounded in size, parts and nesting. Spreadsheets are found by name or by bytes.
"""

from __future__ import annotations

import email
import email.generator
import email.utils
import hashlib
import io
import mimetypes
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email import policy as email_policy
from email.message import Message
from pathlib import Path

from perfsheet.mail.names import (
    decode_filename_params,
    decode_header_text,
    decode_raw_text,
    format_sender,
    safe_filename,
    unfold,
)
from perfsheet.mail.outlook import is_tnef, read_msg, tnef_attachments

__all__ = [
    "CHINA_TZ",
    "HEADER_LINE",
    "MAX_MESSAGE_BYTES",
    "MAX_NESTING",
    "MAX_PARTS",
    "MIME_TYPES",
    "OLE_MAGIC",
    "SPREADSHEET_EXTENSIONS",
    "Attachment",
    "MailItem",
    "ProgressCallback",
    "SourceItem",
    "UnreadableMessage",
    "guess_mime",
    "loose_item",
    "message_to_item",
    "parse_message_bytes",
    "read_message",
]

# Spreadsheet files by name. ``.et``/``.ett`` are WPS 表格 files (BIFF-compatible); a return is still
# identified later by its content, this only decides what is worth archiving.
SPREADSHEET_EXTENSIONS = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".et", ".ett"})

# China Standard Time: the bureau's zone, assumed for Date headers that carry no zone.
CHINA_TZ = timezone(timedelta(hours=8), "CST")

MAX_MESSAGE_BYTES = 200 * 1024 * 1024
MAX_PARTS = 2000
MAX_NESTING = 12

# compat32 keeps header values as found (raw 8-bit bytes survive as surrogate escapes), which is what
# tolerant decoding needs; max_line_length=0 stops it from re-folding headers we fold ourselves.
_READ_POLICY = email_policy.compat32

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


# Content types by extension, for reading (a part's declared type) and for writing attachments.
MIME_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".xls": "application/vnd.ms-excel",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    ".csv": "text/csv",
}


def guess_mime(name: str) -> str:
    """The MIME type of a file by its name (Office types first; octet-stream when unknown)."""
    suffix = Path(name.replace("\\", "/")).suffix.lower()
    return MIME_TYPES.get(suffix) or mimetypes.guess_type("x" + suffix)[0] or "application/octet-stream"



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

    def add(self, attachment: Attachment) -> None:
        if attachment.is_spreadsheet:
            self.attachments.append(attachment)
        else:
            self.skipped.append(attachment.name or "（未命名附件）")


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
    if is_tnef(name, content_type, content):
        # Outlook's winmail.dat: the files are inside it.
        for inner_name, inner_data in tnef_attachments(content):
            collector.add(_make_attachment(inner_name, inner_name, inner_data, guess_mime(inner_name)))
        return
    collector.add(_make_attachment(raw_name, name, content, content_type))


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
        parsed = email.utils.parsedate_to_datetime(decode_raw_text(unfold(str(value))).strip())
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
    message_id = decode_raw_text(unfold(str(_header(message, "Message-ID") or ""))).strip()
    return MailItem(
        source=source,
        message_id=message_id,
        sender=format_sender(_header(message, "From")),
        subject=decode_header_text(_header(message, "Subject")),
        received=received if received is not None else _parse_date(_header(message, "Date")),
        attachments=tuple(collector.attachments),
        skipped=tuple(collector.skipped),
    )


@dataclass(frozen=True)
class UnreadableMessage:
    """A message a source holds but that cannot be read as mail: ``reason`` says why in Chinese,
    ``raw`` holds its bytes as found (empty when too large to keep) so they can be archived."""

    source: str
    reason: str
    raw: bytes = b""


SourceItem = MailItem | UnreadableMessage

# A message starts with a header line ("Name: value"); the same pattern mbox reading uses.
HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")


def read_message(data: bytes, source: str, *, received: datetime | None = None) -> SourceItem:
    """One message as found in a source: a :class:`MailItem`, or an :class:`UnreadableMessage`
    (no header at all, an Outlook .msg saved under another name, or a message the parser fails on)."""
    if data.startswith(OLE_MAGIC):
        return _outlook_message(data, source, received)
    if not HEADER_LINE.match(data):
        return UnreadableMessage(source, "没有邮件头，不是一封完整的邮件", data)
    try:
        return message_to_item(data, source, received=received)
    except (ValueError, LookupError, TypeError, UnicodeError, AttributeError):
        return UnreadableMessage(source, "邮件结构无法解析，请把其中的附件另存为文件后再导入", data)


def _outlook_message(data: bytes, source: str, received: datetime | None) -> SourceItem:
    """An Outlook .msg file (whatever it was named) as a MailItem."""
    collector = _Collector()

    def sink(name: str, content: bytes, content_type: str) -> None:
        collector.parts += 1
        if collector.parts <= MAX_PARTS:
            collector.add(_make_attachment(name, name, content, content_type))

    headers = read_msg(data, sink)
    if isinstance(headers, str):
        return UnreadableMessage(source, headers, data)
    when = headers["received"]
    return MailItem(
        source=source,
        message_id=str(headers["message_id"]),
        sender=str(headers["sender"]),
        subject=str(headers["subject"]),
        received=received if received is not None else (when.astimezone(CHINA_TZ) if when else None),
        attachments=tuple(collector.attachments),
        skipped=tuple(collector.skipped),
    )


def loose_item(name: str, content: bytes, source: str) -> MailItem:
    attachment = _make_attachment(name, name, content, guess_mime(name))
    return MailItem(
        source=source, message_id="", sender="", subject="", received=None,
        attachments=(attachment,), skipped=(),
    )
