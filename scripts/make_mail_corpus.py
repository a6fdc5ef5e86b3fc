#!/usr/bin/env python3
"""Write the mail test corpus: messages as Chinese office mail clients send them, and a manifest.

Each message is written byte by byte from the header layout of the client it models (Foxmail's
``name="=?gb2312?B?…?="``, Outlook's encoded-words folded inside one quoted string, RFC 2231
``filename*=UTF-8''…``, raw GBK bytes, a forwarded ``message/rfc822`` …). The encodings are made
here with ``base64``, ``quopri`` and ``urllib.parse`` — not with the ``email`` package perfsheet
decodes with — so the tests read these messages with someone else's encoder. ``manifest.json``
says, for every message, the name a person sees for each attachment and the sha256 of its bytes.

    python scripts/make_mail_corpus.py OUT_DIR
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import json
import quopri
import sys
import urllib.parse
from pathlib import Path

import xlsxwriter

CRLF = "\r\n"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE = "Thu, 26 Jun 2025 10:15:32 +0800"
SENDER = "zhangsan@example.cn"
BODY = "您好：\r\n\r\n附件是6月份的法律援助统计表，请查收。\r\n\r\n张三\r\n"
HTML = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body>'
    "<div>您好：</div><div>附件是6月份的法律援助统计表，请查收。</div><div>张三</div></body></html>\r\n"
)
SUBJECT = "6月法律援助统计表"
NAME = "2025年法律援助-6月.xlsx"
LONG_NAME = "2025年度法律援助案件受理情况统计表（第二季度）-某市某区法律援助中心-6月.xlsx"
SECOND_NAME = "附件2：统计汇总表.xlsx"


def workbook(title: str) -> bytes:
    """A small ordinary workbook (not a perfsheet template), byte-stable."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"created": datetime.datetime(2025, 6, 26)})
    sheet = book.add_worksheet("统计")
    sheet.write_row(0, 0, [title, "件数"])
    sheet.write_row(1, 0, ["受理", 12])
    book.close()
    return buffer.getvalue()


def b_word(text: str, charset: str) -> str:
    """One RFC 2047 encoded-word, base64."""
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode('ascii')}?="


def rfc2231(text: str, charset: str = "UTF-8") -> str:
    return f"{charset}''{urllib.parse.quote(text.encode(charset.lower()), safe='')}"


def b64_lines(data: bytes) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return CRLF.join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


def qp(text: str, charset: str) -> str:
    return quopri.encodestring(text.encode(charset).replace(b"\r\n", b"\n")).decode("ascii").replace("\n", CRLF)


def headers(*, sender_name: str, subject: str, message_id: str, extra: list[str], boundary: str) -> list[str]:
    return [
        f"Date: {DATE}",
        f'From: "{sender_name}" <{SENDER}>',
        "To: <intake@example.org>",
        f"Subject: {subject}",
        *extra,
        "Mime-Version: 1.0",
        f"Message-ID: <{message_id}@example.cn>",
        "Content-Type: multipart/mixed;",
        f'\tboundary="{boundary}"',
        "",
        "This is a multi-part message in MIME format.",
        "",
    ]


def text_part(boundary: str, charset: str, *, encoding: str = "base64", body: str = BODY) -> list[str]:
    payload = b64_lines(body.encode(charset)) if encoding == "base64" else body.rstrip("\r\n")
    lines = [f"--{boundary}", "Content-Type: text/plain;", f'\tcharset="{charset}"']
    if encoding:
        lines.append(f"Content-Transfer-Encoding: {encoding}")
    return [*lines, "", payload, ""]


def alternative(boundary: str, inner: str) -> list[str]:
    return [
        f"--{boundary}",
        "Content-Type: multipart/alternative;",
        f'\tboundary="{inner}"',
        "",
        "",
        *text_part(inner, "gb2312"),
        f"--{inner}",
        "Content-Type: text/html;",
        '\tcharset="gb2312"',
        "Content-Transfer-Encoding: quoted-printable",
        "",
        qp(HTML, "gb2312").rstrip("\r\n"),
        "",
        f"--{inner}--",
        "",
    ]


def attachment(boundary: str, content_type: str, type_params: list[str], disposition: list[str], data: bytes) -> list[str]:
    return [
        f"--{boundary}",
        f"Content-Type: {content_type};" if type_params else f"Content-Type: {content_type}",
        *type_params,
        "Content-Transfer-Encoding: base64",
        *disposition,
        "",
        b64_lines(data),
        "",
    ]


def message(lines: list[str]) -> bytes:
    """Join header and body lines with CRLF; raw (non-ASCII) header bytes are written as GBK."""
    out = bytearray()
    for line in lines:
        out += line.encode("gbk") if not line.isascii() else line.encode("ascii")
        out += b"\r\n"
    return bytes(out)


def foxmail(data: bytes) -> bytes:
    boundary, inner = "----=_001_NextPart572182624333_=----", "----=_002_NextPart572182624333_=----"
    word = b_word(NAME, "gb2312")
    return message([
        *headers(sender_name=b_word("张三", "gb2312"), subject=b_word(SUBJECT, "gb2312"), message_id="9ea1279d47aeed559f7c",
                 extra=["X-Priority: 3", "X-Has-Attach: yes", "X-Mailer: Foxmail 7.2.25.228[cn]"], boundary=boundary),
        *alternative(boundary, inner),
        *attachment(boundary, "application/octet-stream", [f'\tname="{word}"'], ["Content-Disposition: attachment;", f'\tfilename="{word}"'], data),
        f"--{boundary}--",
    ])


def build(out_dir: Path) -> dict[str, object]:
    """Write every message and ``manifest.json`` into ``out_dir``; return the manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data, second = workbook("法律援助统计"), workbook("统计汇总")
    outlook = ["X-Mailer: Microsoft Outlook 16.0", "Thread-Index: AdvmYHh0c2VzdGluZ2hhcm5lc3M=", "Content-Language: zh-cn"]
    gb_name, gb_subject = b_word("张三", "gb2312"), b_word(SUBJECT, "gb2312")
    messages: list[tuple[str, str, str, bytes, list[tuple[str, bytes | None]]]] = []

    boundary = "------------a1Boundary0123456789"
    messages.append(("a1_rfc2231_utf8", "RFC 2231 filename*=UTF-8''<percent-encoded>, no name= in Content-Type",
                     "generic RFC 2231 sender", message([
        *headers(sender_name=b_word("张三", "UTF-8"), subject=b_word(SUBJECT, "UTF-8"), message_id="4b17687bccca5d8c2d70",
                 extra=["User-Agent: generic"], boundary=boundary),
        *text_part(boundary, "UTF-8"),
        *attachment(boundary, XLSX_TYPE, [], [f"Content-Disposition: attachment; filename*={rfc2231(NAME)}"], data),
        f"--{boundary}--",
    ]), [(NAME, data)]))

    messages.append(("b1_foxmail_gb2312_b64", 'Foxmail: name="=?gb2312?B?..?=" and filename="=?gb2312?B?..?=", octet-stream',
                     "Foxmail 7.2 (modelled)", foxmail(data), [(NAME, data)]))

    boundary = "----=_NextPart_000_0010_01DBE5A2.47D55F80"
    # Outlook splits a long name into two encoded-words, folded inside one quoted string.
    raw = LONG_NAME.encode("gbk")
    cut = 45  # inside the string, on a character boundary (all characters before it are 1 or 2 bytes)
    while raw[:cut].decode("gbk", errors="ignore").encode("gbk") != raw[:cut]:
        cut -= 1
    words = [b_word(raw[:cut].decode("gbk"), "gbk"), b_word(raw[cut:].decode("gbk"), "gbk")]
    messages.append(("b3_outlook_gbk_two_words", "Outlook: long name as two encoded-words folded inside one quoted string",
                     "Outlook (modelled)", message([
        *headers(sender_name=gb_name, subject=gb_subject, message_id="a5d3db7090ede80b9ffc", extra=outlook, boundary=boundary),
        *text_part(boundary, "gb2312"),
        *attachment(boundary, XLSX_TYPE, [f'\tname="{words[0]}', f' {words[1]}"'],
                    ["Content-Disposition: attachment;", f'\tfilename="{words[0]}', f' {words[1]}"'], data),
        f"--{boundary}--",
    ]), [(LONG_NAME, data)]))

    boundary = "----=_NextPart_b7"
    messages.append(("b7_raw_gbk_bytes", "unencoded 8-bit GBK bytes in the quoted filename", "old/misconfigured clients", message([
        *headers(sender_name=gb_name, subject=gb_subject, message_id="522bc9a08d398fd2c1cd", extra=["X-Mailer: generic"], boundary=boundary),
        *text_part(boundary, "gb2312"),
        *attachment(boundary, XLSX_TYPE, [f'\tname="{NAME}"'], [f'Content-Disposition: attachment; filename="{NAME}"'], data),
        f"--{boundary}--",
    ]), [(NAME, data)]))

    boundary = "----=_NextPart_c"
    messages.append(("c_ascii", 'plain ASCII filename="report-2025-06.xlsx"', "any", message([
        *headers(sender_name="Zhang San", subject="June report", message_id="eb200c3283559227ccc9", extra=["X-Mailer: generic"], boundary=boundary),
        f"--{boundary}", 'Content-Type: text/plain; charset="us-ascii"', "Content-Transfer-Encoding: 7bit", "", "see attachment", "",
        *attachment(boundary, XLSX_TYPE, ['\tname="report-2025-06.xlsx"'], ['Content-Disposition: attachment; filename="report-2025-06.xlsx"'], data),
        f"--{boundary}--",
    ]), [("report-2025-06.xlsx", data)]))

    boundary, inner = "----=_NextPart_000_0020_01DBE5A2.5A1B2C3D", "----=_NextPart_001_0021_01DBE5A2.5A1B2C3D"
    messages.append(("d_outlook_html_two_attachments", "multipart/alternative (plain + html, gb2312) + two .xlsx (gb2312 word; RFC 2231 UTF-8)",
                     "Outlook (modelled)", message([
        *headers(sender_name=gb_name, subject=gb_subject, message_id="3b6e0f5086fda4662704", extra=outlook, boundary=boundary),
        *alternative(boundary, inner),
        *attachment(boundary, XLSX_TYPE, [f'\tname="{b_word(NAME, "gb2312")}"'],
                    ["Content-Disposition: attachment;", f'\tfilename="{b_word(NAME, "gb2312")}"'], data),
        *attachment(boundary, XLSX_TYPE, [f'\tname="{b_word(SECOND_NAME, "utf-8")}"'],
                    ["Content-Disposition: attachment;", f"\tfilename*={rfc2231(SECOND_NAME, 'utf-8')}"], second),
        f"--{boundary}--",
    ]), [(NAME, data), (SECOND_NAME, second)]))

    boundary = "----=_NextPart_e1_traversal_plain"
    messages.append(("e1_traversal_plain", 'filename="../../evil.xlsx"', "hostile/synthetic", message([
        *headers(sender_name="Mallory", subject="evil", message_id="853a3678a2b78c5c9ade", extra=["X-Mailer: generic"], boundary=boundary),
        f"--{boundary}", 'Content-Type: text/plain; charset="us-ascii"', "", "see attachment", "",
        *attachment(boundary, XLSX_TYPE, ['\tname="../../evil.xlsx"'], ['Content-Disposition: attachment; filename="../../evil.xlsx"'], data),
        f"--{boundary}--",
    ]), [("../../evil.xlsx", data)]))

    boundary = "----=_NextPart_000_0030_01DBE5A2.6B2C3D4E"
    eml_word = b_word(f"{SUBJECT}.eml", "gb2312")
    forwarded = foxmail(data).decode("ascii").rstrip("\r\n").split("\r\n")
    messages.append(("f_forwarded_as_attachment", "Outlook 'forward as attachment': message/rfc822 holding the Foxmail message",
                     "Outlook (modelled)", message([
        *headers(sender_name=b_word("李四", "gb2312"), subject=b_word(f"转发: {SUBJECT}", "gb2312"), message_id="61dce17e6059128e2bac",
                 extra=outlook, boundary=boundary),
        *text_part(boundary, "gb2312", body="请见转发的邮件。\r\n"),
        f"--{boundary}", "Content-Type: message/rfc822;", f'\tname="{eml_word}"', "Content-Disposition: attachment;", f'\tfilename="{eml_word}"',
        "", *forwarded, "", f"--{boundary}--",
    ]), [(f"{SUBJECT}.eml", None), (NAME, data)]))

    manifest: dict[str, object] = {
        "about": "Messages with .xlsx attachments as Chinese office mail clients send them (made by "
        "scripts/make_mail_corpus.py). expected_attachments: the name a person sees and the sha256 of "
        "the bytes (null: a part that is not a file, listed as skipped).",
        "messages": [],
    }
    for ident, what, style, raw_message, expected in messages:
        (out_dir / f"{ident}.eml").write_bytes(raw_message)
        manifest["messages"].append({  # type: ignore[attr-defined]
            "id": ident,
            "file": f"{ident}.eml",
            "what": what,
            "client_style": style,
            "expected_attachments": [
                {"filename": name, "sha256": hashlib.sha256(blob).hexdigest() if blob is not None else None}
                for name, blob in expected
            ],
        })
    (out_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    build(Path(sys.argv[1]))


# ----------------------------------------------------------------------------------------------------
# Outlook's own formats, for the tests of .msg and winmail.dat


def outlook_msg(
    attachments: list[tuple[str, bytes]],
    *,
    subject: str = "回复：2025年6月预算绩效运行监控表",
    sender: tuple[str, str] = ("jiceng@lunan-sfj.cn", "刘洋"),
    sent: datetime.datetime | None = None,
) -> bytes:
    """An Outlook .msg holding ``attachments``, written by msgforge (an MS-OXMSG writer independent of
    extract-msg, the reader perfsheet uses)."""
    from msgforge import Message  # a test dependency: only these samples need it

    when = sent or datetime.datetime(2025, 7, 5, 9, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    message = Message(
        subject=subject,
        text_body="您好：\n附件是本月的监控表，请查收。\n",
        to=[("bangongshi@lunan-sfj.cn", "路南区司法局办公室")],
        sender=sender,
        sent=when,
    )
    for name, data in attachments:
        message.attach_bytes(name, data)
    return bytes(message.as_bytes())


def _tnef_attribute(level: int, name: int, kind: int, data: bytes) -> bytes:
    # MS-OXTNEF 2.1.3: level, attribute id (name | type << 16), length, data, checksum (sum of bytes).
    return (
        bytes([level])
        + (name | kind << 16).to_bytes(4, "little")
        + len(data).to_bytes(4, "little")
        + data
        + (sum(data) & 0xFFFF).to_bytes(2, "little")
    )


def _mapi_unicode(prop_id: int, text: str) -> bytes:
    # One PT_UNICODE property: type, id, value count, byte length (with the NUL), UTF-16LE padded to 4.
    raw = (text + "\0").encode("utf-16-le")
    padded = raw + b"\0" * (-len(raw) % 4)
    return (0x001F).to_bytes(2, "little") + prop_id.to_bytes(2, "little") + (1).to_bytes(4, "little") + len(raw).to_bytes(4, "little") + padded


def tnef(attachments: list[tuple[str, bytes]]) -> bytes:
    """A winmail.dat (TNEF) as Outlook writes it, the files inside with their long Unicode names."""
    out = (0x223E9F78).to_bytes(4, "little") + (0x1234).to_bytes(2, "little")
    out += _tnef_attribute(1, 0x9006, 0x0008, (0x00010000).to_bytes(4, "little"))  # attTnefVersion
    out += _tnef_attribute(1, 0x9007, 0x0006, (936).to_bytes(4, "little") + bytes(4))  # attOemCodepage: GBK
    for name, data in attachments:
        out += _tnef_attribute(2, 0x9002, 0x0006, bytes(14))  # attAttachRendData: a new attachment
        out += _tnef_attribute(2, 0x8010, 0x0001, b"ATTACH~1.XLS\0")  # attAttachTitle: the 8.3 name
        out += _tnef_attribute(2, 0x800F, 0x0006, data)  # attAttachData
        props = (1).to_bytes(4, "little") + _mapi_unicode(0x3707, name)  # PR_ATTACH_LONG_FILENAME
        out += _tnef_attribute(2, 0x9005, 0x0006, props)  # attAttachment
    return out


def winmail_message(attachments: list[tuple[str, bytes]], *, message_id: str = "winmail-1") -> bytes:
    """An Outlook message whose files are inside an application/ms-tnef part named winmail.dat."""
    boundary = "----=_NextPart_000_0040_01DBE5A2.7C3D4E5F"
    outlook = ["X-Mailer: Microsoft Outlook 16.0", "Content-Language: zh-cn"]
    return message([
        *headers(sender_name=b_word("刘洋", "gb2312"), subject=b_word("回复：6月监控表", "gb2312"), message_id=message_id,
                 extra=outlook, boundary=boundary),
        *text_part(boundary, "gb2312", body="附件是监控表。\r\n"),
        *attachment(boundary, "application/ms-tnef", ['\tname="winmail.dat"'], ['Content-Disposition: attachment;', '\tfilename="winmail.dat"'],
                    tnef(attachments)),
        f"--{boundary}--",
    ])
