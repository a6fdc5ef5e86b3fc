"""Outgoing mail built from a workspace: template mails, reminders, feedback to senders, drafts vs SMTP."""

from __future__ import annotations

import datetime as dt
import email
from dataclasses import replace
from email import policy
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from ledger_helpers import (
    JUNE,
    VALID_VALUES,
    at,
    filled_return,
    make_workspace,
    reply_message,
    small_department,
)
from perl_decode import perl_decode
from servers import SMTP_PASSWORD, SMTP_USER, SmtpServer, smtp_auth_server  # noqa: F401  (pytest fixtures)

from perfsheet.cli import main
from perfsheet.collect import collect
from perfsheet.ingest.check import read_submission
from perfsheet.mail.parse import message_to_item
from perfsheet.model import Department
from perfsheet.outgoing.delivery import deliver
from perfsheet.outgoing.mails import prepare_feedback_mail, prepare_reminders, prepare_send
from perfsheet.template.build import fill_template

TODAY = dt.date(2025, 7, 1)


def _plain(raw: bytes) -> str:
    part = email.message_from_bytes(raw, policy=policy.default).get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def test_prepare_send_one_mail_per_chief_with_templates_and_instructions(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    mails = prepare_send(ws, JUNE, today=TODAY)
    assert [(m.to_name, m.to_email, m.projects) for m in mails] == [
        ("张三", "zhang@example.org", ("P1", "P2")),
        ("李四", "li@example.org", ("P3",)),
    ]
    body = mails[0].body
    assert body.startswith("张三科长：")
    for text in (
        "法律援助经费（项目编码 P1）",
        "人民调解经费",
        "报送期限：2025年7月10日前",
        "王敏",
        "0315-2345678",
        "万元",
    ):
        assert text in body
    written = sorted(p.name for p in ws.templates_dir(JUNE).iterdir())
    assert sorted(name for m in mails for name, _ in m.attachments) == written
    for name, data in mails[0].attachments:
        assert (ws.templates_dir(JUNE) / name).read_bytes() == data


def test_drafts_are_readable_messages_with_chinese_attachment_names(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    result = deliver(ws, JUNE, prepare_send(ws, JUNE, today=TODAY))
    assert [p.parent for p in result.drafts] == [ws.mail_dir(JUNE)] * 2
    raw = result.drafts[0].read_bytes()
    assert b"filename*=UTF-8''" in raw  # RFC 2231 for clients that read it, RFC 2047 name= for the rest
    item = message_to_item(raw, "draft")
    assert sorted(a.name for a in item.attachments) == sorted(
        p.name for p in ws.templates_dir(JUNE).iterdir() if "法律援助科" in p.name
    )
    assert "报送期限" in _plain(raw)


def test_chief_without_email_is_reported_not_dropped(tmp_path: Path) -> None:
    department = small_department()
    sections = (department.sections[0], replace(department.sections[1], email=""))
    ws = make_workspace(tmp_path / "ws", Department(department.name, 2025, sections, department.projects))
    result = deliver(ws, JUNE, prepare_send(ws, JUNE, today=TODAY))
    assert len(result.drafts) == 1
    assert [m.section for m in result.unsendable] == ["办公室"]
    code = CliRunner().invoke(main, ["send", "--period", "2025-06", "--workspace", str(ws.root)]).exit_code
    assert code == 1


def test_reminders_say_which_projects_and_why(tmp_path: Path) -> None:
    department = small_department()
    ws = make_workspace(tmp_path / "ws")
    source = tmp_path / "in"
    source.mkdir()
    good = filled_return(department, "P1")
    bad = filled_return(department, "P3", spend__to_date=50)  # more than the budget of 10 万元
    (source / "a.eml").write_bytes(
        reply_message("张三 <zhang@example.org>", "P1", [("P1.xlsx", good)], at(2))
    )
    (source / "b.eml").write_bytes(
        reply_message("李四 <li@example.org>", "P3", [("办公经费.xlsx", bad)], at(3), 1)
    )
    collect(ws, JUNE, [str(source)])
    reminders = {m.section: m for m in prepare_reminders(ws, JUNE, today=dt.date(2025, 7, 12))}
    assert reminders["法律援助科"].projects == ("P2",)
    assert "人民调解经费" in reminders["法律援助科"].body and "尚未收到报表" in reminders["法律援助科"].body
    assert "已超过报送期限" in reminders["法律援助科"].body
    office = reminders["办公室"].body
    assert "办公经费.xlsx" in office and "处错误" in office and "监控表!" in office
    # The return with errors gets its feedback workbook (the file to correct), not a blank template.
    ((name, data),) = reminders["办公室"].attachments
    assert name.endswith("_问题反馈.xlsx") and (ws.feedback_dir(JUNE) / name).read_bytes() == data
    assert "问题清单" in openpyxl.load_workbook(ws.feedback_dir(JUNE) / name).sheetnames
    assert "问题反馈表" in office
    # The missing one gets its blank template; after the deadline a new due date is named.
    ((blank, _),) = reminders["法律援助科"].attachments
    assert blank in {p.name for p in ws.templates_dir(JUNE).iterdir()} and "P2" in blank
    assert "原报送期限 2025年7月10日 已过，请于 2025年7月15日 前报送" in reminders["法律援助科"].body


def test_feedback_mailed_to_the_chief_over_smtp_with_login(
    tmp_path: Path,
    smtp_auth_server: SmtpServer,  # noqa: F811
) -> None:
    department = small_department()
    ws = make_workspace(tmp_path / "ws")
    source = tmp_path / "in"
    source.mkdir()
    bad = filled_return(department, "P2", spend__to_date="大约五万")
    (source / "m.eml").write_bytes(
        reply_message("王五 <wangwu@example.org>", "P2", [("人民调解.xlsx", bad)], at(4))
    )
    (source / "ok.eml").write_bytes(
        reply_message(
            "张三 <zhang@example.org>", "P1", [("P1.xlsx", filled_return(department, "P1"))], at(4), 1
        )
    )
    collect(ws, JUNE, [str(source)])
    mails = prepare_feedback_mail(ws, JUNE, today=TODAY)
    # To the chief the roster names for P2's section, the person who sent it copied.
    assert [(m.to_email, m.cc, m.projects) for m in mails] == [
        ("zhang@example.org", (("王五", "wangwu@example.org"),), ("P2",))
    ]
    assert mails[0].body.startswith("张三科长：")
    ((name, data),) = mails[0].attachments
    feedback = ws.feedback_dir(JUNE) / name
    assert feedback.read_bytes() == data
    assert "问题清单" in openpyxl.load_workbook(feedback).sheetnames

    runner = CliRunner()
    args = ["send", "--feedback", "--period", "2025-06", "--workspace", str(ws.root)]
    args += ["--smtp", f"127.0.0.1:{smtp_auth_server.port}", "--user", SMTP_USER]
    result = runner.invoke(main, args, env={"PERFSHEET_SMTP_PASSWORD": SMTP_PASSWORD})
    assert result.exit_code == 0, result.output
    assert SMTP_PASSWORD not in result.output
    (received,) = smtp_auth_server.received
    assert received.rcpt_tos == ["zhang@example.org", "wangwu@example.org"]
    # Someone else's decoder reads the names as the roster and the sender wrote them.
    eml = tmp_path / "received.eml"
    eml.write_bytes(received.content)
    (decoded,) = perl_decode([eml])
    assert decoded["to"] == "张三 <zhang@example.org>, 王五 <wangwu@example.org>"
    assert decoded["from"] == "测试司法局办公室 <office@example.org>"
    item = message_to_item(received.content, "smtp")
    assert [a.name for a in item.attachments] == [name]
    # The chief fixes the feedback file and it ingests cleanly.
    fixed = tmp_path / "fixed.xlsx"
    fixed.write_bytes(
        fill_template(item.attachments[0].content, {"spend.to_date": VALID_VALUES["spend.to_date"]})
    )
    submission, issues = read_submission(fixed, department=ws.department, period=JUNE)
    assert submission is not None and submission.status == "valid", issues

    # A wrong password is a clear error (exit 2), never echoed.
    result = runner.invoke(main, args, env={"PERFSHEET_SMTP_PASSWORD": "wrong-秘密"})
    assert result.exit_code == 2 and "wrong-秘密" not in result.output
