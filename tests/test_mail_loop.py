"""The whole month by mail, on real servers on 127.0.0.1: templates → ``send`` over SMTP (aiosmtpd) →
chiefs reply with filled returns into a Dovecot mailbox → ``collect`` over IMAP → ``status``;
then ``remind`` for what is still open, and a second ``collect`` that changes nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from ledger_helpers import JUNE, VALID_VALUES, at, make_workspace, reply_message, small_department, tree
from servers import DovecotServer, SmtpServer, imap_server, smtp_server  # noqa: F401  (pytest fixtures)
from test_collect import ledger_state, workspace_files

from perfsheet.cli import main
from perfsheet.mail.parse import message_to_item
from perfsheet.template.build import fill_template

pytestmark = pytest.mark.dovecot


def _invoke(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    return result.exit_code, result.output


def test_send_reply_collect_status_remind(
    tmp_path: Path,
    smtp_server: SmtpServer,  # noqa: F811
    imap_server: DovecotServer,  # noqa: F811
) -> None:
    ws = make_workspace(tmp_path / "ws")
    department = small_department()

    # 1. send: one message per chief, with that section's templates attached.
    code, output = _invoke(
        [
            "send",
            "--period",
            "2025-06",
            "--workspace",
            str(ws.root),
            "--smtp",
            f"127.0.0.1:{smtp_server.port}",
        ]
    )
    assert code == 0, output
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == ["li@example.org", "zhang@example.org"]
    sent = {r.rcpt_tos[0]: message_to_item(r.content, "smtp") for r in smtp_server.received}
    zhang = sent["zhang@example.org"]
    assert zhang.subject == "【请填报】2025年6月预算绩效运行监控表（法律援助科）"
    assert len(zhang.attachments) == 2 and all(a.name.endswith(".xlsx") for a in zhang.attachments)
    assert len(sent["li@example.org"].attachments) == 1
    # The templates went out as written to outbox/<period>/templates/.
    on_disk = {p.name: p.read_bytes() for p in ws.templates_dir(JUNE).iterdir()}
    assert {a.name: a.content for a in zhang.attachments} == {
        n: b for n, b in on_disk.items() if "法律援助科" in n
    }

    # 2. the chief of 法律援助科 replies: P1 filled correctly, P2 with text in a number cell.
    by_project = {("P1" if "P1" in a.name else "P2"): a for a in zhang.attachments}
    p1 = fill_template(by_project["P1"].content, VALID_VALUES)
    p2 = fill_template(by_project["P2"].content, {**VALID_VALUES, "spend.to_date": "大约五万"})
    imap_server.deliver(
        reply_message(
            "张三 <zhang@example.org>", "回复：" + zhang.subject, [(by_project["P1"].name, p1)], at(5)
        )
    )
    imap_server.deliver(
        reply_message("张三 <zhang@example.org>", "P2 监控表", [(by_project["P2"].name, p2)], at(6), 2)
    )
    # 办公室 (李四) does not reply: P3 stays missing.

    # 3. collect over IMAP (password from the environment; STARTTLS against the test CA).
    env = {"PERFSHEET_IMAP_PASSWORD": imap_server.password, "SSL_CERT_FILE": str(imap_server.cert_path)}
    args = ["collect", "--period", "2025-06", "--workspace", str(ws.root), "--from", imap_server.url()]
    code, output = _invoke([*args, "--json"], env)
    assert code == 1, output  # one return is invalid
    collected = json.loads(output)
    assert sorted((f["project"], f["status"]) for f in collected["files"]) == [
        ("P1", "valid"),
        ("P2", "invalid"),
    ]
    assert imap_server.password not in output

    # 4. status shows the expected states.
    code, output = _invoke(["status", "--period", "2025-06", "--workspace", str(ws.root), "--json"])
    assert code == 1
    status = json.loads(output)
    assert status["period"] == "2025-06"
    assert [(p["code"], p["section"], p["status"], p["errors"]) for p in status["projects"]] == [
        ("P1", "法律援助科", "valid", 0),
        ("P2", "法律援助科", "invalid", 1),
        ("P3", "办公室", "missing", 0),
    ]
    code, table = _invoke(["status", "--period", "2025-06", "--workspace", str(ws.root)])
    assert "已通过" in table and "有错误" in table and "未报送" in table

    # 5. collect again: nothing changes, and the mailbox was only read (no flags set).
    state, files = ledger_state(ws.root), workspace_files(ws.root)
    code, output = _invoke([*args, "--json"], env)
    assert [f["new"] for f in json.loads(output)["files"]] == [False, False]
    assert ledger_state(ws.root) == state and workspace_files(ws.root) == files
    assert imap_server.flags() == ["", ""]

    # 6. remind: one message per chief with open returns, saying which and why.
    before = len(smtp_server.received)
    code, output = _invoke(
        [
            "remind",
            "--period",
            "2025-06",
            "--workspace",
            str(ws.root),
            "--smtp",
            f"127.0.0.1:{smtp_server.port}",
        ]
    )
    assert code == 0, output
    reminders = {r.rcpt_tos[0]: r.content for r in smtp_server.received[before:]}
    assert sorted(reminders) == ["li@example.org", "zhang@example.org"]
    body = _body(reminders["zhang@example.org"])
    assert "人民调解经费" in body and "法律援助经费" not in body
    assert "监控表!D8" in body or "D8" in body
    assert "尚未收到报表" in _body(reminders["li@example.org"])
    assert department.project("P2").name in body


def _body(raw: bytes) -> str:
    import email
    from email import policy

    message = email.message_from_bytes(raw, policy=policy.default)
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_cli_collect_unreachable_server_and_corrupt_mbox_exit_2(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PERFSHEET_IMAP_PASSWORD": "secret-pw-123"}
    base = [sys.executable, "-m", "perfsheet", "collect", "--period", "2025-06", "--workspace", str(ws.root)]
    run = subprocess.run([*base, "--from", f"imap://u@127.0.0.1:{port}/INBOX"], env=env, capture_output=True)
    err = run.stderr.decode()
    assert run.returncode == 2 and "无法连接邮件服务器" in err and "Traceback" not in err
    assert "secret-pw-123" not in err

    corrupt = tmp_path / "corrupt.mbox"
    corrupt.write_bytes(b"\x00\x01garbage that is no mailbox\xff" * 50)
    run = subprocess.run([*base, "--from", str(corrupt)], env=env, capture_output=True)
    err = run.stderr.decode()
    assert run.returncode == 2 and "Traceback" not in err and err.strip(), err
    before = tree(ws.root)
    assert not any(k.startswith(("archive/", "inbox/")) for k in before)


def test_send_dry_run_writes_drafts_only(tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    ws = make_workspace(tmp_path / "ws")
    code, output = _invoke(
        [
            "send",
            "--period",
            "2025-06",
            "--workspace",
            str(ws.root),
            "--smtp",
            f"127.0.0.1:{smtp_server.port}",
            "--dry-run",
        ]
    )
    assert code == 0, output
    assert smtp_server.received == []
    drafts = sorted(ws.mail_dir(JUNE).iterdir())
    assert [d.name for d in drafts] == ["模板-办公室.eml", "模板-法律援助科.eml"]
    item = message_to_item(drafts[1].read_bytes(), "draft")
    assert item.subject.endswith("（法律援助科）") and len(item.attachments) == 2
    assert "zhang@example.org" in drafts[1].read_text(encoding="ascii", errors="replace")


def test_send_password_never_an_option(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    code, output = _invoke(["send", "--period", "2025-06", "--workspace", str(ws.root), "--password", "x"])
    assert code == 2 and "没有选项 --password" in output
