"""The ledger: a SQLite record of every received file and of what ingest concluded about it.

The one store of ingest results (DESIGN.md §2). Each row is one distinct file of the archive (by
sha256): where it was seen, and — written together in one transaction — its status, project, period,
typed Submission (exact decimal strings), issues, the raw values of the cells it flagged, the
counting/superseded flags, and the *ingest key* the result was computed under. Status, consolidation,
reports, reminders and feedback read these rows; nobody but ingest reads a workbook, and ingest
re-runs from the archive when a row's key is stale. For every project and period the newest valid
return *counts* (:func:`perfsheet.rules.choose_return`); older returns stay, marked superseded.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from perfsheet.fsutil import (
    ADVICE_DISK,
    ADVICE_PERMISSIONS,
    ADVICE_SPACE,
    confined,
    open_no_follow,
    unwritable_reason,
)
from perfsheet.ledger.archive import LedgerError
from perfsheet.ledger.records import (
    decode_issues,
    decode_raw_values,
    decode_submission,
    encode_issues,
    encode_raw_values,
    encode_submission,
)
from perfsheet.model import Issue, Period, Severity, Submission
from perfsheet.rules import choose_return

__all__ = [
    "ATTACHMENT",
    "INVALID",
    "MESSAGE",
    "PENDING",
    "REJECTED",
    "SCHEMA_VERSION",
    "VALID",
    "Arrival",
    "FileRow",
    "IngestRecord",
    "Ledger",
    "ReportRecord",
    "SentEntry",
    "Sighting",
    "Standing",
    "ledger_fault",
]

# How long a command waits for another perfsheet that holds the ledger before it gives up (seconds).
BUSY_TIMEOUT = 30.0

# 2: rows hold the typed submission, the flagged raw values and the ingest key (v1 rows are
# migrated by adding the columns with an empty key, so the next collect or run re-ingests them).
SCHEMA_VERSION = 2

# Statuses a ledger row can have. ``pending`` means archived and recorded but not (yet) ingested:
# a collect that was interrupted leaves such rows, and the next collect ingests them.
PENDING = "pending"
VALID = "valid"
INVALID = "invalid"
REJECTED = "rejected"
ROW_STATUSES = (PENDING, VALID, INVALID, REJECTED)

# What a row holds: an attachment (a return candidate, ingested), or the raw bytes of a message
# that could not be read as mail (archived so nothing is lost; never ingested).
ATTACHMENT = "attachment"
MESSAGE = "message"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS files (
    sha256        TEXT PRIMARY KEY,
    seq           INTEGER NOT NULL UNIQUE,       -- order in which files were first collected
    archive_path  TEXT NOT NULL,                 -- relative to the workspace root, '/' separated
    size          INTEGER NOT NULL,
    raw_name      TEXT NOT NULL DEFAULT '',      -- attachment name as found in the message header
    decoded_name  TEXT NOT NULL DEFAULT '',      -- the name a person sees in a mail client
    safe_name     TEXT NOT NULL DEFAULT '',      -- sanitised, usable as a file name
    sender        TEXT NOT NULL DEFAULT '',
    subject       TEXT NOT NULL DEFAULT '',
    message_id    TEXT NOT NULL DEFAULT '',
    received      TEXT,                          -- ISO 8601 with offset, NULL if unknown
    received_utc  TEXT,                          -- the same in UTC, for ordering
    source        TEXT NOT NULL DEFAULT '',
    project       TEXT,                          -- project code read from the file's content
    period        TEXT NOT NULL,                 -- YYYY-MM (YYYY-自评: a year-end form): the file's own, else the collect period
    status        TEXT NOT NULL CHECK (status IN ('pending', 'valid', 'invalid', 'rejected')),
    errors        INTEGER NOT NULL DEFAULT 0,
    warnings      INTEGER NOT NULL DEFAULT 0,
    issues_json   TEXT NOT NULL DEFAULT '[]',
    inbox_path    TEXT,                          -- readable copy, relative to the workspace root
    counting      INTEGER NOT NULL DEFAULT 0,    -- 1: this is the return that counts for project+period
    superseded    INTEGER NOT NULL DEFAULT 0,    -- 1: a newer valid return for project+period counts
    collected_at  TEXT NOT NULL,
    submission_json TEXT,                        -- typed values (perfsheet.ledger.records); NULL if rejected
    raw_json      TEXT NOT NULL DEFAULT '{}',    -- field -> raw value of each flagged cell (feedback copy)
    ingest_key    TEXT NOT NULL DEFAULT '',      -- what the result was computed under; '' = never ingested
    kind          TEXT NOT NULL DEFAULT 'attachment' -- attachment | message (a message that could not be read)
);
CREATE INDEX IF NOT EXISTS files_period ON files(period, project);
-- The sent log: every attempt to deliver an outgoing message over SMTP, so nothing goes out twice
-- and a failed delivery is tried again.
CREATE TABLE IF NOT EXISTS sent (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,                 -- send | remind | feedback
    period        TEXT NOT NULL,
    section       TEXT NOT NULL,
    recipients    TEXT NOT NULL,                 -- addresses, comma separated
    subject       TEXT NOT NULL,
    attachments   TEXT NOT NULL,                 -- JSON [[name, sha256], ...]
    content_key   TEXT NOT NULL,                 -- what makes two messages "the same" (see outgoing)
    message_id    TEXT NOT NULL,
    attempted_at  TEXT NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('sent', 'failed')),
    error         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS sent_key ON sent(content_key, outcome);
-- The reports written for a period: what they were computed from (a digest of every input) and each
-- file's sha256, so a run whose inputs did not change keeps them instead of writing the same bytes.
-- A cache of outputs, not a record of truth: dropping a row only makes the next run write them again.
CREATE TABLE IF NOT EXISTS reports (
    period        TEXT PRIMARY KEY,
    input_key     TEXT NOT NULL,
    files_json    TEXT NOT NULL,                 -- {name: [path relative to the workspace root, sha256]}
    summary_json  TEXT NOT NULL,                 -- Summary.to_json() of the summary they were written from
    written_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sightings (
    id            INTEGER PRIMARY KEY,
    sha256        TEXT NOT NULL REFERENCES files(sha256),
    source        TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    raw_name      TEXT NOT NULL,
    decoded_name  TEXT NOT NULL,
    safe_name     TEXT NOT NULL,
    sender        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    received      TEXT,
    seen_at       TEXT NOT NULL,
    UNIQUE (sha256, source, message_id, raw_name)
);
"""

# Columns added by schema version 2, with their definitions (for the migration of a v1 ledger).
_V2_COLUMNS = (
    ("submission_json", "TEXT"),
    ("raw_json", "TEXT NOT NULL DEFAULT '{}'"),
    ("ingest_key", "TEXT NOT NULL DEFAULT ''"),
    ("kind", "TEXT NOT NULL DEFAULT 'attachment'"),
)


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _received_utc(received: dt.datetime | None) -> str | None:
    if received is None:
        return None
    if received.tzinfo is None:
        # A message date without a zone: read it as local time, as a mail client would show it.
        received = received.astimezone()
    return received.astimezone(dt.UTC).isoformat()


@dataclass(frozen=True, slots=True)
class Sighting:
    """One place a file was found: a message (or a file in a folder) of a source."""

    source: str
    message_id: str = ""
    sender: str = ""
    subject: str = ""
    received: dt.datetime | None = None
    raw_name: str = ""
    decoded_name: str = ""
    safe_name: str = ""

    @property
    def names(self) -> tuple[str, str, str, str, str]:
        """(raw_name, decoded_name, safe_name, sender, subject): the columns files and sightings share."""
        return (self.raw_name, self.decoded_name, self.safe_name, self.sender, self.subject)


@dataclass(frozen=True, slots=True)
class FileRow:
    """One ledger entry: one distinct file (by sha256) and what ingest made of it."""

    sha256: str
    seq: int
    archive_path: str
    size: int
    raw_name: str
    decoded_name: str
    safe_name: str
    sender: str
    subject: str
    message_id: str
    received: dt.datetime | None
    source: str
    project: str | None
    period: str
    status: str
    errors: int
    warnings: int
    issues: tuple[Issue, ...]
    inbox_path: str | None
    counting: bool
    superseded: bool
    collected_at: str
    submission_json: str | None = None
    raw_json: str = "{}"
    ingest_key: str = ""
    kind: str = ATTACHMENT

    @classmethod
    def from_sql(cls, row: sqlite3.Row) -> FileRow:
        received = dt.datetime.fromisoformat(row["received"]) if row["received"] else None
        return cls(
            sha256=row["sha256"],
            seq=row["seq"],
            archive_path=row["archive_path"],
            size=row["size"],
            raw_name=row["raw_name"],
            decoded_name=row["decoded_name"],
            safe_name=row["safe_name"],
            sender=row["sender"],
            subject=row["subject"],
            message_id=row["message_id"],
            received=received,
            source=row["source"],
            project=row["project"],
            period=row["period"],
            status=row["status"],
            errors=row["errors"],
            warnings=row["warnings"],
            issues=decode_issues(row["issues_json"]),
            inbox_path=row["inbox_path"],
            counting=bool(row["counting"]),
            superseded=bool(row["superseded"]),
            collected_at=row["collected_at"],
            submission_json=row["submission_json"],
            raw_json=row["raw_json"],
            ingest_key=row["ingest_key"],
            kind=row["kind"],
        )

    def submission(self) -> Submission | None:
        """The typed return ingest made of this file (None when rejected or not yet ingested)."""
        if self.submission_json is None or self.status not in (VALID, INVALID):
            return None
        return decode_submission(self.submission_json, issues=self.issues, file=self.name, sha256=self.sha256)

    def raw_values(self) -> dict[str, object]:
        """Field → the value a flagged cell held, as found (for the feedback copy)."""
        return decode_raw_values(self.raw_json)

    @property
    def name(self) -> str:
        """The name to show a person."""
        return self.decoded_name or self.safe_name or self.raw_name or self.sha256[:12]

    def counts(self) -> bool:
        """Whether this file can be the return that counts (a valid return)."""
        return self.status == VALID

    def order_key(self) -> tuple[str, int]:
        """Newest-last ordering: by received time (unknown first), then by collect order."""
        received = _received_utc(self.received) or ""
        return (received, self.seq)


@dataclass(frozen=True, slots=True)
class ReportRecord:
    """A period's last report run: the digest of its inputs, each file (absolute path, sha256) by its
    name in :data:`perfsheet.report.files.REPORT_KINDS`, and the summary's JSON."""

    input_key: str
    files: dict[str, tuple[Path, str]]
    summary_json: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SentEntry:
    """One attempt to deliver an outgoing message (a row of the sent log)."""

    kind: str
    period: str
    section: str
    recipients: tuple[str, ...]
    subject: str
    attachments: tuple[tuple[str, str], ...]  # (name, sha256)
    content_key: str
    message_id: str
    outcome: str  # sent | failed
    error: str = ""
    attempted_at: str = ""

    @classmethod
    def from_sql(cls, row: sqlite3.Row) -> SentEntry:
        return cls(
            kind=row["kind"],
            period=row["period"],
            section=row["section"],
            recipients=tuple(r for r in row["recipients"].split(", ") if r),
            subject=row["subject"],
            attachments=tuple((str(n), str(h)) for n, h in json.loads(row["attachments"])),
            content_key=row["content_key"],
            message_id=row["message_id"],
            outcome=row["outcome"],
            error=row["error"],
            attempted_at=row["attempted_at"],
        )


@dataclass(frozen=True, slots=True)
class IngestRecord:
    """What ingest concluded about one archived file, as :meth:`Ledger.store_results` stores it."""

    sha256: str
    status: str  # valid | invalid | rejected
    project: str | None
    period: Period
    issues: tuple[Issue, ...]
    submission: Submission | None
    ingest_key: str
    raw_values: Mapping[str, object] = field(default_factory=dict)  # flagged fields only
    inbox_path: Path | None = None


@dataclass(frozen=True, slots=True)
class Arrival:
    """A file just archived, to be recorded by :meth:`Ledger.record_many`, and where it was seen."""

    digest: str
    archived: Path
    size: int
    sighting: Sighting


class Standing(NamedTuple):
    """A row's outcome, as collect reports it for each file it found (:meth:`Ledger.standings`)."""

    status: str
    project: str | None
    period: str
    errors: int
    warnings: int
    archive_path: str
    inbox_path: str | None


class _Rank(NamedTuple):
    """What decides whether a row counts for its project and period: its status and its order."""

    sha256: str
    status: str
    order: tuple[str, int]  # (received, UTC ISO or "" when unknown; collect order), as FileRow.order_key

    def counts(self) -> bool:
        return self.status == VALID


# Files SQLite makes beside the database (WAL mode, and a rollback journal while it switches).
_SIDE_FILES = ("-wal", "-shm", "-journal")


def _prepare_files(path: Path, root: Path) -> None:
    """Refuse a ledger (or its -wal/-shm/-journal) reached through a symlink, and create the database
    file without following one: SQLite itself would follow a planted link out of the workspace."""
    if not confined(root, path).exists():  # confined refused a link, so this is a missing file
        os.close(open_no_follow(root, path, os.O_WRONLY))
    for suffix in _SIDE_FILES:
        confined(root, path.with_name(path.name + suffix))


# SQLite's primary result codes (the low byte of an extended code) that are faults of the disk or
# of another process, not of the ledger's contents.
_SQLITE_PERM, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY = 3, 5, 6, 8
_SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 10, 13, 14


def ledger_fault(exc: sqlite3.Error, path: Path | None = None) -> LedgerError | None:
    """The Chinese error for a ledger that cannot be written or opened because of the disk, the
    permissions or another perfsheet holding it; None for anything else (a damaged file, a bug).

    Nothing is half-written in any of these cases: SQLite rolls the transaction back, so the ledger
    keeps what it held before."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc).lower()
    kept = "台账中已有的记录未受影响"
    ledger = f"台账 {path}" if path is not None else "台账"
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED) or "locked" in text:
        return LedgerError(
            f"{ledger} 正被另一个 perfsheet 使用（已锁定）：请关闭另一个 perfsheet 或等它结束后重试；{kept}。"
        )
    if primary == _SQLITE_FULL or "disk is full" in text:
        return LedgerError(f"{ledger} 无法写入：磁盘空间已满，{ADVICE_SPACE}；{kept}。")
    if primary in (_SQLITE_READONLY, _SQLITE_PERM, _SQLITE_CANTOPEN, _SQLITE_IOERR) or "readonly" in text:
        reason = unwritable_reason(path.parent) if path is not None else None
        if reason is not None:
            return LedgerError(f"{ledger} 无法写入：{reason}；{kept}。")
        if primary == _SQLITE_IOERR:
            return LedgerError(f"{ledger} 读写时出现磁盘错误，{ADVICE_DISK}；{kept}。")
        if primary in (_SQLITE_READONLY, _SQLITE_PERM):
            return LedgerError(f"{ledger} 无法写入：没有写入权限，{ADVICE_PERMISSIONS}；{kept}。")
        return LedgerError(f"{ledger} 无法打开，{ADVICE_DISK}；{kept}。")
    return None


class Ledger:
    """The SQLite ledger of one workspace. Use as a context manager; every method commits."""

    def __init__(self, path: Path, *, root: Path | None = None) -> None:
        self.path = Path(path)
        # Paths in the ledger are stored relative to the workspace root so a workspace can be moved.
        self.root = Path(root) if root is not None else self.path.parent
        _prepare_files(self.path, self.root)
        try:
            self._conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            if hasattr(self, "_conn"):
                self._conn.close()
            raise ledger_fault(exc, self.path) or LedgerError(
                f"台账数据库无法打开：{self.path}（{exc}）。请检查该文件是否损坏。"
            ) from None

    # -- lifecycle

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        try:
            with self._conn:
                yield self._conn
        except sqlite3.DatabaseError as exc:
            # A full or read-only disk, or another perfsheet holding the ledger: one Chinese line, for
            # the CLI and the Python API alike (the transaction was rolled back).
            fault = ledger_fault(exc, self.path)
            if fault is None:
                raise
            raise fault from None

    def _migrate(self) -> None:
        self._conn.executescript(_SCHEMA)  # CREATE … IF NOT EXISTS: idempotent, safe to race
        version = self._version()
        if version is not None and version > SCHEMA_VERSION:
            raise LedgerError(
                f"台账 {self.path} 由更新版本的 perfsheet 创建（结构版本 {version}），请升级 perfsheet。"
            )
        if version == SCHEMA_VERSION:
            return
        with self._tx() as conn:
            # One writer at a time: two processes opening a v1 ledger must not both add the columns.
            conn.execute("BEGIN IMMEDIATE")
            version = self._version()
            if version is None:
                conn.execute("INSERT INTO schema_version(version) VALUES (?)", (SCHEMA_VERSION,))
            elif version < 2:
                # v1 → v2: the new columns start empty; an empty ingest key makes the next collect or
                # run re-ingest every row from the archive (the archive itself is untouched).
                present = {r["name"] for r in conn.execute("PRAGMA table_info(files)")}
                for name, definition in _V2_COLUMNS:
                    if name not in present:
                        conn.execute(f"ALTER TABLE files ADD COLUMN {name} {definition}")
                conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))

    def _version(self) -> int | None:
        row = self._conn.execute("SELECT version FROM schema_version").fetchone()
        return int(row["version"]) if row is not None else None

    # -- paths

    def relpath(self, path: Path) -> str:
        return Path(os.path.relpath(path, self.root)).as_posix()

    def abspath(self, rel: str) -> Path:
        return self.root / Path(rel)

    # -- writing

    def record(
        self,
        digest: str,
        archived: Path,
        size: int,
        sighting: Sighting,
        *,
        period: Period,
        kind: str = ATTACHMENT,
    ) -> bool:
        """Record a file just archived and where it was seen; return True when the file is new.

        The same bytes seen again add a sighting, not an entry. When seen in several messages the entry
        describes the earliest one, so the ledger does not depend on the order sources are read in.
        """
        return self.record_many([Arrival(digest, archived, size, sighting)], period=period, kind=kind)[0]

    def record_many(self, arrivals: Sequence[Arrival], *, period: Period, kind: str = ATTACHMENT) -> list[bool]:
        """:meth:`record` for a batch of files just archived (and made durable), in one transaction:
        either every row of the batch is recorded or none is (then the next collect records them, the
        files being in the archive already). Which return counts is decided once per project touched."""
        now = _now_iso()
        fresh: list[bool] = []
        with self._tx() as conn:
            seq = int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM files").fetchone()[0])
            touched: set[tuple[str, str]] = set()
            for arrival in arrivals:
                digest, sighting = arrival.digest, arrival.sighting
                received = sighting.received.isoformat() if sighting.received else None
                received_utc = _received_utc(sighting.received)
                seen = (*sighting.names, sighting.message_id, received, received_utc, sighting.source)
                existing = conn.execute(
                    "SELECT received_utc, period, project FROM files WHERE sha256 = ?", (digest,)
                ).fetchone()
                fresh.append(existing is None)
                if existing is None:
                    seq += 1
                    conn.execute(
                        "INSERT INTO files (sha256, seq, archive_path, size, raw_name, decoded_name, safe_name,"
                        " sender, subject, message_id, received, received_utc, source, period, status,"
                        " collected_at, kind) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        (digest, seq, self.relpath(arrival.archived), arrival.size, *seen, str(period), PENDING,
                         now, kind),
                    )
                elif received_utc is not None and (
                    existing["received_utc"] is None or received_utc < existing["received_utc"]
                ):
                    conn.execute(
                        "UPDATE files SET raw_name=?, decoded_name=?, safe_name=?, sender=?, subject=?,"
                        " message_id=?, received=?, received_utc=?, source=? WHERE sha256=?",
                        (*seen, digest),
                    )
                    # An earlier receipt can change which return is the newest: decide again.
                    if existing["project"]:
                        touched.add((existing["period"], existing["project"]))
                conn.execute(
                    "INSERT OR IGNORE INTO sightings (sha256, source, message_id, raw_name, decoded_name,"
                    " safe_name, sender, subject, received, seen_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (digest, sighting.source, sighting.message_id, *sighting.names, received, now),
                )
            self._recompute(conn, touched)
        return fresh

    def store_results(self, records: Sequence[IngestRecord]) -> None:
        """Store what ingest concluded about some files, all in one transaction, and decide again which
        return counts for every project and period they touch, once each (status, values, issues and
        flags change together)."""
        if not records:
            return
        with self._tx() as conn:
            touched: set[tuple[str, str]] = set()
            for rec in records:
                if rec.status not in ROW_STATUSES:
                    raise ValueError(f"unknown ledger status {rec.status!r}")
                old = conn.execute("SELECT period, project FROM files WHERE sha256 = ?", (rec.sha256,)).fetchone()
                if old is None:
                    raise KeyError(rec.sha256)
                errors = sum(1 for i in rec.issues if i.severity is Severity.ERROR)
                warnings = len(rec.issues) - errors
                inbox_rel = self.relpath(rec.inbox_path) if rec.inbox_path is not None else None
                # The flags start clear and the recount below sets them: a row that lost its project
                # (or moved to another period) must not keep counting where it was.
                conn.execute(
                    "UPDATE files SET status=?, project=?, period=?, errors=?, warnings=?, issues_json=?,"
                    " submission_json=?, raw_json=?, ingest_key=?, inbox_path=COALESCE(?, inbox_path),"
                    " counting=0, superseded=0 WHERE sha256=?",
                    (
                        rec.status,
                        rec.project,
                        str(rec.period),
                        errors,
                        warnings,
                        encode_issues(rec.issues),
                        encode_submission(rec.submission) if rec.submission is not None else None,
                        encode_raw_values(rec.raw_values),
                        rec.ingest_key,
                        inbox_rel,
                        rec.sha256,
                    ),
                )
                if old["project"]:
                    touched.add((old["period"], old["project"]))
                if rec.project:
                    touched.add((str(rec.period), rec.project))
            self._recompute(conn, touched)

    def _recompute(self, conn: sqlite3.Connection, touched: set[tuple[str, str]]) -> None:
        """Decide which return counts for each (period, project) in ``touched``
        (:func:`perfsheet.rules.choose_return`), reading only the columns that decide it."""
        for period, project in sorted(touched):
            ranks = sorted(
                (
                    _Rank(r["sha256"], r["status"], (r["received_utc"] or "", r["seq"]))
                    for r in conn.execute(
                        "SELECT sha256, status, received_utc, seq FROM files WHERE period = ? AND project = ?",
                        (period, project),
                    )
                ),
                key=lambda rank: rank.order,
            )
            winner = choose_return(ranks, _Rank.counts).counting
            for rank in ranks:
                if winner is None:
                    counting, superseded = 0, 0
                elif rank is winner:
                    counting, superseded = 1, 0
                else:
                    counting, superseded = 0, int(rank.order < winner.order)
                conn.execute(
                    "UPDATE files SET counting=?, superseded=? WHERE sha256=? AND (counting<>? OR superseded<>?)",
                    (counting, superseded, rank.sha256, counting, superseded),
                )

    # -- reading

    def get(self, digest: str) -> FileRow | None:
        row = self._conn.execute("SELECT * FROM files WHERE sha256 = ?", (digest,)).fetchone()
        return FileRow.from_sql(row) if row is not None else None

    def rows(self, period: Period | str | None = None) -> list[FileRow]:
        """Ledger entries in collect order (all, or of one period)."""
        if period is None:
            cur = self._conn.execute("SELECT * FROM files ORDER BY seq")
        else:
            cur = self._conn.execute("SELECT * FROM files WHERE period = ? ORDER BY seq", (str(period),))
        return [FileRow.from_sql(r) for r in cur]

    def standings(self) -> dict[str, Standing]:
        """Every row's outcome by sha256, read without decoding its issues or values (one query)."""
        cur = self._conn.execute(
            "SELECT sha256, status, project, period, errors, warnings, archive_path, inbox_path FROM files"
        )
        return {r[0]: Standing(*r[1:]) for r in cur}

    def counting(self, period: Period | str) -> dict[str, FileRow]:
        """The return that counts, per project code, for one period."""
        cur = self._conn.execute(
            "SELECT * FROM files WHERE period = ? AND counting = 1 ORDER BY project", (str(period),)
        )
        return {r["project"]: FileRow.from_sql(r) for r in cur}

    def periods(self) -> list[Period]:
        """Periods for which at least one return (of a known project) was recorded."""
        cur = self._conn.execute(
            "SELECT DISTINCT period FROM files WHERE project IS NOT NULL ORDER BY period"
        )
        out: list[Period] = []
        for (text,) in cur:
            try:
                out.append(Period.parse(text))
            except ValueError:
                continue
        return out

    def sightings(self, digest: str | None = None) -> list[dict[str, Any]]:
        if digest is None:
            cur = self._conn.execute("SELECT * FROM sightings ORDER BY id")
        else:
            cur = self._conn.execute("SELECT * FROM sightings WHERE sha256 = ? ORDER BY id", (digest,))
        return [dict(r) for r in cur]

    def log_delivery(self, entry: SentEntry) -> None:
        """Record one attempt to deliver an outgoing message (committed at once: a crash after a
        message left must not make it go out again)."""
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO sent (kind, period, section, recipients, subject, attachments, content_key,"
                " message_id, attempted_at, outcome, error) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    entry.kind,
                    entry.period,
                    entry.section,
                    ", ".join(entry.recipients),
                    entry.subject,
                    json.dumps([list(a) for a in entry.attachments], ensure_ascii=False),
                    entry.content_key,
                    entry.message_id,
                    entry.attempted_at or _now_iso(),
                    entry.outcome,
                    entry.error,
                ),
            )

    def delivered(self, content_key: str) -> SentEntry | None:
        """The last successful delivery of a message with this content, if any."""
        row = self._conn.execute(
            "SELECT * FROM sent WHERE content_key = ? AND outcome = 'sent' ORDER BY id DESC LIMIT 1",
            (content_key,),
        ).fetchone()
        return SentEntry.from_sql(row) if row is not None else None

    def sent_log(self, period: Period | str | None = None) -> list[SentEntry]:
        """Every delivery attempt, oldest first (all, or of one period)."""
        if period is None:
            cur = self._conn.execute("SELECT * FROM sent ORDER BY id")
        else:
            cur = self._conn.execute("SELECT * FROM sent WHERE period = ? ORDER BY id", (str(period),))
        return [SentEntry.from_sql(r) for r in cur]

    def report_record(self, period: Period | str) -> ReportRecord | None:
        """What the last report run of ``period`` wrote, and from which inputs (None: never)."""
        row = self._conn.execute("SELECT * FROM reports WHERE period = ?", (str(period),)).fetchone()
        if row is None:
            return None
        try:
            files = {name: (self.abspath(rel), digest) for name, (rel, digest) in json.loads(row["files_json"]).items()}
            summary = json.loads(row["summary_json"])
        except (ValueError, TypeError):
            return None  # an unreadable cache entry: the reports are simply written again
        return ReportRecord(row["input_key"], files, summary)

    def record_reports(
        self, period: Period | str, input_key: str, files: Mapping[str, tuple[Path, str]], summary_json: Mapping[str, Any]
    ) -> None:
        """Note the reports just written for ``period`` (see :meth:`report_record`)."""
        encoded = {name: [self.relpath(path), digest] for name, (path, digest) in files.items()}
        with self._tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO reports (period, input_key, files_json, summary_json, written_at)"
                " VALUES (?,?,?,?,?)",
                (str(period), input_key, json.dumps(encoded, ensure_ascii=False, sort_keys=True),
                 json.dumps(summary_json, ensure_ascii=False, sort_keys=True), _now_iso()),
            )

    def senders(self, digest: str) -> list[str]:
        """Every distinct sender a file came from, earliest first."""
        cur = self._conn.execute(
            "SELECT sender FROM sightings WHERE sha256 = ? AND sender <> '' ORDER BY received, id", (digest,)
        )
        seen: list[str] = []
        for (sender,) in cur:
            if sender not in seen:
                seen.append(sender)
        return seen


