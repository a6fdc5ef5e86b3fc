"""Outlook's own formats: a message saved as a ``.msg`` file (read with extract-msg) and attachments
that Outlook wraps in ``winmail.dat`` (TNEF, read with tnefparse).

Both libraries are imported on first use; whatever they raise on a damaged file becomes an
:class:`~perfsheet.mail.parse.UnreadableMessage` or an empty list, never a traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
from collections.abc import Callable
from typing import Any

__all__ = ["TNEF_NAMES", "is_tnef", "read_msg", "tnef_attachments"]

# The names and type Outlook gives the TNEF part.
TNEF_NAMES = frozenset({"winmail.dat", "win.dat"})
TNEF_TYPE = "application/ms-tnef"
_TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"
_MAX_DEPTH = 4  # .msg attachments inside .msg attachments


def _quiet(name: str) -> None:
    """A library's own log lines (English, about a damaged file perfsheet reports in Chinese) never
    reach the terminal: without a handler of their own they would go to logging's last resort."""
    logger = logging.getLogger(name)
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    logger.propagate = False


def is_tnef(name: str, content_type: str, content: bytes) -> bool:
    """Whether an attachment is Outlook's TNEF wrapper (by type, name or signature)."""
    if content_type.lower() == TNEF_TYPE or name.strip().lower() in TNEF_NAMES:
        return content.startswith(_TNEF_SIGNATURE)
    return False


def tnef_attachments(content: bytes) -> list[tuple[str, bytes]]:
    """(file name, bytes) of every file inside a TNEF blob; a damaged blob gives what could be read."""
    from tnefparse import TNEF  # imported here: only mail with winmail.dat needs it

    _quiet("tnefparse")  # it warns on odd-but-readable blobs
    try:
        parsed = TNEF(content, do_checksum=True)
    except Exception:  # a hostile blob: nothing usable
        return []
    out: list[tuple[str, bytes]] = []
    for attachment in parsed.attachments:
        with contextlib.suppress(Exception):
            name = str(attachment.long_filename() or attachment.name or "")
            data = attachment.data if isinstance(attachment.data, bytes) else b""
            if data:
                out.append((name.strip("\x00"), data))
    return out


def _address(sender: object) -> str:
    return str(sender or "").strip()


def _received(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return None


MsgAttachmentSink = Callable[[str, bytes, str], None]


def read_msg(data: bytes, sink: MsgAttachmentSink) -> dict[str, Any] | str:
    """Read an Outlook .msg: its headers as a dict (message_id, sender, subject, received), after
    handing every attachment to ``sink(name, bytes, content_type)`` (attached .msg files are read
    in turn); or a Chinese reason when it cannot be read."""
    import extract_msg  # imported here: a heavy import only Outlook files need

    _quiet("extract_msg")
    try:
        # A file object, never bytes: olefile takes bytes shorter than a compound file as a path.
        message = extract_msg.openMsg(io.BytesIO(data))
    except Exception:  # extract-msg raises many kinds on a damaged compound file
        return "Outlook .msg 文件已损坏或不是邮件，请在 Outlook 中重新另存或直接转发这封邮件"
    try:
        headers = {
            "message_id": str(getattr(message, "messageId", "") or ""),
            "sender": _address(getattr(message, "sender", "")),
            "subject": str(getattr(message, "subject", "") or ""),
            "received": _received(getattr(message, "date", None)),
        }
        _attachments(message, sink, 0)
        return headers
    except Exception:
        return "Outlook .msg 文件中的内容无法读取，请在 Outlook 中打开这封邮件，把附件另存后再导入"
    finally:
        with contextlib.suppress(Exception):
            message.close()


def _attachments(message: Any, sink: MsgAttachmentSink, depth: int) -> None:
    for attachment in getattr(message, "attachments", []) or []:
        data = getattr(attachment, "data", None)
        name = str(getattr(attachment, "longFilename", None) or getattr(attachment, "shortFilename", None) or "")
        if isinstance(data, bytes):
            sink(name, data, str(getattr(attachment, "mimetype", None) or "application/octet-stream"))
        elif data is not None and depth < _MAX_DEPTH and hasattr(data, "attachments"):
            _attachments(data, sink, depth + 1)  # an attached Outlook message
