"""Outlook's own files: a .msg saved from Outlook (whatever its name) and attachments inside
winmail.dat are collected, archived byte for byte and ingested. The samples are written by msgforge
(.msg) and by the corpus script (TNEF), not by the readers perfsheet uses."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from conftest import REPO
from ledger_helpers import JUNE, filled_return, make_workspace, small_department

from perfsheet.collect import collect
from perfsheet.ledger.store import Ledger
from perfsheet.mail.parse import MailItem, UnreadableMessage
from perfsheet.mail.sources import iter_source
from perfsheet.workspace import period_status


@pytest.fixture(scope="module")
def corpus() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_mail_corpus", REPO / "scripts" / "make_mail_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _archived(root: Path) -> set[str]:
    return {hashlib.sha256(p.read_bytes()).hexdigest() for p in (root / "archive").rglob("*") if p.is_file()}


@pytest.mark.parametrize("file_name", ["2025-06_办公经费.msg", "saved-by-outlook.eml"])
def test_outlook_msg_is_collected_and_ingested(tmp_path: Path, corpus: ModuleType, file_name: str) -> None:
    department = small_department()
    ws = make_workspace(tmp_path / "ws")
    ret = filled_return(department, "P3")
    inbox = tmp_path / "收件"
    inbox.mkdir()
    (inbox / file_name).write_bytes(
        corpus.outlook_msg([("2025-06_办公室_办公经费.xlsx", ret), ("说明.txt", b"note")], sender=("li@example.org", "李四"))
    )
    result = collect(ws, JUNE, [str(inbox)])
    assert [(f.name, f.status, f.project) for f in result.files] == [("2025-06_办公室_办公经费.xlsx", "valid", "P3")]
    assert result.files[0].sender == "李四 <li@example.org>" and result.files[0].received is not None
    assert [s.name for s in result.skipped] == ["说明.txt"]
    assert hashlib.sha256(ret).hexdigest() in _archived(ws.root)  # byte for byte
    assert {p.code: p.status for p in period_status(ws, JUNE).projects}["P3"] == "valid"


def test_winmail_dat_attachments_are_collected_and_ingested(tmp_path: Path, corpus: ModuleType) -> None:
    department = small_department()
    ws = make_workspace(tmp_path / "ws")
    ret = filled_return(department, "P1")
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "outlook.eml").write_bytes(corpus.winmail_message([("2025-06_法律援助科_法律援助经费.xlsx", ret)]))
    (item,) = iter_source(str(inbox))
    assert isinstance(item, MailItem)
    assert [(a.name, a.content == ret) for a in item.attachments] == [("2025-06_法律援助科_法律援助经费.xlsx", True)]
    result = collect(ws, JUNE, [str(inbox)])
    assert [(f.status, f.project) for f in result.files] == [("valid", "P1")]
    assert hashlib.sha256(ret).hexdigest() in _archived(ws.root)


def test_a_damaged_msg_is_reported_and_kept(tmp_path: Path, corpus: ModuleType) -> None:
    ws = make_workspace(tmp_path / "ws")
    good = corpus.outlook_msg([("a.xlsx", filled_return(small_department(), "P2"))])
    damaged = good[: len(good) // 3]  # cut short, as a broken download would be
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "cut.msg").write_bytes(damaged)
    (item,) = iter_source(str(inbox))
    assert isinstance(item, UnreadableMessage) and ".msg" in item.reason
    result = collect(ws, JUNE, [str(inbox)])
    assert len(result.unreadable) == 1 and result.files == []
    assert hashlib.sha256(damaged).hexdigest() in _archived(ws.root)
    with Ledger(ws.ledger_path) as ledger:
        (row,) = ledger.rows()
    assert (row.kind, row.status, row.issues[0].code) == ("message", "rejected", "unreadable-message")


def test_msg_inside_a_zip_and_without_a_name_ending_is_collected(tmp_path: Path, corpus: ModuleType) -> None:
    """Offices zip a folder of saved Outlook mails, and drag-and-drop can save one with no ending:
    both are read as Outlook mail, not skipped; a readme beside them is no source."""
    import zipfile

    department = small_department()
    ws = make_workspace(tmp_path / "ws")
    zipped, bare = filled_return(department, "P1"), filled_return(department, "P2")
    inbox = tmp_path / "in"
    inbox.mkdir()
    with zipfile.ZipFile(inbox / "六月回执.zip", "w") as archive:
        archive.writestr("回执/法律援助.msg", corpus.outlook_msg([("2025-06_法律援助.xlsx", zipped)]))
        archive.writestr("回执/说明.txt", "见附件")
    (inbox / "outlook-drag").write_bytes(corpus.outlook_msg([("2025-06_社区矫正.xlsx", bare)]))
    result = collect(ws, JUNE, [str(inbox)])
    assert sorted((f.name, f.status, f.project) for f in result.files) == [
        ("2025-06_法律援助.xlsx", "valid", "P1"), ("2025-06_社区矫正.xlsx", "valid", "P2")]
    assert result.unreadable == []
    assert {hashlib.sha256(zipped).hexdigest(), hashlib.sha256(bare).hexdigest()} <= _archived(ws.root)


def test_unreadable_reasons_say_what_to_do_without_internal_names(tmp_path: Path, corpus: ModuleType) -> None:
    import re

    good = corpus.outlook_msg([("a.xlsx", filled_return(small_department(), "P2"))])
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "cut.msg").write_bytes(good[: len(good) // 3])
    (inbox / "noise.msg").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    items = list(iter_source(str(inbox)))
    assert len(items) == 2 and all(isinstance(i, UnreadableMessage) for i in items)
    for item in items:
        assert isinstance(item, UnreadableMessage)
        assert not re.search(r"[A-Za-z]+(Error|Exception)\b", item.reason), item.reason
        assert "请" in item.reason  # says what to do

