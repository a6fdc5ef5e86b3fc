"""Collect in batches: files archived and made durable together, then recorded in one transaction.

A kill inside a batch — after its files are durable under temporary names, or after they have their
archive names but before the ledger knows them — and a re-run end exactly where an uninterrupted
collect ends. Ingest in worker processes gives the same ledger and files as ingest in-process, and an
inbox copy is the archived file itself (a hard link), which nothing can change in place.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from ledger_helpers import JUNE, make_workspace
from test_collect import _big_source, _run_collect, ledger_state, workspace_files

from perfsheet.collect import CRASH_STAGE_ENV, collect
from perfsheet.ingest import batch
from perfsheet.ledger.store import Ledger


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _big_source(tmp_path_factory.mktemp("batches"), 12)


@pytest.fixture(scope="module")
def reference(source: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[object, dict[str, bytes]]:
    ws = make_workspace(tmp_path_factory.mktemp("ref") / "ws")
    proc = _run_collect(ws.root, source)
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode in (0, 1), err.decode()
    return ledger_state(ws.root), workspace_files(ws.root)


@pytest.mark.parametrize("stage", ["written", "linked"])
def test_kill_inside_a_batch_then_rerun_equals_uninterrupted(
    tmp_path: Path, source: Path, reference: tuple[object, dict[str, bytes]], stage: str
) -> None:
    ws = make_workspace(tmp_path / "ws")
    proc = _run_collect(ws.root, source, {CRASH_STAGE_ENV: stage})
    proc.communicate(timeout=300)
    assert proc.returncode == 98  # killed inside the second batch (its two files), at that stage

    # The first batch (one file) is recorded; the second batch's files are not in the ledger.
    files, _sightings = ledger_state(ws.root)
    assert len(files) == 1
    archived = [p for p in (ws.root / "archive").rglob("*") if p.is_file() and not p.name.startswith(".tmp-")]
    temps = [p for p in (ws.root / "archive").rglob(".tmp-*")]
    if stage == "written":
        assert len(archived) == 1 and len(temps) == 2  # durable, but under no archive name yet
    else:
        assert len(archived) == 3 and not temps  # archived for good, and no row names them yet

    rerun = _run_collect(ws.root, source)
    _out, err = rerun.communicate(timeout=300)
    assert rerun.returncode in (0, 1), err.decode()
    assert (ledger_state(ws.root), workspace_files(ws.root)) == reference
    assert not list(ws.root.rglob(".tmp-*"))


def test_ingest_in_worker_processes_equals_ingest_in_process(
    tmp_path: Path, source: Path, reference: tuple[object, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "PARALLEL_MIN", 2)
    monkeypatch.setattr(batch, "_cores", lambda: 2)
    started: list[int] = []
    real_pool = batch.IngestPool

    def counting_pool(*args: object) -> batch.IngestPool:
        pool = real_pool(*args)  # type: ignore[arg-type]
        started.append(len(pool.workers))
        return pool

    monkeypatch.setattr(batch, "IngestPool", counting_pool)
    ws = make_workspace(tmp_path / "ws")
    collect(ws, JUNE, [str(source)])
    assert started == [2], "the files were ingested by two worker processes"
    assert (ledger_state(ws.root), workspace_files(ws.root)) == reference


def test_an_inbox_copy_is_the_archived_file_which_is_read_only(tmp_path: Path, source: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    collect(ws, JUNE, [str(source)])
    with Ledger(ws.ledger_path) as ledger:
        rows = [r for r in ledger.rows() if r.inbox_path]
        assert rows
        for row in rows:
            archived, inbox = ledger.abspath(row.archive_path), ledger.abspath(row.inbox_path or "")
            assert os.path.samefile(archived, inbox)
            assert stat.S_IMODE(archived.stat().st_mode) & 0o222 == 0, "nobody may write an archived file"
