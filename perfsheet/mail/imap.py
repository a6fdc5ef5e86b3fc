"""IMAP mailboxes as a source: ``imap://`` and ``imaps://`` URLs (STARTTLS unless on loopback), folder
names in modified UTF-7, the password never in a URL, a message or a log.
"""

from __future__ import annotations

import base64
import imaplib
import re
import ssl
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from perfsheet.errors import SourceError
from perfsheet.mail.net import is_loopback, scrub
from perfsheet.mail.parse import ProgressCallback, SourceItem, UnreadableMessage, read_message

__all__ = [
    "IMAP_TIMEOUT",
    "iter_imap",
]

IMAP_TIMEOUT = 30.0


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


def _connect(url: _ImapUrl, context: ssl.SSLContext) -> imaplib.IMAP4:
    """An open connection, encrypted unless the server is on this machine."""
    where = f"{url.host}:{url.port}"
    try:
        if url.secure:
            return imaplib.IMAP4_SSL(url.host, url.port, ssl_context=context, timeout=IMAP_TIMEOUT)
        return imaplib.IMAP4(url.host, url.port, timeout=IMAP_TIMEOUT)
    except ssl.SSLError as exc:
        raise SourceError(f"无法与邮件服务器 {where} 建立加密连接（证书或 TLS 设置问题）：{exc.reason or exc}") from None
    except (OSError, imaplib.IMAP4.error) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else _imap_error_text(exc)
        raise SourceError(f"无法连接邮件服务器 {where}：{detail}。请检查服务器地址、端口和网络。") from None


def _open_folder(client: imaplib.IMAP4, url: _ImapUrl, password: str, context: ssl.SSLContext, *,
                 readonly: bool) -> None:
    """STARTTLS where needed (never a password in clear text off this machine), login, SELECT."""
    where = f"{url.host}:{url.port}"
    if not url.secure:
        if "STARTTLS" in client.capabilities:
            client.starttls(ssl_context=context)
        elif not is_loopback(url.host):
            raise SourceError(f"邮件服务器 {where} 不支持加密连接，拒绝以明文发送密码；请使用 imaps:// 地址")
    try:
        _imap_login(client, url.user, password)
    except imaplib.IMAP4.error as exc:
        detail = scrub(_imap_error_text(exc), password)
        raise SourceError(f"登录邮件服务器 {where} 失败（用户 {url.user}）：用户名或密码不正确。服务器答复：{detail}") from None
    status, data = client.select(_quote_imap(_imap_utf7(url.folder)), readonly=readonly)
    if status != "OK":
        detail = scrub(b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace"), password)
        raise SourceError(f"邮箱中没有文件夹“{url.folder}”（{where}）：{detail}")


def _search(client: imaplib.IMAP4, where: str, since: date | None, unseen_only: bool) -> list[bytes]:
    """UIDs of the messages asked for, in the server's order."""
    criteria: list[str] = []
    if since is not None:
        criteria.append(f"SINCE {since.day:02d}-{_MONTHS[since.month - 1]}-{since.year}")
    if unseen_only:
        criteria.append("UNSEEN")
    status, data = client.uid("SEARCH", *(criteria or ["ALL"]))
    if status != "OK":
        raise SourceError(f"在邮件服务器 {where} 上搜索邮件失败")
    return [uid for uid in (data[0] or b"").split() if uid.isdigit()]


def _fetch(client: imaplib.IMAP4, url: _ImapUrl, uid: bytes) -> SourceItem | None:
    """One message (None when another client expunged it meanwhile); a failed FETCH is an
    :class:`UnreadableMessage` whose ``reason`` is :data:`_NOT_FETCHED`."""
    status, fetched = client.uid("FETCH", uid.decode("ascii"), "(INTERNALDATE BODY.PEEK[])")
    source_label = f"{url.display()};UID={uid.decode('ascii')}"
    if status != "OK":
        return UnreadableMessage(source_label, _NOT_FETCHED)
    message_bytes: bytes | None = None
    internal: datetime | None = None
    for entry in fetched:
        if isinstance(entry, tuple) and len(entry) >= 2:
            internal = _parse_internaldate(entry[0]) or internal
            message_bytes = entry[1]
    return None if message_bytes is None else read_message(message_bytes, source_label, received=internal)


_NOT_FETCHED = "邮件服务器未能提供这封邮件"


def iter_imap(
    source: str,
    *,
    since: date | None,
    unseen_only: bool,
    mark_seen: bool,
    password: str | None,
    ssl_context: ssl.SSLContext | None,
    progress: ProgressCallback | None,
) -> Iterator[SourceItem]:
    url = _parse_imap_url(source)
    where = f"{url.host}:{url.port}"
    if password is None:
        raise SourceError(f"读取 {url.display()} 需要密码：请设置环境变量 PERFSHEET_IMAP_PASSWORD 或在提示时输入")
    context = ssl_context or ssl.create_default_context()
    client = _connect(url, context)
    try:
        try:
            _open_folder(client, url, password, context, readonly=not mark_seen)
            uids = _search(client, where, since, unseen_only)
            for done, uid in enumerate(uids, start=1):
                item = _fetch(client, url, uid)
                if item is None:
                    continue
                yield item
                if isinstance(item, UnreadableMessage) and item.reason == _NOT_FETCHED:
                    continue  # not read: stays unseen, and is not counted as done
                if mark_seen:
                    client.uid("STORE", uid.decode("ascii"), "+FLAGS.SILENT", "(\\Seen)")
                if progress is not None:
                    progress(done, len(uids))
        except SourceError:
            raise
        except ssl.SSLError as exc:
            raise SourceError(f"与邮件服务器 {where} 的加密连接出错：{exc.reason or exc}") from None
        except (OSError, imaplib.IMAP4.error, EOFError, UnicodeError) as exc:
            detail = scrub(_imap_error_text(exc), password)
            raise SourceError(f"与邮件服务器 {where} 通信出错：{detail}") from None
    finally:
        try:
            if client.state == "SELECTED":
                client.close()
            client.logout()
        except (OSError, imaplib.IMAP4.error, EOFError):
            pass
