"""Archive and ledger on hand-made data: byte-for-byte archive, one entry per content, counting rules."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from pathlib import Path

import pytest
from ledger_helpers import at, small_department

from perfsheet.ledger.archive import (
    LedgerError,
    archive_bytes,
    archive_ext,
    find_archived,
    remove_stale_temps,
)
from perfsheet.ledger.status import compute_period_status
from perfsheet.ledger.store import SCHEMA_VERSION, IngestRecord, Ledger, Sighting
from perfsheet.model import Issue, Period, Severity

JUNE = Period(2025, 6)
ERR = Issue("not-a-number", Severity.ERROR, "请填写数字", "监控表", "F14", "spend.to_date", "abc")
WARN = Issue("value-normalised", Severity.WARNING, "已换算", "监控表", "F15", "spend.projected", "1.2万元")


def _set_result(
    ledger: Ledger, digest: str, *, status: str, project: str | None, period: Period, issues: list[Issue]
) -> None:
    """Store a hand-made ingest result (no submission: these tests are about flags and status)."""
    record = IngestRecord(digest, status, project, period, tuple(issues), None, ingest_key="test")
    ledger.store_results([record])


def test_archive_is_byte_for_byte_by_sha256(tmp_path: Path) -> None:
    data = b"PK\x03\x04 some workbook bytes \x00\xff"
    digest, path = archive_bytes(tmp_path / "archive", data, ".xlsx")
    assert digest == hashlib.sha256(data).hexdigest()
    assert path == tmp_path / "archive" / digest[:2] / f"{digest}.xlsx"
    assert path.read_bytes() == data
    mtime = path.stat().st_mtime_ns
    # Same bytes again (even under another extension): the same file, not rewritten.
    again, path2 = archive_bytes(tmp_path / "archive", data, ".xls")
    assert (again, path2) == (digest, path)
    assert path.stat().st_mtime_ns == mtime
    assert find_archived(tmp_path / "archive", digest) == path
    assert [p.name for p in (tmp_path / "archive").rglob("*") if p.is_file()] == [path.name]


def test_archive_refuses_damaged_file_instead_of_overwriting(tmp_path: Path) -> None:
    data = b"return bytes"
    _, path = archive_bytes(tmp_path, data, ".xlsx")
    path.write_bytes(b"trunc")
    with pytest.raises(LedgerError, match="归档文件已损坏"):
        archive_bytes(tmp_path, data, ".xlsx")
    assert path.read_bytes() == b"trunc"


@pytest.mark.parametrize(
    ("name", "ext"),
    [
        ("2025年法律援助-6月.xlsx", ".xlsx"),
        ("REPORT.XLS", ".xls"),
        ("../../evil.xlsx", ".xlsx"),
        ("noext", ".bin"),
        ("a.x/../../y", ".bin"),
        ("a.xlsx\u202e", ".bin"),
        ("a.verylongextension", ".bin"),
    ],
)
def test_archive_ext_never_takes_a_path_from_the_name(name: str, ext: str) -> None:
    assert archive_ext(name) == ext


def test_stale_temps_are_removed_archived_files_kept(tmp_path: Path) -> None:
    _, path = archive_bytes(tmp_path, b"x", ".xlsx")
    stale = path.parent / ".tmp-abc.xlsx"
    stale.write_bytes(b"half")
    assert remove_stale_temps(tmp_path) == 1
    assert path.exists() and not stale.exists()


def _record(
    ledger: Ledger, root: Path, data: bytes, received: dt.datetime | None, name: str = "r.xlsx"
) -> str:
    digest, path = archive_bytes(root / "archive", data, ".xlsx")
    ledger.record(
        digest,
        path,
        len(data),
        Sighting("folder:x", f"<{name}>", "a@b", "回报", received, name, name, name),
        period=JUNE,
    )
    return digest


def test_same_bytes_twice_is_one_entry_with_two_sightings(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        d1 = _record(ledger, tmp_path, b"one", at(5), "late.xlsx")
        digest, path = archive_bytes(tmp_path / "archive", b"one", ".xlsx")
        is_new = ledger.record(
            digest,
            path,
            3,
            Sighting("imap:x", "<m2>", "c@d", "re", at(2), "early.xlsx", "early.xlsx", "early.xlsx"),
            period=JUNE,
        )
        assert not is_new
        rows = ledger.rows()
        assert [r.sha256 for r in rows] == [d1]
        # The entry describes the earliest sighting, whatever order sources were read in.
        assert rows[0].decoded_name == "early.xlsx" and rows[0].received == at(2)
        assert rows[0].status == "pending" and rows[0].archive_path == f"archive/{d1[:2]}/{d1}.xlsx"
        assert len(ledger.sightings(d1)) == 2
        # A sighting seen again adds nothing.
        _record(ledger, tmp_path, b"one", at(5), "late.xlsx")
        assert len(ledger.sightings(d1)) == 2


def test_newest_valid_counts_older_superseded(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        old = _record(ledger, tmp_path, b"old", at(3))
        new = _record(ledger, tmp_path, b"new", at(8))
        bad = _record(ledger, tmp_path, b"bad", at(1))
        later_bad = _record(ledger, tmp_path, b"later-bad", at(9))
        # Ingest results arrive in any order; the flags depend only on received time.
        _set_result(ledger, new, status="valid", project="P1", period=JUNE, issues=[WARN])
        _set_result(ledger, old, status="valid", project="P1", period=JUNE, issues=[])
        _set_result(ledger, bad, status="invalid", project="P1", period=JUNE, issues=[ERR, WARN])
        _set_result(ledger, later_bad, status="invalid", project="P1", period=JUNE, issues=[ERR])
        rows = {r.sha256: r for r in ledger.rows(JUNE)}
        assert rows[new].counting and not rows[new].superseded
        assert rows[old].superseded and not rows[old].counting
        assert rows[bad].superseded
        assert not rows[later_bad].superseded and not rows[later_bad].counting
        assert rows[bad].errors == 1 and rows[bad].warnings == 1
        assert rows[bad].issues[0].cell == "F14"
        assert set(ledger.counting(JUNE)) == {"P1"}
        assert ledger.periods() == [JUNE]


def test_tie_on_received_time_broken_by_collect_order(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        first = _record(ledger, tmp_path, b"first", at(3))
        second = _record(ledger, tmp_path, b"second", at(3))
        for d in (second, first):
            _set_result(ledger, d, status="valid", project="P2", period=JUNE, issues=[])
        assert ledger.counting(JUNE)["P2"].sha256 == second


def test_file_moves_to_its_own_period(tmp_path: Path) -> None:
    may = Period(2025, 5)
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        d = _record(ledger, tmp_path, b"may return", at(3, month=6))
        assert ledger.get(d).period == "2025-06"  # type: ignore[union-attr]
        _set_result(ledger, d, status="valid", project="P1", period=may, issues=[])
        assert ledger.rows(JUNE) == []
        assert ledger.counting(may)["P1"].sha256 == d
        assert ledger.periods() == [may]


def test_ledger_is_wal_with_schema_version(tmp_path: Path) -> None:
    Ledger(tmp_path / "ledger.sqlite").close()
    conn = sqlite3.connect(tmp_path / "ledger.sqlite")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    conn.execute("UPDATE schema_version SET version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(LedgerError, match="更新版本"):
        Ledger(tmp_path / "ledger.sqlite")


def test_garbage_ledger_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "ledger.sqlite").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(LedgerError, match="台账数据库无法打开"):
        Ledger(tmp_path / "ledger.sqlite")


def test_deadline_is_day_of_following_month() -> None:
    assert JUNE.due_date(10) == dt.date(2025, 7, 10)
    assert Period(2025, 12).due_date(10) == dt.date(2026, 1, 10)
    assert Period(2025, 1).due_date(31) == dt.date(2025, 2, 28)
    assert (Period(2025, 12).next(), JUNE.months_label, Period(2025, 1).months_label) == (
        Period(2026, 1),
        "1-6月",
        "1月",
    )


def test_period_status_missing_invalid_valid_late(tmp_path: Path) -> None:
    department = small_department()
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        ok = _record(ledger, tmp_path, b"ok", at(10, 23))  # on the deadline day: on time
        late = _record(ledger, tmp_path, b"late-bad", at(11, 0))
        _set_result(ledger, ok, status="valid", project="P1", period=JUNE, issues=[WARN])
        _set_result(ledger, late, status="invalid", project="P2", period=JUNE, issues=[ERR])
        junk = _record(ledger, tmp_path, b"junk", at(1))
        _set_result(ledger, junk, status="rejected", project=None, period=JUNE, issues=[])
        rows = ledger.rows(JUNE)
    status = compute_period_status(department, rows, JUNE, deadline_day=10, today=dt.date(2025, 7, 5))
    by_code = {p.code: p for p in status.projects}
    assert [p.code for p in status.projects] == ["P1", "P2", "P3"]
    assert (by_code["P1"].status, by_code["P1"].late, by_code["P1"].warnings) == ("valid", False, 1)
    assert (by_code["P2"].status, by_code["P2"].late, by_code["P2"].errors) == ("invalid", True, 1)
    assert (by_code["P3"].status, by_code["P3"].late, by_code["P3"].sha256) == ("missing", False, None)
    assert by_code["P3"].chief == "李四" and by_code["P1"].section == "法律援助科"
    assert by_code["P2"].label == "有错误（逾期）"
    assert [r.sha256 for r in status.unassigned] == [junk]
    data = status.to_json()
    assert data["period"] == "2025-06"
    p1 = data["projects"][0]  # type: ignore[index]
    assert {"code", "section", "status", "sha256", "received", "errors", "warnings"} <= set(p1)
    assert p1["received"] == "2025-07-10T23:00:00+08:00" and p1["sha256"] == ok
    # After the deadline a missing return is overdue.
    later = compute_period_status(department, rows, JUNE, deadline_day=10, today=dt.date(2025, 7, 11))
    assert {p.code: p.late for p in later.projects}["P3"] is True
