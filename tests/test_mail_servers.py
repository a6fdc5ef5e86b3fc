"""perfsheet.mail against real servers on loopback: aiosmtpd receives what we send, Dovecot serves
the mailbox we read (read-only unless mark_seen)."""

from __future__ import annotations

import hashlib
import io
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import xlsxwriter
from conftest import MAIL_FIXTURES
from servers import SMTP_PASSWORD, SMTP_USER, DovecotServer, SmtpServer, free_port

from perfsheet.errors import PerfsheetError, SourceError
from perfsheet.mail.compose import build_message, message_bytes, send_messages
from perfsheet.mail.imap import _imap_utf7
from perfsheet.mail.parse import message_to_item
from perfsheet.mail.sources import iter_source

# The server fixtures (smtp_server, smtp_auth_server, imap_server, imap_plain_server) come from
# servers.py, registered as a plugin in conftest.py.
pytestmark = pytest.mark.dovecot

NAMES = ["2025年6月-法律援助-预算绩效运行监控表.xlsx", "附件2：统计汇总表（第二季度）.xlsx"]


def workbook(text: str) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"created": datetime(2025, 1, 1)})
    book.add_worksheet("监控表").write(0, 0, text)
    book.close()
    return buffer.getvalue()


def outgoing(n: int = 2) -> list[tuple[str, bytes]]:
    return [(NAMES[i % len(NAMES)], workbook(f"第{i}份")) for i in range(n)]


def sample_messages() -> list[tuple[object, list[tuple[str, bytes]]]]:
    result = []
    for number, to in enumerate(["张科长 <chief@example.cn>", "李科长 <li@example.cn>"]):
        attachments = outgoing(2)
        message = build_message(
            sender="路南区司法局办公室 <office@example.cn>", to=to,
            subject=f"请报送2025年6月预算绩效运行监控表（{number + 1}）", body="您好：\n请填写附件。",
            attachments=attachments, date=datetime(2025, 7, 1, 9, number), message_id=f"<m{number}@perfsheet>",
        )
        result.append((message, attachments))
    return result


def test_send_over_smtp_round_trip(smtp_server: SmtpServer) -> None:
    host, port, received = smtp_server
    messages = sample_messages()
    outcomes = send_messages([m for m, _ in messages], host=host, port=port, security="none", user=None, password=None)
    assert [(o.message_id, o.sent) for o in outcomes] == [("<m0@perfsheet>", True), ("<m1@perfsheet>", True)]
    assert [r.rcpt_tos for r in received] == [["chief@example.cn"], ["li@example.cn"]]
    assert all(r.mail_from == "office@example.cn" for r in received)
    for got, (message, attachments) in zip(received, messages, strict=True):
        assert got.content.replace(b"\r\n", b"\n") == message_bytes(message).replace(b"\r\n", b"\n")  # type: ignore[arg-type]
        item = message_to_item(got.content, "smtp")
        assert [(a.name, a.content) for a in item.attachments] == attachments


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login_and_bad_password(smtp_auth_server: SmtpServer) -> None:
    host, port, received = smtp_auth_server
    message = sample_messages()[0][0]
    send_messages([message], host=host, port=port, security="none", user=SMTP_USER, password=SMTP_PASSWORD)  # type: ignore[list-item]
    assert len(received) == 1
    wrong = "wrong-秘密-8472"
    with pytest.raises(PerfsheetError, match="用户名或密码不正确") as info:
        send_messages([message], host=host, port=port, security="none", user=SMTP_USER, password=wrong)  # type: ignore[list-item]
    assert wrong not in str(info.value) and len(received) == 1


def test_smtp_unreachable_is_a_clear_error() -> None:
    message = sample_messages()[0][0]
    with pytest.raises(PerfsheetError, match="无法连接发信服务器") as info:
        send_messages([message], host="127.0.0.1", port=free_port(), security="none", user="u",  # type: ignore[list-item]
                      password="pw-4711", timeout=5)
    assert "pw-4711" not in str(info.value)


def test_send_then_read_back_from_imap_read_only(smtp_server: SmtpServer, imap_server: DovecotServer) -> None:
    host, port, received = smtp_server
    messages = sample_messages()
    send_messages([m for m, _ in messages], host=host, port=port, security="none", user=None, password=None)
    for got in received:
        imap_server.deliver(got.content)
    url = imap_server.url()  # imap:// with STARTTLS (the server offers it)
    context = imap_server.ssl_context
    progress: list[tuple[int, int | None]] = []
    items = list(iter_source(url, password=imap_server.password, ssl_context=context,
                             progress=lambda done, total: progress.append((done, total))))
    assert [[(a.name, a.content) for a in item.attachments] for item in items] == [a for _, a in messages]
    assert [i.subject for i in items] == ["请报送2025年6月预算绩效运行监控表（1）", "请报送2025年6月预算绩效运行监控表（2）"]
    assert all(i.source.startswith(url + ";UID=") and imap_server.password not in i.source for i in items)
    assert all(i.received is not None for i in items)
    assert progress == [(1, 2), (2, 2)]
    # read-only: nothing was flagged, so an UNSEEN search still finds both
    assert imap_server.flags() == ["", ""]
    assert len(list(iter_source(url, unseen_only=True, password=imap_server.password, ssl_context=context))) == 2
    # since: today's deliveries are found, tomorrow's search is empty
    assert len(list(iter_source(url, since=date.today(), password=imap_server.password, ssl_context=context))) == 2
    tomorrow = date.today() + timedelta(days=1)
    assert list(iter_source(url, since=tomorrow, password=imap_server.password, ssl_context=context)) == []
    # mark_seen flags each message once it has been taken
    seen = list(iter_source(url, unseen_only=True, mark_seen=True, password=imap_server.password, ssl_context=context))
    assert len(seen) == 2
    assert imap_server.flags() == ["S", "S"]
    assert list(iter_source(url, unseen_only=True, password=imap_server.password, ssl_context=context)) == []


def test_imaps_fixture_messages_and_chinese_folder(imap_server: DovecotServer) -> None:
    folder = "已处理"
    # Maildir++ keeps folder names in modified UTF-7 on disk, as IMAP names them.
    for path in sorted(MAIL_FIXTURES.glob("*.eml")):
        imap_server.deliver(path.read_bytes(), folder=_imap_utf7(folder))
    items = list(iter_source(imap_server.url(folder, secure=True), password=imap_server.password,
                             ssl_context=imap_server.ssl_context))
    from_files = [next(iter_source(str(p))) for p in sorted(MAIL_FIXTURES.glob("*.eml"))]
    assert [[(a.name, a.sha256) for a in i.attachments] for i in items] == [
        [(a.name, hashlib.sha256(a.content).hexdigest()) for a in i.attachments] for i in from_files
    ]
    assert [i.skipped for i in items] == [i.skipped for i in from_files]


def test_imap_plaintext_on_loopback(imap_plain_server: DovecotServer) -> None:
    imap_plain_server.deliver((MAIL_FIXTURES / "b3_outlook_gbk_two_words.eml").read_bytes(), seen=True)
    (item,) = list(iter_source(imap_plain_server.url(), password=imap_plain_server.password))
    assert item.attachments[0].name.startswith("2025年度法律援助案件受理情况统计表")
    assert list(iter_source(imap_plain_server.url(), unseen_only=True, password=imap_plain_server.password)) == []


def test_imap_errors_are_clear_and_never_show_the_password(imap_server: DovecotServer) -> None:
    wrong = "wrong-秘密-0815"
    with pytest.raises(SourceError, match="没有文件夹") as info:
        list(iter_source(imap_server.url("不存在"), password=imap_server.password, ssl_context=imap_server.ssl_context))
    assert imap_server.password not in str(info.value)
    with pytest.raises(SourceError, match="证书"):  # self-signed and not trusted by default
        list(iter_source(imap_server.url(secure=True), password=imap_server.password))
    with pytest.raises(SourceError, match="需要密码"):
        list(iter_source(imap_server.url()))
    # last: Dovecot slows down further logins from an address after a failed one
    with pytest.raises(SourceError, match=r"登录邮件服务器.*失败") as info:
        list(iter_source(imap_server.url(), password=wrong, ssl_context=imap_server.ssl_context))
    assert wrong not in str(info.value) and imap_server.password not in str(info.value)
    log = imap_server.log_path.read_text("utf-8", "replace")
    assert wrong not in log and imap_server.password not in log


def test_imap_unreachable_server() -> None:
    with pytest.raises(SourceError, match="无法连接邮件服务器") as info:
        list(iter_source(f"imaps://chief@127.0.0.1:{free_port()}/INBOX", password="pw-1234"))
    assert "pw-1234" not in str(info.value)


def test_imap_errors_do_not_leave_files(tmp_path: Path, imap_server: DovecotServer) -> None:
    # Reading writes nothing on the client side: the working directory stays as it was.
    before = sorted(Path.cwd().iterdir())
    list(iter_source(imap_server.url(), password=imap_server.password, ssl_context=imap_server.ssl_context))
    assert sorted(Path.cwd().iterdir()) == before


def test_an_unreadable_message_over_imap_costs_no_other(imap_server: DovecotServer) -> None:
    """A message with no header and an Outlook file pasted as a message sit between two good ones
    in the IMAP folder: both good ones are read with their attachments, each bad one is reported
    with its raw bytes kept for the archive."""
    from perfsheet.mail.parse import MailItem, UnreadableMessage

    good = (MAIL_FIXTURES / "b3_outlook_gbk_two_words.eml").read_bytes()
    bad = [b"\xe4\xbd\xa0\xe5\xa5\xbd\r\nplain text, no header\r\n", bytes.fromhex("D0CF11E0A1B11AE1") + b"\xff" * 64]  # no NUL: IMAP servers replace it
    for message in (good, *bad, good):
        imap_server.deliver(message)
    items = list(iter_source(imap_server.url(secure=True), password=imap_server.password,
                             ssl_context=imap_server.ssl_context))
    assert [type(i).__name__ for i in items] == ["MailItem", "UnreadableMessage", "UnreadableMessage", "MailItem"]
    assert all(i.attachments for i in items if isinstance(i, MailItem))
    unreadable = [i for i in items if isinstance(i, UnreadableMessage)]
    assert [i.raw.replace(b"\r\n", b"\n") for i in unreadable] == [b.replace(b"\r\n", b"\n") for b in bad]
    assert "没有邮件头" in unreadable[0].reason and ".msg" in unreadable[1].reason
