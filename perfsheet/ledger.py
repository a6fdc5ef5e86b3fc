"""Archive and ledger: every received file kept by its sha256, and a SQLite record of what it is.

Collect stores each attachment byte-for-byte under ``archive/<sha[:2]>/<sha256><ext>`` before anything
else happens, then records it here (``ledger.sqlite`` in the workspace, WAL). Ingest results are written
back onto the same row. For every project and period the newest valid return *counts*; older returns
stay in the ledger, marked superseded. The period status (who is missing, invalid, valid, late) is
computed from this table.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from hashlib import sha256 as _sha256
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import PerfsheetError
from .fsutil import write_new_bytes
from .model import Department, Issue, Period, Severity, Submission

if TYPE_CHECKING:
    from .collect import CollectResult
    from .workspace import Workspace

__all__ = [
    "ARCHIVE_TMP_PREFIX",
    "SCHEMA_VERSION",
    "FileRow",
    "Ledger",
    "LedgerError",
    "PeriodStatus",
    "ProjectStatus",
    "Sighting",
    "archive_bytes",
    "archive_ext",
    "collect",
    "compute_period_status",
    "counting_submissions",
    "deadline_for",
    "period_status",
    "periods_with_returns",
    "status",
]

SCHEMA_VERSION = 1
ARCHIVE_TMP_PREFIX = ".tmp-"

# Statuses a ledger row can have. ``pending`` means archived and recorded but not (yet) ingested:
# a collect that was interrupted leaves such rows, and the next collect ingests them.
PENDING = "pending"
VALID = "valid"
INVALID = "invalid"
REJECTED = "rejected"
ROW_STATUSES = (PENDING, VALID, INVALID, REJECTED)

_SAFE_EXT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


class LedgerError(PerfsheetError):
    """The ledger or the archive cannot be used (unreadable database, archive damaged)."""


# --------------------------------------------------------------------------------------------- archive


def archive_ext(name: str) -> str:
    """The archive file's extension, taken from an attachment name but never trusted as a path part.

    Only a short lowercase alphanumeric suffix survives (``.xlsx``, ``.xls``, ``.ods``); anything else
    gives ``.bin`` so that the archive never holds a name chosen by a sender.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if "." not in base:
        return ".bin"
    ext = base.rsplit(".", 1)[1].strip().lower()
    if not ext or len(ext) > 8 or not set(ext) <= _SAFE_EXT_CHARS:
        return ".bin"
    return "." + ext


def archive_bytes(archive_dir: Path, data: bytes, ext: str = ".bin") -> tuple[str, Path]:
    """Store ``data`` under ``archive_dir/<sha[:2]>/<sha256><ext>``; return ``(sha256, path)``.

    An archived file is never overwritten: the same bytes already present (under any extension) are
    the same file, so the existing path is returned. The write goes through a temp file + fsync, then
    ``os.link`` (``fsutil.write_new_bytes``), so an interrupted process leaves either the whole file or
    none and two writers can never replace each other's file.
    """
    digest = _sha256(data).hexdigest()
    if not ext.startswith(".") or len(ext) > 9 or not set(ext[1:]) <= _SAFE_EXT_CHARS:
        ext = ".bin"
    folder = archive_dir / digest[:2]
    existing = find_archived(archive_dir, digest)
    if existing is not None:
        if existing.stat().st_size != len(data):
            raise LedgerError(f"归档文件已损坏（大小与哈希不符）：{existing}。请从备份恢复该文件后重试。")
        return digest, existing
    target = folder / f"{digest}{ext}"
    write_new_bytes(target, data)
    return digest, target


def find_archived(archive_dir: Path, digest: str) -> Path | None:
    """The archived file holding the bytes with this sha256, whatever its extension."""
    folder = archive_dir / digest[:2]
    if not folder.is_dir():
        return None
    for candidate in sorted(folder.iterdir()):
        if candidate.name.startswith(digest) and not candidate.name.startswith(ARCHIVE_TMP_PREFIX):
            stem = candidate.name[len(digest) :]
            if stem == "" or stem.startswith("."):
                return candidate
    return None


def remove_stale_temps(archive_dir: Path) -> int:
    """Delete temp files an interrupted archive write left behind (never an archived file)."""
    removed = 0
    if not archive_dir.is_dir():
        return 0
    for folder in archive_dir.iterdir():
        if not folder.is_dir():
            continue
        for candidate in folder.iterdir():
            if candidate.name.startswith(ARCHIVE_TMP_PREFIX) and candidate.is_file():
                candidate.unlink()
                removed += 1
    return removed


# ---------------------------------------------------------------------------------------------- ledger

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
    period        TEXT NOT NULL,                 -- YYYY-MM: the file's own period, else the collect period
    status        TEXT NOT NULL CHECK (status IN ('pending', 'valid', 'invalid', 'rejected')),
    errors        INTEGER NOT NULL DEFAULT 0,
    warnings      INTEGER NOT NULL DEFAULT 0,
    issues_json   TEXT NOT NULL DEFAULT '[]',
    inbox_path    TEXT,                          -- readable copy, relative to the workspace root
    counting      INTEGER NOT NULL DEFAULT 0,    -- 1: this is the return that counts for project+period
    superseded    INTEGER NOT NULL DEFAULT 0,    -- 1: a newer valid return for project+period counts
    collected_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS files_period ON files(period, project);
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

_FILE_COLUMNS = (
    "sha256",
    "seq",
    "archive_path",
    "size",
    "raw_name",
    "decoded_name",
    "safe_name",
    "sender",
    "subject",
    "message_id",
    "received",
    "received_utc",
    "source",
    "project",
    "period",
    "status",
    "errors",
    "warnings",
    "issues_json",
    "inbox_path",
    "counting",
    "superseded",
    "collected_at",
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
    issues: tuple[dict[str, str], ...]
    inbox_path: str | None
    counting: bool
    superseded: bool
    collected_at: str

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
            issues=tuple(json.loads(row["issues_json"])),
            inbox_path=row["inbox_path"],
            counting=bool(row["counting"]),
            superseded=bool(row["superseded"]),
            collected_at=row["collected_at"],
        )

    @property
    def name(self) -> str:
        """The name to show a person."""
        return self.decoded_name or self.safe_name or self.raw_name or self.sha256[:12]

    def order_key(self) -> tuple[str, int]:
        """Newest-last ordering: by received time (unknown first), then by collect order."""
        received = _received_utc(self.received) or ""
        return (received, self.seq)


class Ledger:
    """The SQLite ledger of one workspace. Use as a context manager; every method commits."""

    def __init__(self, path: Path, *, root: Path | None = None) -> None:
        self.path = Path(path)
        # Paths in the ledger are stored relative to the workspace root so a workspace can be moved.
        self.root = Path(root) if root is not None else self.path.parent
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(self.path, timeout=30)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise LedgerError(f"台账数据库无法打开：{self.path}（{exc}）。请检查该文件是否损坏。") from None

    # -- lifecycle

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._conn:
            yield self._conn

    def _migrate(self) -> None:
        with self._tx() as conn:
            conn.executescript(_SCHEMA)
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                conn.execute("INSERT INTO schema_version(version) VALUES (?)", (SCHEMA_VERSION,))
            elif row["version"] > SCHEMA_VERSION:
                raise LedgerError(
                    f"台账 {self.path} 由更新版本的 perfsheet 创建（结构版本 {row['version']}），请升级 perfsheet。"
                )

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
    ) -> bool:
        """Record a file just archived and where it was seen; return True when the file is new.

        The same bytes seen again add a sighting, not an entry. When seen in several messages the entry
        describes the earliest one, so the ledger does not depend on the order sources are read in.
        """
        now = _now_iso()
        received = sighting.received.isoformat() if sighting.received else None
        received_utc = _received_utc(sighting.received)
        with self._tx() as conn:
            existing = conn.execute("SELECT received_utc FROM files WHERE sha256 = ?", (digest,)).fetchone()
            is_new = existing is None
            if is_new:
                seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM files").fetchone()[0]
                conn.execute(
                    "INSERT INTO files (sha256, seq, archive_path, size, raw_name, decoded_name, safe_name,"
                    " sender, subject, message_id, received, received_utc, source, period, status,"
                    " collected_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        digest,
                        seq,
                        self.relpath(archived),
                        size,
                        sighting.raw_name,
                        sighting.decoded_name,
                        sighting.safe_name,
                        sighting.sender,
                        sighting.subject,
                        sighting.message_id,
                        received,
                        received_utc,
                        sighting.source,
                        str(period),
                        PENDING,
                        now,
                    ),
                )
            elif received_utc is not None and (
                existing["received_utc"] is None or received_utc < existing["received_utc"]
            ):
                conn.execute(
                    "UPDATE files SET raw_name=?, decoded_name=?, safe_name=?, sender=?, subject=?,"
                    " message_id=?, received=?, received_utc=?, source=? WHERE sha256=?",
                    (
                        sighting.raw_name,
                        sighting.decoded_name,
                        sighting.safe_name,
                        sighting.sender,
                        sighting.subject,
                        sighting.message_id,
                        received,
                        received_utc,
                        sighting.source,
                        digest,
                    ),
                )
            conn.execute(
                "INSERT OR IGNORE INTO sightings (sha256, source, message_id, raw_name, decoded_name,"
                " safe_name, sender, subject, received, seen_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    digest,
                    sighting.source,
                    sighting.message_id,
                    sighting.raw_name,
                    sighting.decoded_name,
                    sighting.safe_name,
                    sighting.sender,
                    sighting.subject,
                    received,
                    now,
                ),
            )
        return is_new

    def set_result(
        self,
        digest: str,
        *,
        status: str,
        project: str | None,
        period: Period | str,
        issues: Sequence[Issue],
        inbox_path: Path | None = None,
    ) -> None:
        """Store what ingest made of a file and recompute which return counts for its period."""
        if status not in ROW_STATUSES:
            raise ValueError(f"unknown ledger status {status!r}")
        errors = sum(1 for i in issues if i.severity is Severity.ERROR)
        warnings = sum(1 for i in issues if i.severity is Severity.WARNING)
        issues_json = json.dumps([i.to_dict() for i in issues], ensure_ascii=False)
        inbox_rel = self.relpath(inbox_path) if inbox_path is not None else None
        with self._tx() as conn:
            old = conn.execute("SELECT period FROM files WHERE sha256 = ?", (digest,)).fetchone()
            if old is None:
                raise KeyError(digest)
            conn.execute(
                "UPDATE files SET status=?, project=?, period=?, errors=?, warnings=?, issues_json=?,"
                " inbox_path=COALESCE(?, inbox_path) WHERE sha256=?",
                (status, project, str(period), errors, warnings, issues_json, inbox_rel, digest),
            )
            self._recompute(conn, {old["period"], str(period)})

    def recompute(self, periods: Iterable[str] | None = None) -> None:
        """Recompute the counting/superseded flags (for some periods, or all)."""
        with self._tx() as conn:
            if periods is None:
                periods = [r[0] for r in conn.execute("SELECT DISTINCT period FROM files")]
            self._recompute(conn, set(periods))

    def _recompute(self, conn: sqlite3.Connection, periods: set[str]) -> None:
        for period in periods:
            rows = [
                FileRow.from_sql(r) for r in conn.execute("SELECT * FROM files WHERE period = ?", (period,))
            ]
            by_project: dict[str, list[FileRow]] = {}
            for row in rows:
                if row.project:
                    by_project.setdefault(row.project, []).append(row)
            flags: dict[str, tuple[int, int]] = {row.sha256: (0, 0) for row in rows}
            for project_rows in by_project.values():
                project_rows.sort(key=FileRow.order_key)
                valid = [r for r in project_rows if r.status == VALID]
                if not valid:
                    continue
                winner = valid[-1]
                for r in project_rows:
                    if r is winner:
                        flags[r.sha256] = (1, 0)
                    elif r.order_key() < winner.order_key():
                        flags[r.sha256] = (0, 1)
            for digest, (counting, superseded) in flags.items():
                conn.execute(
                    "UPDATE files SET counting=?, superseded=? WHERE sha256=? AND (counting<>? OR superseded<>?)",
                    (counting, superseded, digest, counting, superseded),
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

    def pending(self) -> list[FileRow]:
        cur = self._conn.execute("SELECT * FROM files WHERE status = ? ORDER BY seq", (PENDING,))
        return [FileRow.from_sql(r) for r in cur]

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


# ---------------------------------------------------------------------------------------------- status


def deadline_for(period: Period, deadline_day: int) -> dt.date:
    """Returns for ``period`` are due on ``deadline_day`` of the following month (clamped to its end)."""
    nxt = Period(period.year + 1, 1) if period.month == 12 else Period(period.year, period.month + 1)
    return nxt.first_day.replace(day=max(1, min(deadline_day, nxt.last_day.day)))


STATUS_LABELS = {"missing": "未报送", "invalid": "有错误", "valid": "已通过"}


@dataclass(frozen=True, slots=True)
class ProjectStatus:
    """Where one project stands for a period."""

    code: str
    name: str
    section: str
    chief: str
    email: str
    status: str  # missing | invalid | valid
    late: bool  # received after the deadline; for a missing return: the deadline has passed
    sha256: str | None = None
    file: str | None = None  # the name the sender gave the file
    sender: str | None = None
    received: dt.datetime | None = None
    errors: int = 0
    warnings: int = 0
    issues: tuple[dict[str, str], ...] = ()
    returns: int = 0  # how many distinct files were received for this project and period

    @property
    def label(self) -> str:
        text = STATUS_LABELS[self.status]
        return f"{text}（逾期）" if self.late else text

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "section": self.section,
            "chief": self.chief,
            "status": self.status,
            "late": self.late,
            "sha256": self.sha256,
            "file": self.file,
            "received": self.received.isoformat() if self.received else None,
            "errors": self.errors,
            "warnings": self.warnings,
        }


@dataclass(frozen=True, slots=True)
class PeriodStatus:
    """Status of every project of the department for one period."""

    period: Period
    deadline: dt.date
    projects: tuple[ProjectStatus, ...]
    unassigned: tuple[FileRow, ...] = field(default=())  # rejected or unknown-project files of the period

    def count(self, status: str) -> int:
        return sum(1 for p in self.projects if p.status == status)

    @property
    def complete(self) -> bool:
        return all(p.status == "valid" for p in self.projects)

    def to_json(self) -> dict[str, object]:
        return {
            "period": str(self.period),
            "deadline": self.deadline.isoformat(),
            "projects": [p.to_json() for p in self.projects],
        }


def compute_period_status(
    department: Department,
    rows: Sequence[FileRow],
    period: Period,
    *,
    deadline_day: int = 10,
    today: dt.date | None = None,
) -> PeriodStatus:
    """Status per project from ledger rows of one period (pure: no I/O, testable on hand-made rows)."""
    deadline = deadline_for(period, deadline_day)
    today = today or dt.date.today()
    rows = [r for r in rows if r.period == str(period)]
    known = {p.code for p in department.projects}
    projects: list[ProjectStatus] = []
    for project in department.projects:
        section = department.section(project.section) if project.section else None
        mine = sorted((r for r in rows if r.project == project.code), key=FileRow.order_key)
        counting = next((r for r in mine if r.counting), None)
        if counting is None:
            valid = [r for r in mine if r.status == VALID]
            counting = valid[-1] if valid else None
        shown = counting
        if shown is None:
            judged = [r for r in mine if r.status == INVALID]
            shown = judged[-1] if judged else None
        chief = section.chief if section else ""
        email = section.email if section else ""
        if shown is None:
            projects.append(
                ProjectStatus(
                    code=project.code,
                    name=project.name,
                    section=project.section or "",
                    chief=chief,
                    email=email,
                    status="missing",
                    late=today > deadline,
                )
            )
            continue
        projects.append(
            ProjectStatus(
                code=project.code,
                name=project.name,
                section=project.section or "",
                chief=chief,
                email=email,
                status=VALID if shown.status == VALID else INVALID,
                late=shown.received is not None and shown.received.date() > deadline,
                sha256=shown.sha256,
                file=shown.name,
                sender=shown.sender,
                received=shown.received,
                errors=shown.errors,
                warnings=shown.warnings,
                issues=shown.issues,
                returns=len(mine),
            )
        )
    unassigned = tuple(r for r in rows if r.project not in known and r.status != PENDING)
    return PeriodStatus(period=period, deadline=deadline, projects=tuple(projects), unassigned=unassigned)


def open_ledger(ws: Workspace) -> Ledger:
    """The ledger of a workspace (created on first use)."""
    return Ledger(ws.ledger_path, root=ws.root)


def period_status(ws: Workspace, period: Period, *, today: dt.date | None = None) -> PeriodStatus:
    """Status per project of a workspace for one period (``perfsheet status``)."""
    with open_ledger(ws) as ledger:
        rows = ledger.rows(period)
    return compute_period_status(
        ws.department, rows, period, deadline_day=ws.config.deadline_day, today=today
    )


status = period_status


def counting_submissions(ws: Workspace, period: Period) -> list[Submission]:
    """The returns that count for ``period``, re-read from the archive (input of the consolidation)."""
    from .ingest import read_submission

    with open_ledger(ws) as ledger:
        counting = ledger.counting(period)
        paths = {code: ledger.abspath(row.archive_path) for code, row in counting.items()}
    out: list[Submission] = []
    department = ws.department
    for project in department.projects:
        path = paths.get(project.code)
        if path is None:
            continue
        # The workspace's thresholds, as at collect: they decide whether a red light needs an explanation.
        submission, _issues = read_submission(
            path, department=department, period=period, thresholds=ws.config.thresholds
        )
        if submission is not None:
            out.append(submission)
    return out


def periods_with_returns(ws: Workspace) -> list[Period]:
    """Every period for which the ledger holds at least one return of a known project."""
    if not ws.ledger_path.exists():
        return []
    with open_ledger(ws) as ledger:
        return ledger.periods()


def collect(ws: Workspace, period: Period, sources: Sequence[str], **options: Any) -> CollectResult:
    """Shortcut for :func:`perfsheet.collect.collect` (the orchestration lives there)."""
    from .collect import collect as _collect

    return _collect(ws, period, sources, **options)
