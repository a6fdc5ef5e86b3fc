"""Outgoing messages: headers encoded once (RFC 2047 words, RFC 2231 attachment names), bodies and
attachments in base64, written as .eml drafts or sent over SMTP.
"""

from __future__ import annotations

import base64
import contextlib
import email
import email.generator
import email.utils
import hashlib
import io
import mailbox
import os
import smtplib
import ssl
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy as email_policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Literal

from perfsheet.errors import PerfsheetError
from perfsheet.fsutil import write_bytes_atomic
from perfsheet.mail.net import is_loopback, scrub
from perfsheet.mail.parse import CHINA_TZ, guess_mime

__all__ = [
    "AddressLike",
    "SendOutcome",
    "addresses",
    "build_message",
    "message_bytes",
    "send_messages",
    "write_eml",
    "write_mbox",
]

_WRITE_POLICY = email_policy.compat32.clone(max_line_length=0, linesep="\r\n")


# ----------------------------------------------------------------------------------------------------
# Outgoing messages


def _encoded_words(text: str, limit: int = 75) -> list[str]:
    """RFC 2047 UTF-8 B words for an attachment's ``name=`` parameter (where the email package's header
    encoder does not reach), each ≤ ``limit`` characters, never splitting a character."""
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


# The email package's own encoder for address and subject headers: RFC 2047 words for non-ASCII
# display names and text, quoting where ASCII needs it, folded at 78 with CRLF. Nothing reaches it
# already encoded: a text address is first parsed (and any encoded word in it decoded).
_SMTP_POLICY = email_policy.SMTP
_PARSE_POLICY = email_policy.default

AddressLike = Address | str


def addresses(value: AddressLike | Sequence[AddressLike]) -> list[Address]:
    """Addresses from :class:`~email.headerregistry.Address` objects or texts such as
    ``王敏 <wm@example.cn>`` (an already encoded display name is decoded here, so it is encoded once)."""
    items: Sequence[AddressLike] = [value] if isinstance(value, Address | str) else value
    out: list[Address] = []
    for item in items:
        if isinstance(item, Address):
            out.append(item)
            continue
        try:
            parsed = _PARSE_POLICY.header_factory("To", item).addresses
        except (ValueError, IndexError):
            parsed = ()
        if not parsed or not all(a.username and a.domain for a in parsed):
            raise PerfsheetError(f"邮件地址格式不正确：{item}")
        out.extend(parsed)
    return out


def _header_value(name: str, value: object) -> str:
    """``value`` encoded and folded by the SMTP policy, as the text after ``Name: ``."""
    try:
        folded = str(_SMTP_POLICY.header_factory(name, value).fold(policy=_SMTP_POLICY))
    except (ValueError, IndexError) as exc:
        raise PerfsheetError(f"邮件头 {name} 无法生成：{exc}") from None
    return folded[len(name) + 2 :].rstrip("\r\n")


def _b64_body(data: bytes) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return "\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76)) + "\r\n"


def build_message(
    *,
    sender: AddressLike,
    to: AddressLike | Sequence[AddressLike],
    subject: str,
    body: str,
    attachments: Sequence[tuple[str, bytes]],
    date: datetime | None = None,
    message_id: str | None = None,
    reply_to: AddressLike | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> EmailMessage:
    """A message with a UTF-8 body and the given attachments, readable in Outlook, Foxmail and webmail.

    ``sender``, ``to`` and ``reply_to`` are :class:`~email.headerregistry.Address` objects (or plain
    address texts); their names are encoded once, by the email package. Attachment names go out
    twice: ``filename*=UTF-8''…`` (RFC 2231) in Content-Disposition and an RFC 2047 ``name=`` in
    Content-Type for clients that only read that. ``in_reply_to``/``references`` thread a reply to
    the chief's message. With ``date`` and ``message_id`` given, the bytes are deterministic (the
    boundary is derived from the content)."""
    sender_address = addresses(sender)
    recipients = addresses(to)
    if not recipients:
        raise PerfsheetError("邮件没有收件人")
    when = date or datetime.now(CHINA_TZ)
    if when.tzinfo is None:
        when = when.replace(tzinfo=CHINA_TZ)
    if message_id is None:
        message_id = email.utils.make_msgid(domain=sender_address[0].domain or "perfsheet.invalid")
    digest = hashlib.sha256()
    for piece in (str(sender_address[0]), "\n".join(map(str, recipients)), subject, body, message_id):
        digest.update(piece.encode("utf-8") + b"\0")
    for name, data in attachments:
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
    boundary = "=_perfsheet_" + digest.hexdigest()[:32]  # "=_" never occurs in base64 bodies

    message = EmailMessage(policy=_WRITE_POLICY)
    message["From"] = _header_value("From", sender_address)
    message["To"] = _header_value("To", recipients)
    if reply_to is not None:
        message["Reply-To"] = _header_value("Reply-To", addresses(reply_to))
    message["Subject"] = _header_value("Subject", subject)
    message["Date"] = email.utils.format_datetime(when)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = "\r\n ".join(references)
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
        part["Content-Type"] = f'{guess_mime(name)};\r\n name="{_fold_words(_encoded_words(name))}"'
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


def write_eml(
    message: Message, path: str | os.PathLike[str], *, root: str | os.PathLike[str] | None = None
) -> Path:
    """Write a message as an .eml file atomically (temp file in the same folder, then rename); with
    ``root`` (the workspace), never through a symlink (:func:`perfsheet.fsutil.confined`)."""
    return write_bytes_atomic(Path(path), message_bytes(message), fsync=True, root=root)


def write_mbox(path: Path, messages: Iterable[tuple[str, datetime, bytes]]) -> None:
    """Write (sender, date, raw message) into a new mbox at ``path`` (replacing one there), each with
    the ``From `` line an office mailbox export has; messages are written as they come (a generator
    of thousands stays small). For the demo's inbox and the benchmarks, not for workspace files."""
    if path.exists():
        path.unlink()
    box = mailbox.mbox(str(path), create=True)
    try:
        for sender, when, data in messages:
            message = mailbox.mboxMessage(data)
            message.set_from(sender, when.astimezone(UTC).timetuple())
            box.add(message)
        box.flush()
    finally:
        box.close()


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


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What happened to one message handed to :func:`send_messages`."""

    message_id: str
    error: str = ""  # empty: the server accepted it

    @property
    def sent(self) -> bool:
        return not self.error


def _envelope(message: Message) -> tuple[str, list[str]]:
    sender = email.utils.parseaddr(str(message.get("From", "")))[1]
    recipients = [
        addr
        for _name, addr in email.utils.getaddresses(
            [str(v) for key in ("To", "Cc", "Bcc") for v in message.get_all(key, [])]
        )
    ]
    return sender, recipients


def _connect(
    host: str, port: int, security: str, user: str | None, password: str | None, timeout: float,
    context: ssl.SSLContext,
) -> smtplib.SMTP:
    """An SMTP session, secured and logged in; failures raise :class:`PerfsheetError` (never the password)."""
    where = f"{host}:{port}"
    try:
        if security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
    except (OSError, smtplib.SMTPException) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PerfsheetError(f"无法连接发信服务器 {where}：{scrub(detail, password)}。请检查地址、端口和网络。") from None
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
    except PerfsheetError:
        _quit(client)
        raise
    except (OSError, smtplib.SMTPException) as exc:
        _quit(client)
        raise PerfsheetError(f"与发信服务器 {where} 建立会话失败：{scrub(str(exc), password)}") from None
    return client


def _quit(client: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError, smtplib.SMTPException):
        client.quit()


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
) -> list[SendOutcome]:
    """Send messages over one SMTP connection; one outcome per message, in order.

    A message the server refuses (a recipient, the data) fails alone and the others go on; when the
    connection breaks, that message and the rest fail. Failing to connect or log in at all raises
    :class:`PerfsheetError` (nothing was sent). ``security='none'`` is for a loopback relay only (a
    password is refused without TLS). No message ever contains the password."""
    where = f"{host}:{port}"
    if security not in ("none", "starttls", "ssl"):
        raise PerfsheetError(f"未知的 SMTP 加密方式：{security}（可选 none、starttls、ssl）")
    if security == "none" and password and not is_loopback(host):
        raise PerfsheetError(f"拒绝以明文向 {where} 发送密码；请使用 --starttls 或 --ssl")
    client = _connect(host, port, security, user, password, timeout, ssl_context or ssl.create_default_context())
    outcomes: list[SendOutcome] = []
    try:
        for message in messages:
            message_id = str(message.get("Message-ID", ""))
            sender, recipients = _envelope(message)
            try:
                client.sendmail(sender, recipients, message_bytes(message))
            except smtplib.SMTPRecipientsRefused as exc:
                refused = "、".join(sorted(exc.recipients))
                outcomes.append(SendOutcome(message_id, f"发信服务器拒绝了收件人：{refused}"))
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                outcomes.append(SendOutcome(message_id, f"发信服务器拒收：{scrub(str(exc), password)}"))
            except (OSError, smtplib.SMTPException, UnicodeError) as exc:
                error = f"与 {where} 的连接中断：{scrub(str(exc), password)}"
                outcomes.extend(SendOutcome(str(m.get("Message-ID", "")), error) for m in messages[len(outcomes):])
                break
            else:
                outcomes.append(SendOutcome(message_id))
    finally:
        _quit(client)
    return outcomes
