"""The sent log: nothing goes out twice, --resend sends again, a failed delivery goes out next time,
placeholders never leave by SMTP, and mail follows the ledger once a return is corrected."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from ledger_helpers import JUNE, at, filled_return, make_workspace, reply_message, small_department
from servers import SmtpServer, free_port, running_smtp, smtp_server  # noqa: F401

from perfsheet.cli import main
from perfsheet.demo import DEMO_PERIOD, run_demo
from perfsheet.errors import PerfsheetError, UsageError
from perfsheet.monthly import run_month
from perfsheet.outgoing.delivery import SmtpSettings, deliver, placeholder_problems
from perfsheet.outgoing.mails import prepare_feedback_mail, prepare_reminders, prepare_send
from perfsheet.workspace import Workspace, open_ledger


def _send(ws: Workspace, port: int, *extra: str) -> object:
    args = ["send", "--period", "2025-06", "--workspace", str(ws.root), "--smtp", f"127.0.0.1:{port}", *extra]
    return CliRunner().invoke(main, args)


def test_send_twice_delivers_once_and_resend_twice(tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    ws = make_workspace(tmp_path / "ws")
    first = _send(ws, smtp_server.port)
    assert first.exit_code == 0, first.output
    sections = {s.name for s in ws.department.sections}
    assert len(smtp_server.received) == len(sections) == 2
    again = _send(ws, smtp_server.port)
    assert again.exit_code == 0, again.output
    assert len(smtp_server.received) == 2  # nothing sent twice
    assert "已发送，跳过" in again.output
    resent = _send(ws, smtp_server.port, "--resend")
    assert resent.exit_code == 0, resent.output
    assert len(smtp_server.received) == 4
    with open_ledger(ws) as ledger:
        log = ledger.sent_log(JUNE)
    assert [e.outcome for e in log] == ["sent"] * 4
    assert {e.recipients for e in log} == {("zhang@example.org",), ("li@example.org",)}
    assert all(e.message_id.startswith("<perfsheet-send-") and e.attachments for e in log)


def test_failed_delivery_is_logged_and_sent_next_time(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    port = free_port()  # nobody listens yet
    mails = prepare_send(ws, JUNE)
    with pytest.raises(PerfsheetError, match="无法连接发信服务器"):
        deliver(ws, JUNE, mails, smtp=SmtpSettings("127.0.0.1", port, "none"))
    with open_ledger(ws) as ledger:
        assert [e.outcome for e in ledger.sent_log(JUNE)] == ["failed", "failed"]
    with running_smtp() as server:
        server_port = server.port
        result = deliver(ws, JUNE, mails, smtp=SmtpSettings("127.0.0.1", server_port, "none"))
        assert len(result.sent) == 2 and len(server.received) == 2 and not result.skipped


def test_placeholders_never_leave_by_smtp(tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    ws = make_workspace(tmp_path / "ws")
    config = ws.config_path
    config.write_text(
        config.read_text(encoding="utf-8").replace("0315-2345678", "0315-0000000").replace("li@example.org", "li@lunan.example"),
        encoding="utf-8",
    )
    ws = Workspace.open(ws.root)
    problems = placeholder_problems(ws, prepare_send(ws, JUNE))
    assert any("0315-0000000" in p for p in problems) and any("li@lunan.example" in p for p in problems)
    with pytest.raises(UsageError, match="占位"):
        deliver(ws, JUNE, prepare_send(ws, JUNE), smtp=SmtpSettings("127.0.0.1", smtp_server.port, "none"))
    result = _send(ws, smtp_server.port)
    assert result.exit_code == 2 and "占位" in result.output and "Traceback" not in result.output
    assert smtp_server.received == []
    # Drafts are still written.
    drafts = CliRunner().invoke(main, ["send", "--period", "2025-06", "--workspace", str(ws.root)])
    assert drafts.exit_code == 0 and len(list(ws.mail_dir(JUNE).glob("模板-*.eml"))) == 2


def test_a_corrected_return_ends_feedback_and_reminders(tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    department = small_department()
    ws = make_workspace(tmp_path / "ws")
    inbox = tmp_path / "in"
    inbox.mkdir()
    bad = filled_return(department, "P3", spend__to_date="大约五万")
    (inbox / "bad.eml").write_bytes(reply_message("李四 <li@example.org>", "P3", [("办公经费.xlsx", bad)], at(3)))
    first = run_month(ws, JUNE, [str(inbox)], today=at(4).date())
    assert [p.name for p in first.feedback_drafts] == ["反馈-办公室.eml"]
    assert "催报-办公室.eml" in {p.name for p in first.reminder_drafts}
    assert len(first.feedback_files) == 1
    # The chief sends the corrected return; run again.
    good = filled_return(department, "P3")
    (inbox / "good.eml").write_bytes(reply_message("李四 <li@example.org>", "P3", [("办公经费.xlsx", good)], at(5), 1))
    second = run_month(ws, JUNE, [str(inbox)], today=at(6).date())
    assert second.feedback_files == [] and second.feedback_drafts == []
    assert "催报-办公室.eml" not in {p.name for p in second.reminder_drafts}
    assert not (ws.mail_dir(JUNE) / "反馈-办公室.eml").exists()
    assert {p.name for p in second.superseded_drafts} >= {"反馈-办公室.eml", "催报-办公室.eml"}
    assert all(p.parent.name == "superseded" for p in second.superseded_drafts)
    from perfsheet.cli.run import _file_rows

    moved = [str(path) for label, path in _file_rows(second, ws.root) if str(label).startswith("不再需要的草稿")]
    assert {Path(path).name for path in moved} == {p.name for p in second.superseded_drafts}  # run says so
    # Nothing about it goes out.
    assert prepare_feedback_mail(ws, JUNE) == []
    assert all("P3" not in m.projects for m in prepare_reminders(ws, JUNE))
    result = CliRunner().invoke(
        main, ["send", "--feedback", "--period", "2025-06", "--workspace", str(ws.root), "--smtp", f"127.0.0.1:{smtp_server.port}"]
    )
    assert result.exit_code == 0, result.output
    assert smtp_server.received == []


def test_sent_log_survives_in_the_ledger_file(tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    ws = make_workspace(tmp_path / "ws")
    assert _send(ws, smtp_server.port).exit_code == 0
    copy = tmp_path / "copy"
    shutil.copytree(ws.root, copy)
    conn = sqlite3.connect(copy / "ledger.sqlite")
    rows = conn.execute("SELECT kind, period, outcome FROM sent ORDER BY id").fetchall()
    conn.close()
    assert rows == [("send", "2025-06", "sent")] * 2
    assert _send(Workspace.open(copy), smtp_server.port).exit_code == 0
    assert len(smtp_server.received) == 2


def test_demo_is_refused_by_smtp_until_its_placeholders_change(tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    demo = run_demo(tmp_path / "demo", DEMO_PERIOD)
    result = CliRunner().invoke(
        main,
        ["remind", "--period", "2025-06", "--workspace", str(demo.workspace.root), "--smtp", f"127.0.0.1:{smtp_server.port}"],
    )
    assert result.exit_code == 2 and "占位" in result.output
    assert smtp_server.received == []


def test_demo_then_a_corrected_return_sends_that_section_nothing(tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    from perfsheet.demo import WITH_MISTAKES, simulated_values
    from perfsheet.mail.compose import build_message, message_bytes
    from perfsheet.template.build import build_template, fill_template

    demo = run_demo(tmp_path / "demo", DEMO_PERIOD)
    ws = demo.workspace
    config = ws.config_path
    config.write_text(
        config.read_text(encoding="utf-8").replace("lunan-sfj.example", "lunan-sfj.cn").replace("0315-0000000", "0315-2345678"),
        encoding="utf-8",
    )
    ws = Workspace.open(ws.root)
    project = ws.department.project(WITH_MISTAKES)
    section = ws.department.section(project.section or "")
    assert section is not None
    assert any(WITH_MISTAKES in m.projects for m in prepare_feedback_mail(ws, DEMO_PERIOD))
    # The chief of the invalid project sends it again, corrected, as a reply.
    corrected = fill_template(
        build_template(ws.department, project, DEMO_PERIOD),
        simulated_values(project, section, DEMO_PERIOD, story=False),
    )
    reply = build_message(
        sender=f"{section.chief} <{section.email}>", to=ws.config.office.email, subject="回复：更正后的监控表",
        body="已更正。", attachments=[("更正.xlsx", corrected)], message_id="<corrected@lunan-sfj.cn>",
    )
    inbox = tmp_path / "更正"
    inbox.mkdir()
    (inbox / "corrected.eml").write_bytes(message_bytes(reply))
    today = DEMO_PERIOD.due_date(10)
    result = run_month(ws, DEMO_PERIOD, [str(inbox)], today=today)
    assert {p.code: p.status for p in result.status.projects}[WITH_MISTAKES] == "valid"
    assert not any(WITH_MISTAKES in p.name for p in result.feedback_files)
    assert not result.feedback_drafts  # the demo's only feedback was about that return
    assert all(section.name not in p.name for p in result.reminder_drafts if p.name.startswith("催报-"))
    assert any(p.parent.name == "superseded" for p in result.superseded_drafts)
    sent = CliRunner().invoke(
        main,
        ["send", "--feedback", "--period", "2025-06", "--workspace", str(ws.root), "--smtp", f"127.0.0.1:{smtp_server.port}"],
    )
    assert sent.exit_code == 0, sent.output
    assert [r for r in smtp_server.received if section.email in r.rcpt_tos] == []


def test_a_reminder_with_a_new_due_date_goes_out_again(tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    """Reminding twice the same day sends once; a week after the deadline the reminder names a new
    due date, so it is a new message and goes out without --resend."""
    import datetime as dt

    from perfsheet.workspace import period_status

    ws = make_workspace(tmp_path / "ws")
    deadline = period_status(ws, JUNE).deadline
    smtp = SmtpSettings("127.0.0.1", smtp_server.port, "none")
    late, later = deadline + dt.timedelta(days=1), deadline + dt.timedelta(days=8)
    for today, expected in ((deadline, 2), (deadline, 2), (late, 4), (late, 4), (later, 6)):
        mails = prepare_reminders(ws, JUNE, today=today)
        assert len(mails) == 2
        deliver(ws, JUNE, mails, smtp=smtp)
        assert len(smtp_server.received) == expected, today
    import email
    import email.policy

    def asked(message: bytes) -> str:
        parsed = email.message_from_bytes(message, policy=email.policy.default)
        body = parsed.get_body(("plain",))
        assert body is not None
        text = body.get_content()
        return text.split("请于 ")[1].split(" 前报送")[0] if "请于 " in text else ""

    grace = dt.timedelta(days=ws.config.grace_days)
    due = [asked(m.content) for m in smtp_server.received]
    expect = ["", "", *[f"{d.year}年{d.month}月{d.day}日" for d in (late + grace, late + grace, later + grace, later + grace)]]
    assert due == expect


def test_feedback_for_a_file_collected_from_a_folder_goes_to_the_sections_chief(tmp_path: Path) -> None:
    """A loose workbook has no sender: its feedback is addressed and greeted from the roster of the
    project's section (perfsheet.yaml), never 发件人邮箱未知."""
    department = small_department()
    ws = make_workspace(tmp_path / "ws")
    folder = tmp_path / "共享文件夹"
    folder.mkdir()
    (folder / "办公经费.xlsx").write_bytes(filled_return(department, "P3", spend__to_date="大约五万"))
    run_month(ws, JUNE, [str(folder)], today=at(4).date())
    (mail,) = prepare_feedback_mail(ws, JUNE, today=at(4).date())
    office = next(s for s in department.sections if s.name == "办公室")
    assert (mail.to_name, mail.to_email, mail.cc, mail.problem) == (office.chief, office.email, (), "")
    assert mail.body.startswith(f"{office.chief}科长：") and mail.projects == ("P3",)
    assert [name for name, _ in mail.attachments] and all(name.endswith(".xlsx") for name, _ in mail.attachments)
