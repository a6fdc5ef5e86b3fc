"""perfsheet.mail without servers: the shared fixture messages, tolerant name decoding, sanitising,
file sources (folder, mbox, Maildir, zip) and outgoing messages."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import unicodedata
import urllib.parse
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
import xlsxwriter
from conftest import MAIL_FIXTURES
from hypothesis import example, given, settings
from hypothesis import strategies as st

from perfsheet.errors import SourceError
from perfsheet.mail.compose import build_message, message_bytes, write_eml
from perfsheet.mail.names import decode_filename_params, decode_header_text, safe_filename, unique_names
from perfsheet.mail.parse import Attachment, MailItem, UnreadableMessage, message_to_item, parse_message_bytes
from perfsheet.mail.sources import iter_source

MANIFEST = json.loads((MAIL_FIXTURES / "manifest.json").read_text(encoding="utf-8"))


def xlsx_bytes(text: str = "值") -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.set_properties({"created": datetime(2025, 1, 1)})
    workbook.add_worksheet("监控表").write(0, 0, text)
    workbook.close()
    return buffer.getvalue()


def eml_with_part_headers(part_headers: bytes, content: bytes, *, subject: bytes = b"test",
                          date_header: bytes = b"Thu, 26 Jun 2025 10:15:32 +0800") -> bytes:
    """A message whose attachment part carries exactly the given header bytes."""
    body = base64.encodebytes(content)
    return (
        b"From: a@example.cn\r\nTo: b@example.org\r\nSubject: " + subject + b"\r\nDate: " + date_header
        + b"\r\nMessage-ID: <t@example.cn>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="BOUND"\r\n\r\n'
        b"--BOUND\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n"
        b"--BOUND\r\n" + part_headers + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + body
        + b"\r\n--BOUND--\r\n"
    )


def only_attachment(data: bytes) -> Attachment:
    item = message_to_item(data, "test")
    assert len(item.attachments) == 1, item
    return item.attachments[0]


# ---------------------------------------------------------------------------------------------------
# The shared fixture messages


@pytest.mark.parametrize("entry", MANIFEST["messages"], ids=[m["id"] for m in MANIFEST["messages"]])
def test_fixture_messages_give_the_names_a_person_sees(entry: dict[str, object]) -> None:
    items = list(iter_source(str(MAIL_FIXTURES / str(entry["file"]))))
    assert len(items) == 1
    item = items[0]
    expected = entry["expected_attachments"]
    assert isinstance(expected, list)
    want_files = [(e["filename"], e["sha256"]) for e in expected if e["sha256"] is not None]
    want_skipped = [e["filename"] for e in expected if e["sha256"] is None]
    got_files = [(a.name, hashlib.sha256(a.content).hexdigest()) for a in item.attachments]
    assert got_files == want_files
    assert list(item.skipped) == want_skipped
    for attachment in item.attachments:
        assert attachment.is_spreadsheet
        assert attachment.safe_name == safe_filename(attachment.name)
        assert attachment.raw_name  # kept for the ledger
    assert item.message_id.startswith("<") and item.message_id.endswith(">")
    assert item.received is not None and item.received.utcoffset() is not None
    assert item.sender.endswith("<zhangsan@example.cn>")


def test_fixture_senders_and_subjects_are_decoded() -> None:
    item = next(iter_source(str(MAIL_FIXTURES / "b1_foxmail_gb2312_b64.eml")))
    assert item.sender == "张三 <zhangsan@example.cn>"
    assert item.subject == "6月法律援助统计表"
    forwarded = next(iter_source(str(MAIL_FIXTURES / "f_forwarded_as_attachment.eml")))
    assert forwarded.subject == "转发: 6月法律援助统计表"
    assert forwarded.sender == "李四 <zhangsan@example.cn>"


def test_hostile_name_is_shown_but_never_a_path() -> None:
    item = next(iter_source(str(MAIL_FIXTURES / "e1_traversal_plain.eml")))
    attachment = item.attachments[0]
    assert attachment.name == "../../evil.xlsx"
    assert attachment.safe_name == "evil.xlsx"
    assert Path(attachment.safe_name).name == attachment.safe_name


def test_raw_gbk_name_keeps_the_bytes_in_raw_name() -> None:
    attachment = next(iter_source(str(MAIL_FIXTURES / "b7_raw_gbk_bytes.eml"))).attachments[0]
    assert attachment.name == "2025年法律援助-6月.xlsx"
    # raw_name is storable text (no surrogates) that still shows the original GBK bytes
    assert attachment.raw_name.encode("utf-8")
    assert "\\xc4\\xea" in attachment.raw_name


def test_fixture_folder_as_one_source() -> None:
    items = list(iter_source(str(MAIL_FIXTURES)))
    assert len(items) == len(MANIFEST["messages"])
    assert sum(len(i.attachments) for i in items) == 9


# ---------------------------------------------------------------------------------------------------
# Tolerant decoding of hand-built headers


def test_rfc2231_continuations_in_gbk_split_inside_a_character() -> None:
    name = "2025年法律援助统计表.xlsx"
    encoded = urllib.parse.quote(name.encode("gbk"))
    cut = encoded.index("%", 10) + 3  # after the first byte of a two-byte GBK character
    header = (
        f"Content-Type: application/octet-stream\r\nContent-Disposition: attachment;\r\n"
        f" filename*0*=gbk'zh-cn'{encoded[:cut]};\r\n filename*1*={encoded[cut:]}"
    ).encode("ascii")
    attachment = only_attachment(eml_with_part_headers(header, xlsx_bytes()))
    assert attachment.name == name
    assert attachment.raw_name.startswith("filename*0*=gbk'zh-cn'")


def test_rfc2231_mixed_encoded_and_plain_sections() -> None:
    header = b"Content-Disposition: attachment; filename*0*=UTF-8''%E6%B3%95%E5%BE%8B; filename*1=\"-6.xlsx\""
    assert only_attachment(eml_with_part_headers(header, xlsx_bytes())).name == "法律-6.xlsx"


def test_rfc2231_without_charset_quotes_is_read_as_utf8() -> None:
    header = b"Content-Disposition: attachment; filename*=%E6%B3%95%E5%BE%8B.xlsx"
    assert only_attachment(eml_with_part_headers(header, xlsx_bytes())).name == "法律.xlsx"


def test_encoded_words_split_inside_a_multibyte_character() -> None:
    name = "法律援助.xlsx"
    data = name.encode("utf-8")
    first, second = data[:4], data[4:]  # byte 4 is inside 律 (3 bytes each)
    words = " ".join(f"=?utf-8?B?{base64.b64encode(p).decode()}?=" for p in (first, second))
    header = f'Content-Type: application/octet-stream;\r\n name="{words}"'.encode("ascii")
    assert only_attachment(eml_with_part_headers(header, xlsx_bytes())).name == name
    assert decode_header_text(words) == name


def test_unquoted_encoded_words_and_q_encoding() -> None:
    b_words = "=?gbk?B?" + base64.b64encode("汇总表".encode("gbk")).decode() + "?= =?gbk?B?" + base64.b64encode(
        b".xlsx").decode() + "?="
    header = f"Content-Disposition: attachment; filename={b_words}".encode("ascii")
    assert only_attachment(eml_with_part_headers(header, xlsx_bytes())).name == "汇总表.xlsx"
    q_word = "=?UTF-8?Q?" + "".join(f"={b:02X}" for b in "报表".encode()) + "_1.xlsx?="
    assert decode_filename_params(f'attachment; filename="{q_word}"', None) == (q_word, "报表 1.xlsx")


def test_gb2312_label_with_gbk_and_gb18030_only_characters() -> None:
    # 堃 is not in GB2312 (only GBK); 㐀 needs GB18030's four-byte form.
    name = "王堃㐀统计.xlsx"
    word = "=?gb2312?B?" + base64.b64encode(name.encode("gb18030")).decode() + "?="
    assert decode_filename_params(f'attachment; filename="{word}"', None) == (word, name)


@pytest.mark.parametrize("codec", ["gb18030", "utf-8"])
def test_raw_8bit_names_in_headers(codec: str) -> None:
    name = "预算绩效㐀监控.xlsx"
    header = b'Content-Disposition: attachment; filename="' + name.encode(codec) + b'"'
    assert only_attachment(eml_with_part_headers(header, xlsx_bytes())).name == name


def test_raw_8bit_subject_and_language_tagged_word() -> None:
    data = eml_with_part_headers(
        b'Content-Disposition: attachment; filename="=?UTF-8*zh?B?' + base64.b64encode("表.xlsx".encode()) + b'?="',
        xlsx_bytes(),
        subject="六月 月报".encode("gb18030"),
    )
    item = message_to_item(data, "x")
    assert item.subject == "六月 月报"
    assert item.attachments[0].name == "表.xlsx"


def test_windows_path_in_name_is_kept_for_display_and_stripped_for_storage() -> None:
    header = 'Content-Disposition: attachment; filename="C:\\Users\\张三\\桌面\\报表.xlsx"'.encode("gb18030")
    attachment = only_attachment(eml_with_part_headers(header, xlsx_bytes()))
    assert attachment.name == "C:\\Users\\张三\\桌面\\报表.xlsx"
    assert attachment.safe_name == "报表.xlsx"


def test_spreadsheet_is_recognised_by_content_and_others_are_listed() -> None:
    workbook = xlsx_bytes()
    data = eml_with_part_headers(b'Content-Type: application/octet-stream; name="scan.bin"', workbook)
    attachment = only_attachment(data)
    assert attachment.is_spreadsheet and attachment.content == workbook
    pdf = eml_with_part_headers(b'Content-Disposition: attachment; filename="=?utf-8?B?6K+05piOLnBkZg==?="',
                                b"%PDF-1.4 not a workbook")
    item = message_to_item(pdf, "x")
    assert item.attachments == () and item.skipped == ("说明.pdf",)


def test_date_without_zone_is_read_as_china_time() -> None:
    data = eml_with_part_headers(b'Content-Disposition: attachment; filename="a.xlsx"', xlsx_bytes(),
                                 date_header=b"26 Jun 2025 10:15:32")
    received = message_to_item(data, "x").received
    assert received is not None and received.utcoffset() is not None
    assert received.utcoffset().total_seconds() == 8 * 3600  # type: ignore[union-attr]


@settings(max_examples=300, deadline=None)
@given(header=st.binary(max_size=300), content=st.binary(max_size=64))
def test_any_part_header_bytes_parse_without_error(header: bytes, content: bytes) -> None:
    header = header.replace(b"\r", b"").replace(b"\n", b" ")
    item = message_to_item(eml_with_part_headers(b"Content-Disposition: attachment; filename=" + header, content), "x")
    for attachment in item.attachments:
        assert attachment.name.encode("utf-8") and attachment.raw_name.encode("utf-8")
        assert attachment.safe_name == safe_filename(attachment.name or "attachment")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_decoding_arbitrary_parameter_text_never_fails(text: str) -> None:
    result = decode_filename_params(f"attachment; filename*0*={text}; filename={text}", f"x/y; name={text}")
    assert result is None or isinstance(result[1], str)
    assert isinstance(decode_header_text(text), str)


# ---------------------------------------------------------------------------------------------------
# Sanitising


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../evil.xlsx", "evil.xlsx"),
        ("..\\..\\evil.xlsx", "evil.xlsx"),
        ("C:evil.xlsx", "evil.xlsx"),
        ("/etc/passwd", "passwd"),
        ("..", "attachment"),
        ("", "attachment"),
        ("   ...", "attachment"),
        ("报表\u202eslx.exe", "报表slx.exe"),
        ("a\x00b\nc.xlsx", "abc.xlsx"),
        ('a<b>c:d"e|f?g*h.xlsx', "a_b_c_d_e_f_g_h.xlsx"),
        ("report.xlsx. . ", "report.xlsx"),
        ("CON.xlsx", "_CON.xlsx"),
        ("con", "_con"),
        ("lpt9.tar.gz", "_lpt9.tar.gz"),
        ("COM¹.xlsx", "_COM¹.xlsx"),
        ("CONSOLE.xlsx", "CONSOLE.xlsx"),
        ("2025年法律援助-6月.xlsx", "2025年法律援助-6月.xlsx"),
    ],
)
def test_safe_filename_cases(raw: str, expected: str) -> None:
    assert safe_filename(raw) == expected


def test_safe_filename_bounds_length_and_keeps_the_extension() -> None:
    assert safe_filename("a" * 300 + ".xlsx") == "a" * 115 + ".xlsx"  # 120 characters
    long_name = "很长的文件名" * 60 + ".xlsx"
    result = safe_filename(long_name)  # 3 UTF-8 bytes per character: the 255-byte limit applies first
    assert result.endswith(".xlsx") and long_name.startswith(result[:-5])
    assert len(result.encode("utf-8")) <= 255 < len(result.encode("utf-8")) + 3
    assert len(safe_filename(long_name, max_length=500).encode("utf-8")) <= 255
    assert safe_filename("𠀀" * 100 + ".xlsx", max_length=200).endswith(".xlsx")


_FORBIDDEN = set('<>:"/\\|?*') | {chr(c) for c in range(32)} | set(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
)
_RESERVED_STEMS = {"CON", "PRN", "AUX", "NUL"} | {f"{d}{n}" for d in ("COM", "LPT") for n in "123456789¹²³"}


@settings(max_examples=400, deadline=None)
@given(name=st.text(max_size=400), max_length=st.integers(min_value=1, max_value=300))
@example(name="E\x1f\u0300", max_length=1)  # a control char removed between a letter and its accent
def test_safe_filename_properties(name: str, max_length: int) -> None:
    result = safe_filename(name, max_length=max_length)
    assert result
    assert not (set(result) & _FORBIDDEN)
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in result)
    assert result.split(".", 1)[0].rstrip(" ").upper() not in _RESERVED_STEMS
    assert len(result) <= max(max_length, 24)
    assert len(result.encode("utf-8")) <= 255
    assert not result.endswith((".", " ")) and result not in (".", "..")
    assert safe_filename(result, max_length=max_length) == result  # idempotent


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["x.xlsx", "X.xlsx", "x (2).xlsx", "y", "报表.xlsx"]), max_size=12))
def test_unique_names_properties(names: list[str]) -> None:
    result = unique_names(names)
    assert len(result) == len(names)
    assert len({r.casefold() for r in result}) == len(result)


def test_unique_names_numbering() -> None:
    assert unique_names(["x.xlsx", "x.xlsx", "X.xlsx", "y"]) == ["x.xlsx", "x (2).xlsx", "X (3).xlsx", "y"]


# ---------------------------------------------------------------------------------------------------
# File sources


def test_folder_with_every_kind_of_source(tmp_path: Path) -> None:
    source = tmp_path / "收件"
    (source / "sub").mkdir(parents=True)
    fixture = (MAIL_FIXTURES / "a1_rfc2231_utf8.eml").read_bytes()
    (source / "sub" / "a1.eml").write_bytes(fixture)
    (source / "loose.xlsx").write_bytes(xlsx_bytes("loose"))
    (source / "~$loose.xlsx").write_bytes(b"lock file")
    (source / "notes.txt").write_text("ignored", encoding="utf-8")
    mbox = b"From a@example.cn Thu Jun 26 10:15:32 2025\r\n" + fixture + b"\r\n"
    (source / "mailbox").write_bytes(mbox)
    maildir = source / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1.host").write_bytes((MAIL_FIXTURES / "c_ascii.eml").read_bytes())
    with zipfile.ZipFile(source / "returns.zip", "w") as archive:
        archive.writestr("d.eml", (MAIL_FIXTURES / "d_outlook_html_two_attachments.eml").read_bytes())
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    items = list(iter_source(str(source)))
    names = sorted(a.name for item in items for a in item.attachments)
    assert names == sorted(["2025年法律援助-6月.xlsx"] * 3 + ["report-2025-06.xlsx", "附件2：统计汇总表.xlsx", "loose.xlsx"])
    loose = next(i for i in items if i.source.endswith("loose.xlsx"))
    assert loose.sender == "" and loose.received is None and loose.attachments[0].is_spreadsheet
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # read-only


def test_mbox_with_several_messages_and_from_quoting(tmp_path: Path) -> None:
    first = (MAIL_FIXTURES / "c_ascii.eml").read_bytes().replace(b"see attachment", b">From the office")
    second = (MAIL_FIXTURES / "b1_foxmail_gb2312_b64.eml").read_bytes()
    path = tmp_path / "inbox.mbox"
    path.write_bytes(b"From x Thu Jun 26 10:15:32 2025\n" + first + b"\nFrom y Fri Jun 27 10:00:00 2025\n" + second)
    items = list(iter_source(str(path)))
    assert [i.source for i in items] == [f"{path}#1", f"{path}#2"]
    assert [i.attachments[0].sha256 for i in items] == [MANIFEST["messages"][0]["expected_attachments"][0]["sha256"]] * 2
    assert list(iter_source(str(path), since=date(2025, 6, 27))) == []  # both are dated 26 June


def test_a_file_that_is_no_mbox_is_a_clear_source_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.mbox"
    path.write_bytes(b"\x00\x01\x02 binary garbage")
    with pytest.raises(SourceError, match="mbox"):
        list(iter_source(str(path)))


def test_one_bad_message_never_costs_the_others_of_an_mbox(tmp_path: Path) -> None:
    good = (MAIL_FIXTURES / "b1_foxmail_gb2312_b64.eml").read_bytes()
    bad = [
        b"\x00\x00garbage without headers\r\n",
        b"\r\nFrom: after a blank line <a@b.cn>\r\n\r\nbody\r\n",
        b"Fro : broken header\r\n\r\nbody\r\n",
        bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 64,  # an Outlook .msg pasted into the mbox
    ]
    blob = b""
    for message in [good, *bad, good]:
        # As mbox writers do: a blank line before each "From " separator.
        blob += b"From x@y Thu Jun 26 10:15:32 2025\n" + message.rstrip(b"\r\n") + b"\n\n"
    path = tmp_path / "mixed.mbox"
    path.write_bytes(blob)
    items = list(iter_source(str(path)))
    assert [type(i).__name__ for i in items] == ["MailItem", *["UnreadableMessage"] * 4, "MailItem"]
    assert all(i.attachments for i in items if isinstance(i, MailItem))
    unreadable = [i for i in items if isinstance(i, UnreadableMessage)]
    assert [i.source.rsplit("#", 1)[1] for i in unreadable] == ["2", "3", "4", "5"]
    assert "没有邮件头" in unreadable[0].reason and ".msg" in unreadable[3].reason
    assert all(i.raw for i in unreadable)


@pytest.mark.parametrize(
    ("source", "pattern"),
    [("does/not/exist", "找不到来源"), ("ftp://host/x", "不支持"), ("imaps://user:secret@host/INBOX", "不能包含密码")],
)
def test_unusable_sources(source: str, pattern: str) -> None:
    with pytest.raises(SourceError, match=pattern) as info:
        list(iter_source(source))
    assert "secret" not in str(info.value)


def test_maildir_unseen_only(tmp_path: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (tmp_path / sub).mkdir()
    fixture = (MAIL_FIXTURES / "c_ascii.eml").read_bytes()
    (tmp_path / "cur" / "1.host:2,S").write_bytes(fixture)
    (tmp_path / "cur" / "2.host:2,").write_bytes(fixture)
    (tmp_path / "new" / "3.host").write_bytes(fixture)
    assert len(list(iter_source(str(tmp_path)))) == 3
    assert len(list(iter_source(str(tmp_path), unseen_only=True))) == 2


def _zip_with_gbk_name(path: Path, name: str, data: bytes) -> None:
    """A zip as Chinese Windows writes it: GBK entry names without the UTF-8 flag."""
    raw = name.encode("gbk")
    placeholder = "N" * len(raw)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(placeholder, data)
    path.write_bytes(path.read_bytes().replace(placeholder.encode("ascii"), raw))


def test_zip_entries_gbk_names_and_zip_slip(tmp_path: Path) -> None:
    workbook = xlsx_bytes()
    gbk_zip = tmp_path / "returns.zip"
    _zip_with_gbk_name(gbk_zip, "财务科/预算执行表.xlsx", workbook)
    items = list(iter_source(str(gbk_zip)))
    assert [(a.name, a.safe_name, a.content) for i in items for a in i.attachments] == [
        ("财务科/预算执行表.xlsx", "预算执行表.xlsx", workbook)
    ]
    slip = tmp_path / "slip.zip"
    with zipfile.ZipFile(slip, "w") as archive:
        archive.writestr("../../evil.xlsx", workbook)
        archive.writestr("readme.txt", "ignored")
    before = sorted(tmp_path.parent.iterdir())
    (item,) = list(iter_source(str(slip)))
    assert item.attachments[0].safe_name == "evil.xlsx"
    assert sorted(tmp_path.parent.iterdir()) == before


def test_zip_bounds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from perfsheet.mail import sources as mail

    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.xlsx", b"\0" * (3 * 1024 * 1024))
    (item,) = iter_source(str(path))  # the bomb is reported, not unpacked, and the rest goes on
    assert isinstance(item, UnreadableMessage) and "压缩比异常" in item.reason and item.raw == b""
    monkeypatch.setattr(mail, "MAX_ZIP_MEMBERS", 2)
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as archive:
        for n in range(3):
            archive.writestr(f"{n}.xlsx", b"x")
    with pytest.raises(SourceError, match="文件过多"):
        list(iter_source(str(many)))
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(SourceError, match="压缩包已损坏"):
        list(iter_source(str(tmp_path / "bad.zip")))


# ---------------------------------------------------------------------------------------------------
# Outgoing messages


ATTACHMENT_NAMES = ["2025年6月-法律援助-预算绩效运行监控表.xlsx", "附件：填表说明（请先阅读）.xlsx", "plain.xlsx",
                    "很长的名字" * 40 + ".xlsx"]


def build_sample() -> tuple[bytes, list[tuple[str, bytes]]]:
    attachments = [(name, xlsx_bytes(name)) for name in ATTACHMENT_NAMES]
    message = build_message(
        sender="路南区司法局办公室 <office@example.cn>",
        to=["张科长 <chief@example.cn>", "deputy@example.cn"],
        subject="请于7月10日前报送2025年6月预算绩效运行监控表",
        body="您好：\n请填写附件中的监控表。\n",
        attachments=attachments,
        date=datetime(2025, 7, 1, 9, 0),
        message_id="<2025-06.falvyuanzhu@perfsheet>",
    )
    return message_bytes(message), attachments


def test_build_message_headers_for_outlook_foxmail_and_webmail() -> None:
    data, attachments = build_sample()
    assert data == build_sample()[0]  # deterministic
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    assert b"\n" not in data.replace(b"\r\n", b"")
    text = data.decode("ascii")  # 7-bit clean
    assert "filename*=UTF-8''2025%E5%B9%B46%E6%9C%88" in text
    assert 'name="=?UTF-8?B?' in text
    assert "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" in text
    assert "Subject: =?utf-8?b?" in text  # encoded once, by the email package's SMTP policy
    item = message_to_item(data, "sent")
    assert item.subject == "请于7月10日前报送2025年6月预算绩效运行监控表"
    assert item.sender == "路南区司法局办公室 <office@example.cn>"
    assert [(a.name, a.content) for a in item.attachments] == attachments
    # A client that only reads Content-Type's name= (RFC 2047) sees the same names.
    parts = [p for p in parse_message_bytes(data).walk() if p.get_filename() is not None or p.get_param("name")]
    fallback = [decode_filename_params(None, str(p["Content-Type"])) for p in parts]
    assert [f[1] for f in fallback if f is not None] == ATTACHMENT_NAMES
    assert all(f is not None and f[0].startswith("=?UTF-8?B?") for f in fallback if not f[1].isascii())


def test_write_eml_is_atomic_and_readable(tmp_path: Path) -> None:
    _data, attachments = build_sample()
    message = build_message(sender="office@example.cn", to="chief@example.cn", subject="测试", body="正文",
                            attachments=attachments[:1], date=datetime(2025, 7, 1), message_id="<m@x>")
    target = tmp_path / "outbox" / "张科长.eml"
    write_eml(message, target)
    assert sorted(p.name for p in target.parent.iterdir()) == ["张科长.eml"]
    item = next(iter_source(str(target)))
    assert item.attachments[0].content == attachments[0][1]
    assert isinstance(item, MailItem) and item.subject == "测试"


def test_one_bad_message_never_costs_the_others_of_a_maildir_or_mbox(tmp_path: Path) -> None:
    """The other shapes real mailboxes hold: a header line led by a space, plain text with no header,
    in a Maildir and in an mbox; the good messages around them keep their attachments."""
    good = (MAIL_FIXTURES / "b1_foxmail_gb2312_b64.eml").read_bytes()
    bad = [b" From: a leading space <a@b.cn>\r\nSubject: x\r\n\r\nbody\r\n", "你好，附件请查收。\r\n".encode("gb18030")]
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    for n, message in enumerate([good, *bad, good], start=1):
        (maildir / "new" / f"{n}.host").write_bytes(message)
    blob = b"".join(b"From x@y Thu Jun 26 10:15:32 2025\n" + m.rstrip(b"\r\n") + b"\n\n" for m in [good, *bad, good])
    (tmp_path / "box.mbox").write_bytes(blob)
    for source in (maildir, tmp_path / "box.mbox"):
        items = list(iter_source(str(source)))
        assert [type(i).__name__ for i in items] == ["MailItem", "UnreadableMessage", "UnreadableMessage", "MailItem"]
        assert all(i.attachments for i in items if isinstance(i, MailItem))
        assert all(i.raw and "没有邮件头" in i.reason for i in items if isinstance(i, UnreadableMessage))
