"""Collect on real files: the shared mail fixtures, returns made from real templates, a kill mid-way.

Every test works in a workspace on disk and reads the archive, the inbox and the SQLite ledger back.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import MAIL_FIXTURES
from ledger_helpers import (
    JUNE,
    at,
    filled_return,
    make_workspace,
    reply_message,
    small_department,
    tree,
)

from perfsheet.collect import CRASH_ENV, _collect_lock, collect
from perfsheet.errors import PerfsheetError, SourceError
from perfsheet.ledger.store import Ledger
from perfsheet.model import Period, SubmissionStatus
from perfsheet.monthly import consolidate_period
from perfsheet.workspace import Workspace, counting_submissions, period_status, periods_with_returns

MANIFEST = json.loads((MAIL_FIXTURES / "manifest.json").read_text(encoding="utf-8"))


def ledger_state(root: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Ledger content without the wall-clock columns (collected_at, seen_at)."""
    conn = sqlite3.connect(root / "ledger.sqlite")
    try:
        files = conn.execute(
            "SELECT sha256, seq, archive_path, size, raw_name, decoded_name, safe_name, sender, subject,"
            " message_id, received, source, project, period, status, errors, warnings, issues_json,"
            " inbox_path, counting, superseded FROM files ORDER BY seq"
        ).fetchall()
        sightings = conn.execute(
            "SELECT sha256, source, message_id, raw_name, decoded_name, safe_name, sender, subject, received"
            " FROM sightings ORDER BY id"
        ).fetchall()
    finally:
        conn.close()
    return files, sightings


def workspace_files(root: Path) -> dict[str, bytes]:
    # The SQLite files change on every open (WAL checkpoints); their content is compared separately.
    return {k: v for k, v in tree(root).items() if not k.startswith("ledger.sqlite")}


def test_every_fixture_message_collected_with_manifest_names(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    result = collect(ws, JUNE, [str(MAIL_FIXTURES)])
    assert result.messages == len(MANIFEST["messages"])

    found = Counter((f.name, f.sha256) for f in result.files)
    found.update((s.name, None) for s in result.skipped)
    expected = Counter(
        (a["filename"], a["sha256"]) for m in MANIFEST["messages"] for a in m["expected_attachments"]
    )
    assert found == expected

    # Byte-identical archive; the same bytes in six messages are one ledger entry.
    archived = {p.name: p.read_bytes() for p in (ws.root / "archive").rglob("*") if p.is_file()}
    for name, data in archived.items():
        assert name.startswith(hashlib.sha256(data).hexdigest())
    assert {f.sha256 for f in result.files} == {n.split(".")[0] for n in archived}
    with Ledger(ws.ledger_path) as ledger:
        rows = ledger.rows()
        assert len(rows) == 2
        # Identified by content: these are not perfsheet templates, whatever their names say.
        assert {r.status for r in rows} == {"rejected"}
        assert all(r.issues[0].code == "not-a-template" for r in rows)
        assert len(ledger.sightings()) == sum(1 for f in result.files)


def test_hostile_name_stays_inside_the_workspace(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "e1.eml").write_bytes((MAIL_FIXTURES / "e1_traversal_plain.eml").read_bytes())
    department = small_department()
    hostile = [
        ("../../evil.xlsx", filled_return(department, "P1")),
        ("..\\..\\win-evil.xlsx", filled_return(department, "P2")),
        ("/etc/passwd.xlsx", filled_return(department, "P3")),
        ("CON.xlsx", filled_return(department, "P1", spend__to_date=4)),
        ("a\u202egpj.xlsx", filled_return(department, "P1", spend__to_date=3)),
    ]
    (source / "hostile.eml").write_bytes(reply_message("x@example.org", "恶意", hostile, at(3)))
    ws = make_workspace(tmp_path / "ws" / "deep")
    before = {p for p in tmp_path.rglob("*")}
    result = collect(ws, JUNE, [str(source)])
    created = {p for p in tmp_path.rglob("*")} - before
    assert created, "collect wrote nothing"
    assert all(ws.root in p.parents for p in created), sorted(map(str, created))
    inbox_names = sorted(p.name for p in ws.inbox(JUNE).iterdir())
    assert inbox_names == sorted(
        ["evil.xlsx", "evil (2).xlsx", "win-evil.xlsx", "passwd.xlsx", "_CON.xlsx", "agpj.xlsx"]
    )
    assert {f.name for f in result.files} >= {"../../evil.xlsx", "/etc/passwd.xlsx"}
    assert not (tmp_path / "evil.xlsx").exists() and not (tmp_path / "ws" / "evil.xlsx").exists()


def test_returns_valid_invalid_missing_wrong_period_and_rerun_changes_nothing(tmp_path: Path) -> None:
    department = small_department()
    source = tmp_path / "mail"
    source.mkdir()
    valid_p1 = filled_return(department, "P1")
    newer_p1 = filled_return(department, "P1", spend__to_date=6)
    invalid_p2 = filled_return(department, "P2", spend__to_date="五万")
    may_p3 = filled_return(department, "P3", period=Period(2025, 5))
    messages = [
        ("zhang@example.org", "回复：监控表", [("P1.xlsx", valid_p1)], at(3)),
        ("zhang@example.org", "更正", [("P1.xlsx", newer_p1)], at(12)),  # late, but the newest valid
        (
            "zhang@example.org",
            "P2",
            [("P2.xlsx", invalid_p2), ("说明.docx", b"PK\x03\x04not-a-sheet")],
            at(4),
        ),
        ("li@example.org", "五月的", [("P3-5月.xlsx", may_p3)], at(5)),
        ("zhang@example.org", "重复发送", [("P1 副本.xlsx", valid_p1)], at(6)),
    ]
    for n, (sender, subject, attachments, when) in enumerate(messages):
        (source / f"m{n}.eml").write_bytes(reply_message(sender, subject, attachments, when, n))
    ws = make_workspace(tmp_path / "ws")

    result = collect(ws, JUNE, [str(source)])
    assert [s.name for s in result.skipped] == ["说明.docx"]
    assert not result.failures
    status = {p.code: p for p in period_status(ws, JUNE).projects}
    assert (status["P1"].status, status["P1"].late) == ("valid", True)
    assert status["P1"].sha256 == hashlib.sha256(newer_p1).hexdigest()
    assert (status["P2"].status, status["P2"].errors) == ("invalid", 1)
    assert status["P3"].status == "missing"
    # The May return is recorded under its own period, valid there.
    may = {p.code: p for p in period_status(ws, Period(2025, 5)).projects}
    assert may["P3"].status == "valid"
    assert periods_with_returns(ws) == [Period(2025, 5), JUNE]
    with Ledger(ws.ledger_path) as ledger:
        rows = {r.sha256: r for r in ledger.rows()}
        old = rows[hashlib.sha256(valid_p1).hexdigest()]
        assert old.superseded and not old.counting
        # Seen twice (m0 and m4): one entry described by the earliest message, two sightings.
        assert old.received == at(3) and old.decoded_name == "P1.xlsx"
        assert len(ledger.sightings(old.sha256)) == 2
    assert (ws.inbox(Period(2025, 5)) / "P3-5月.xlsx").read_bytes() == may_p3
    assert sorted(p.name for p in ws.inbox(JUNE).iterdir()) == ["P1 (2).xlsx", "P1.xlsx", "P2.xlsx"]

    submissions = counting_submissions(ws, JUNE)
    assert [(s.project_code, str(s.spend_to_date)) for s in submissions] == [("P1", "6")]

    state, files = ledger_state(ws.root), workspace_files(ws.root)
    again = collect(ws, JUNE, [str(source)])
    assert not any(f.new for f in again.files)
    assert ledger_state(ws.root) == state
    assert workspace_files(ws.root) == files


def test_unusable_sources_are_clear_errors(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    with pytest.raises(SourceError, match="找不到来源"):
        collect(ws, JUNE, [str(tmp_path / "nope")])
    port = _closed_port()
    with pytest.raises(SourceError, match="无法连接邮件服务器"):
        collect(ws, JUNE, [f"imap://u@127.0.0.1:{port}/INBOX"], password="x")


def test_two_collects_at_once_are_refused(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    with _collect_lock(ws), pytest.raises(PerfsheetError, match="另一个收集"):
        collect(ws, JUNE, [str(MAIL_FIXTURES)])
    assert not (ws.root / "archive").exists() or not any((ws.root / "archive").rglob("*.xlsx"))
    collect(ws, JUNE, [str(MAIL_FIXTURES)])  # the lock is released with its holder


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ------------------------------------------------------------------------------------------ kill test


def _big_source(tmp_path: Path, count: int) -> Path:
    """``count`` messages, each carrying a distinct return (and every fifth a duplicate of another)."""
    department = small_department()
    from perfsheet.template.build import build_template

    templates = {p.code: build_template(department, p, JUNE) for p in department.projects}
    source = tmp_path / "big"
    source.mkdir()
    for n in range(count):
        code = ("P1", "P2", "P3")[n % 3]
        data = filled_return(department, code, template=templates[code], contact__phone=f"0315-{1000000 + n}")
        attachments = [(f"{code}-{n}.xlsx", data)]
        if n % 5 == 4:
            attachments.append((f"again-{n}.xlsx", (source / f"keep-{n - 1}.bin").read_bytes()))
        (source / f"keep-{n}.bin").write_bytes(data)
        when = at(1 + n % 20, 8 + n % 10)
        (source / f"m{n:03d}.eml").write_bytes(
            reply_message(f"c{n}@example.org", f"第{n}封", attachments, when, n)
        )
    for extra in source.glob("keep-*.bin"):
        extra.unlink()
    return source


def _run_collect(
    ws_root: Path, source: Path, env_extra: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {**os.environ, **(env_extra or {})}
    command = [sys.executable, "-m", "perfsheet", "collect", "--period", "2025-06", "--from", str(source)]
    command += ["--workspace", str(ws_root), "--json"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.fixture(scope="module")
def big_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _big_source(tmp_path_factory.mktemp("kill"), 30)


@pytest.fixture(scope="module")
def reference_state(
    big_source: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[object, dict[str, bytes]]:
    ws = make_workspace(tmp_path_factory.mktemp("ref") / "ws")
    proc = _run_collect(ws.root, big_source)
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode in (0, 1), err.decode()
    return ledger_state(ws.root), workspace_files(ws.root)


@pytest.mark.parametrize("crash_after", [1, 17, 33])
def test_crash_mid_collect_then_rerun_equals_uninterrupted(
    tmp_path: Path, big_source: Path, reference_state: tuple[object, dict[str, bytes]], crash_after: int
) -> None:
    ws = make_workspace(tmp_path / "ws")
    proc = _run_collect(ws.root, big_source, {CRASH_ENV: str(crash_after)})
    proc.communicate(timeout=300)
    assert proc.returncode == 99  # the hook fired: the run really was cut short
    files_after_crash = ledger_state(ws.root)[0] if ws.ledger_path.exists() else []
    reference_files = reference_state[0][0]  # type: ignore[index]
    assert 0 < len(files_after_crash) < len(reference_files) or crash_after == 1
    rerun = _run_collect(ws.root, big_source)
    _out, err = rerun.communicate(timeout=300)
    assert rerun.returncode in (0, 1), err.decode()
    assert (ledger_state(ws.root), workspace_files(ws.root)) == reference_state


def test_sigkill_mid_collect_then_rerun_equals_uninterrupted(
    tmp_path: Path, big_source: Path, reference_state: tuple[object, dict[str, bytes]]
) -> None:
    ws = make_workspace(tmp_path / "ws")
    proc = _run_collect(ws.root, big_source)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list((ws.root / "inbox").rglob("*.xlsx"))) >= 5:
            break
        time.sleep(0.01)
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    rerun = _run_collect(ws.root, big_source)
    _out, err = rerun.communicate(timeout=300)
    assert rerun.returncode in (0, 1), err.decode()
    assert (ledger_state(ws.root), workspace_files(ws.root)) == reference_state
    assert killed, "collect finished before it could be killed; make the source bigger"


def test_consolidation_rereads_returns_with_the_workspace_thresholds(tmp_path: Path) -> None:
    """A return valid under perfsheet.yaml's thresholds stays valid when consolidation re-reads it."""
    department = small_department()
    root = tmp_path / "ws"
    make_workspace(root)
    with (root / "perfsheet.yaml").open("a", encoding="utf-8") as config:
        config.write("thresholds:\n  budget_red: 40\n  budget_yellow: 80\n"
                     "monitoring:\n  budget_explanation_lights: [红灯]\n")
    ws = Workspace.open(root)
    source = tmp_path / "mail"
    source.mkdir()
    # 20 % spent in June: ratio 40 — yellow here, red under the default 60; this bureau asks the budget
    # explanation for red only (perfsheet.yaml monitoring:), so the yellow return needs none.
    slow = filled_return(department, "P1", spend__to_date=2)
    (source / "m.eml").write_bytes(reply_message("zhang@example.org", "监控表", [("P1.xlsx", slow)], at(3)))
    collect(ws, JUNE, [str(source)])
    assert {p.code: p.status for p in period_status(ws, JUNE).projects}["P1"] == "valid"
    [submission] = counting_submissions(ws, JUNE)
    assert submission.status is SubmissionStatus.VALID, [(i.cell, i.code) for i in submission.issues]
    summary = consolidate_period(ws, JUNE)
    assert summary.projects.set_index("code").loc["P1", "light"] == "yellow"


def test_unreadable_messages_are_reported_and_archived_and_the_rest_collected(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from perfsheet.cli import main

    department = small_department()
    ws = make_workspace(tmp_path / "ws")
    good = [
        reply_message("张三 <zhang@example.org>", "P1", [("P1.xlsx", filled_return(department, "P1"))], at(3)),
        reply_message("李四 <li@example.org>", "P3", [("P3.xlsx", filled_return(department, "P3"))], at(4), 1),
    ]
    bad = [b"\x00\x00no headers at all\r\n", bytes.fromhex("D0CF11E0A1B11AE1") + b"\x01" * 40]
    blob = b""
    for message in [good[0], *bad, good[1]]:
        blob += b"From x@y Thu Jul 03 09:00:00 2025\n" + message.rstrip(b"\r\n") + b"\n\n"
    mbox = tmp_path / "收件箱.mbox"
    mbox.write_bytes(blob)
    # The source as a positional argument, as a person types it.
    result = CliRunner().invoke(main, ["collect", "--period", "2025-06", "--workspace", str(ws.root), str(mbox)])
    assert result.exit_code == 1, result.output
    assert result.stderr.count("无法读取的邮件") == 2 and "Traceback" not in result.output
    archived = {p.name.split(".")[0]: p.read_bytes() for p in ws.archive_dir.rglob("*") if p.is_file()}
    for raw in bad:  # byte for byte as the mbox holds them (the separator's blank line not included)
        assert hashlib.sha256(raw.rstrip(b"\r\n") + b"\n").hexdigest() in archived
    with Ledger(ws.ledger_path) as ledger:
        rows = ledger.rows()
    assert sorted((r.kind, r.status) for r in rows) == [
        ("attachment", "valid"), ("attachment", "valid"), ("message", "rejected"), ("message", "rejected")
    ]
    assert all(r.issues[0].code == "unreadable-message" for r in rows if r.kind == "message")
    status = period_status(ws, JUNE)
    assert {p.code: p.status for p in status.projects} == {"P1": "valid", "P2": "missing", "P3": "valid"}
    assert len(status.unassigned) == 2
    # Collecting again adds nothing and never ingests the raw messages as workbooks.
    again = collect(ws, JUNE, [str(mbox)])
    assert again.reingested == 0 and len(again.unreadable) == 2 and not again.new_files


def test_several_sources_after_one_from_and_as_arguments(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from perfsheet.cli import main

    department = small_department()
    ws = make_workspace(tmp_path / "ws")
    files = []
    for n, code in enumerate(("P1", "P2", "P3")):
        path = tmp_path / f"{code}.eml"
        path.write_bytes(reply_message("张三 <zhang@example.org>", code, [(f"{code}.xlsx", filled_return(department, code))], at(3), n))
        files.append(str(path))
    args = ["collect", "--period", "2025-06", "--workspace", str(ws.root), "--from", files[0], files[1]]
    result = CliRunner().invoke(main, [*args, files[2]])
    assert result.exit_code == 0, result.output
    assert {p.code: p.status for p in period_status(ws, JUNE).projects} == dict.fromkeys(("P1", "P2", "P3"), "valid")
    nothing = CliRunner().invoke(main, ["collect", "--period", "2025-06", "--workspace", str(ws.root)])
    assert nothing.exit_code == 2 and "请指定来源" in nothing.output and "Usage" not in nothing.output
