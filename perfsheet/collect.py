"""Collect: mail sources → archive → ledger → ingest.

For every spreadsheet attachment of every message a source yields, the bytes are archived under their
sha256 first, then recorded in the ledger as ``pending``. Then every row that is pending or whose
ingest key is stale (the goals, the thresholds or perfsheet changed since it was read) is ingested
from the archive, a readable copy put in ``inbox/<period>/``, and all the results stored in one
transaction (:meth:`perfsheet.ledger.store.Ledger.store_results`). Each step is idempotent, so an
interrupted collect re-run over the same sources ends in the same state.
"""

from __future__ import annotations

import datetime as dt
import os
import ssl
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from perfsheet.errors import PerfsheetError
from perfsheet.form.issues import rejection_issue
from perfsheet.fsutil import open_no_follow, write_new_bytes
from perfsheet.ingest.check import read_return
from perfsheet.ingest.key import IngestKeys
from perfsheet.ledger.archive import archive_bytes, archive_ext, remove_stale_temps
from perfsheet.ledger.store import (
    ATTACHMENT,
    MESSAGE,
    PENDING,
    REJECTED,
    FileRow,
    IngestRecord,
    Ledger,
    Sighting,
)
from perfsheet.mail.parse import Attachment, MailItem, UnreadableMessage
from perfsheet.mail.sources import iter_source
from perfsheet.model import Issue, Period, Severity, Submission
from perfsheet.workspace import Workspace, open_ledger

__all__ = [
    "INGEST_STEP",
    "SPREADSHEET_EXTS",
    "CollectResult",
    "CollectedFile",
    "SkippedAttachment",
    "UnreadableEntry",
    "collect",
    "refresh_ledger",
    "stale_rows",
]

# Extensions ingest can read; an attachment with one of these (or with spreadsheet bytes and a name
# that says nothing) is treated as a return candidate even when the mail reader's content type says otherwise.
SPREADSHEET_EXTS = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".et"})
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_UNTELLING_EXTS = frozenset({".bin", ".dat", ".tmp"})

# Fault injection for the kill test: the process exits hard right after archiving the N-th file,
# before the ledger knows about it — the worst moment to be interrupted.
CRASH_ENV = "PERFSHEET_TEST_CRASH_AFTER"

# progress(source, messages_done, messages_total or None when the source cannot tell in advance)
ProgressCallback = Callable[[str, int, "int | None"], None]


@dataclass(frozen=True, slots=True)
class CollectedFile:
    """A spreadsheet attachment found by this collect and what the ledger holds for it."""

    sha256: str
    name: str  # the decoded name a person sees
    safe_name: str
    sender: str
    subject: str
    received: dt.datetime | None
    source: str
    status: str  # valid | invalid | rejected | pending (ingest failed, retried next time)
    project: str | None
    period: str
    errors: int
    warnings: int
    new: bool  # first time this content was collected
    archive_path: Path
    inbox_path: Path | None

    def to_json(self) -> dict[str, object]:
        return {
            "sha256": self.sha256,
            "name": self.name,
            "safe_name": self.safe_name,
            "sender": self.sender,
            "subject": self.subject,
            "received": self.received.isoformat() if self.received else None,
            "source": self.source,
            "status": self.status,
            "project": self.project,
            "period": self.period,
            "errors": self.errors,
            "warnings": self.warnings,
            "new": self.new,
            "archive_path": str(self.archive_path),
            "inbox_path": str(self.inbox_path) if self.inbox_path else None,
        }


@dataclass(frozen=True, slots=True)
class SkippedAttachment:
    """An attachment (or part) that is not a spreadsheet: listed, not ingested."""

    source: str
    subject: str
    sender: str
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class UnreadableEntry:
    """A message of a source that could not be read as mail; its bytes are archived when it had any."""

    source: str
    reason: str
    sha256: str | None  # of the archived raw bytes; None when there were none to keep

    def to_json(self) -> dict[str, object]:
        return {"source": self.source, "reason": self.reason, "sha256": self.sha256}


@dataclass(slots=True)
class CollectResult:
    """What one collect run found."""

    period: Period
    messages: int = 0
    files: list[CollectedFile] = field(default_factory=list)
    skipped: list[SkippedAttachment] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # files ingest could not process (bugs), kept pending
    reingested: int = 0  # rows read again because their ingest key was stale (goals or thresholds edited)
    unreadable: list[UnreadableEntry] = field(default_factory=list)  # messages that are not readable mail

    @property
    def new_files(self) -> list[CollectedFile]:
        return [f for f in self.files if f.new]

    def to_json(self) -> dict[str, object]:
        return {
            "period": str(self.period),
            "messages": self.messages,
            "files": [f.to_json() for f in self.files],
            "skipped": [
                {
                    "source": s.source,
                    "subject": s.subject,
                    "sender": s.sender,
                    "name": s.name,
                    "reason": s.reason,
                }
                for s in self.skipped
            ],
            "failures": list(self.failures),
            "reingested": self.reingested,
            "unreadable": [u.to_json() for u in self.unreadable],
        }


def is_spreadsheet(attachment: Attachment) -> bool:
    """Whether an attachment is a return candidate: by the mail reader's judgement, its extension or its bytes."""
    if attachment.is_spreadsheet:
        return True
    ext = archive_ext(attachment.name or attachment.raw_name)
    if ext in SPREADSHEET_EXTS:
        return True
    # A return renamed to something meaningless (".dat", no extension) is still found by its bytes.
    if ext in _UNTELLING_EXTS:
        head = attachment.content[:8]
        return head.startswith(_ZIP_MAGIC) or head == _OLE_MAGIC
    return False


LOCK_NAME = ".collect.lock"


@contextmanager
def _collect_lock(ws: Workspace) -> Iterator[None]:
    """One collect per workspace at a time. An OS file lock, so a killed process never leaves it held."""
    # Never through a planted (even dangling) link: O_NOFOLLOW, inside the workspace.
    with os.fdopen(open_no_follow(ws.root, ws.root / LOCK_NAME, os.O_RDWR), "a+b") as handle:
        try:
            if sys.platform == "win32":
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise PerfsheetError(
                f"工作区 {ws.root} 中已有另一个收集（collect）正在运行，请等它结束后再试。"
            ) from None
        yield


def _crash_after() -> int | None:
    value = os.environ.get(CRASH_ENV)
    return int(value) if value and value.isdigit() else None


def collect(
    ws: Workspace,
    period: Period,
    sources: Sequence[str],
    *,
    since: dt.date | None = None,
    unseen_only: bool = False,
    mark_seen: bool = False,
    password: str | None = None,
    progress: ProgressCallback | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> CollectResult:
    """Collect returns for ``period`` from mail sources into the workspace's archive, ledger and inbox.

    ``ssl_context`` is for IMAP servers with a private CA (tests; an office's own server), the system
    trust store otherwise. Raises :class:`perfsheet.errors.SourceError` (via perfsheet.mail) for a source that cannot be read;
    everything archived before that point stays archived and recorded.
    """
    result = CollectResult(period=period)
    crash_after = _crash_after()
    found: list[tuple[str, Attachment, MailItem, bool]] = []
    with _collect_lock(ws), open_ledger(ws) as ledger:
        # Under the lock no other collect is writing, so any temp file is a leftover of a killed run.
        remove_stale_temps(ws.archive_dir)
        remove_stale_temps(ws.inside(ws.root / "inbox"))
        for source in sources:
            items = iter_source(
                source,
                since=since,
                unseen_only=unseen_only,
                mark_seen=mark_seen,
                password=password,
                progress=_bind(progress, source),
                ssl_context=ssl_context,
            )
            for item in items:
                result.messages += 1
                if isinstance(item, UnreadableMessage):
                    result.unreadable.append(_keep_unreadable(ws, ledger, item, period))
                    continue
                result.skipped.extend(_skipped(item, name) for name in item.skipped)
                for attachment in item.attachments:
                    if not is_spreadsheet(attachment):
                        result.skipped.append(_skipped(item, attachment.name))
                        continue
                    # Archive before anything else: from here on nothing can be lost.
                    digest, archive_path = archive_bytes(
                        ws.archive_dir,
                        attachment.content,
                        archive_ext(attachment.safe_name or attachment.name),
                        root=ws.root,
                    )
                    if crash_after is not None and len(found) + 1 >= crash_after:
                        os._exit(99)  # the kill test: archived, and the ledger does not know it yet
                    is_new = _record(ledger, digest, archive_path, item, attachment, period)
                    found.append((digest, attachment, item, is_new))
        # Ingest what is new, left pending or stale, and store the results together.
        _refresh(ws, ledger, result, progress)
        for digest, attachment, item, is_new in found:
            row = ledger.get(digest)
            assert row is not None
            result.files.append(_collected(ledger, row, attachment, item, is_new))
    return result


def _needs_ingest(row: FileRow, keys: IngestKeys) -> bool:
    """Pending, or read under other goals, thresholds or perfsheet (never a row of unreadable mail)."""
    return row.kind == ATTACHMENT and (row.status == PENDING or row.ingest_key != keys(row.project))


def _keep_unreadable(ws: Workspace, ledger: Ledger, item: UnreadableMessage, period: Period) -> UnreadableEntry:
    """Archive a message that is not readable mail and record it as rejected, so nothing is lost and
    status lists it among the files of no project."""
    if not item.raw:
        return UnreadableEntry(item.source, item.reason, None)
    digest, archive_path = archive_bytes(ws.archive_dir, item.raw, ".eml", root=ws.root)
    label = f"无法读取的邮件（{Path(item.source).name}）"
    sighting = Sighting(source=item.source, decoded_name=label, safe_name=f"{digest[:12]}.eml")
    ledger.record(digest, archive_path, len(item.raw), sighting, period=period, kind=MESSAGE)
    issue = rejection_issue(
        "unreadable-message",
        f"这封邮件无法读取：{item.reason}。已原样归档；请在邮件客户端中打开查看，必要时请发件人重新发送。",
    )
    ledger.store_results([IngestRecord(digest, REJECTED, None, period, (issue,), None, ingest_key=MESSAGE)])
    return UnreadableEntry(item.source, item.reason, digest)


def _skipped(item: MailItem, name: str) -> SkippedAttachment:
    return SkippedAttachment(item.source, item.subject, item.sender, name, "不是电子表格，已跳过")


def _record(
    ledger: Ledger, digest: str, archive_path: Path, item: MailItem, attachment: Attachment, period: Period
) -> bool:
    """Record an archived attachment (pending when new) with where it was seen; True when new."""
    sighting = Sighting(
        source=item.source,
        message_id=item.message_id or "",
        sender=item.sender or "",
        subject=item.subject or "",
        received=item.received,
        raw_name=attachment.raw_name,
        decoded_name=attachment.name,
        safe_name=attachment.safe_name,
    )
    return ledger.record(digest, archive_path, len(attachment.content), sighting, period=period)


def refresh_ledger(ws: Workspace, period: Period, *, progress: ProgressCallback | None = None) -> CollectResult:
    """Re-ingest, from the archive, every ledger row that is pending or whose ingest key is stale.

    ``perfsheet run`` without mail sources calls this, so an edit of the goals or of the thresholds in
    ``perfsheet.yaml`` reaches status, summary and narrative. Nothing is read from any mail source;
    the result (for ``period``, the month being run) has no messages and no files, only what was
    re-ingested and what failed.
    """
    result = CollectResult(period=period)
    with _collect_lock(ws), open_ledger(ws) as ledger:
        remove_stale_temps(ws.inside(ws.root / "inbox"))
        _refresh(ws, ledger, result, progress)
    return result


INGEST_STEP = "校验回执"


def stale_rows(ws: Workspace) -> int:
    """How many ledger rows ``perfsheet run`` or ``collect`` would ingest again (pending, or read under
    other goals, thresholds or perfsheet version); status and consolidate say so instead of guessing."""
    if not ws.ledger_path.exists():
        return 0
    keys = IngestKeys(ws.department, ws.config.thresholds, ws.config.monitoring)
    with open_ledger(ws) as ledger:
        return sum(1 for r in ledger.rows() if _needs_ingest(r, keys))


def _refresh(ws: Workspace, ledger: Ledger, result: CollectResult, progress: ProgressCallback | None) -> None:
    keys = IngestKeys(ws.department, ws.config.thresholds, ws.config.monitoring)
    todo = [r for r in ledger.rows() if _needs_ingest(r, keys)]
    records: list[IngestRecord] = []
    for done, row in enumerate(todo, start=1):
        record = _ingest_row(ws, ledger, row, keys, result)
        if record is not None:
            records.append(record)
            if row.status != PENDING:
                result.reingested += 1
                # Its feedback workbook showed the old result: the next run makes it afresh.
                for period in {Period.parse(row.period), record.period}:
                    for stale in ws.feedback_files_of(period, row.sha256):
                        stale.unlink(missing_ok=True)
        if progress is not None:
            progress(INGEST_STEP, done, len(todo))
    ledger.store_results(records)


def _bind(progress: ProgressCallback | None, source: str) -> Callable[[int, int | None], None] | None:
    if progress is None:
        return None

    def report(done: int, total: int | None) -> None:
        progress(source, done, total)

    return report


def _collected(
    ledger: Ledger, row: FileRow, attachment: Attachment, item: MailItem, is_new: bool
) -> CollectedFile:
    return CollectedFile(
        sha256=row.sha256,
        name=attachment.name,
        safe_name=attachment.safe_name,
        sender=item.sender or "",
        subject=item.subject or "",
        received=item.received,
        source=item.source,
        status=row.status,
        project=row.project,
        period=row.period,
        errors=row.errors,
        warnings=row.warnings,
        new=is_new,
        archive_path=ledger.abspath(row.archive_path),
        inbox_path=ledger.abspath(row.inbox_path) if row.inbox_path else None,
    )


def _ingest_row(
    ws: Workspace, ledger: Ledger, row: FileRow, keys: IngestKeys, result: CollectResult
) -> IngestRecord | None:
    """Read an archived file and copy it to the inbox of its period; None when ingest failed (a bug)."""
    path = ledger.abspath(row.archive_path)
    requested = Period.parse(row.period)
    department, thresholds, rules = ws.department, ws.config.thresholds, ws.config.monitoring
    try:
        checked = read_return(path, department=department, period=requested, thresholds=thresholds, rules=rules)
        if checked.submission is not None and checked.submission.period != requested:
            # A return for another month is recorded under its own period and checked against it.
            checked = read_return(
                path, department=department, period=checked.submission.period, thresholds=thresholds, rules=rules
            )
    except Exception as exc:  # a bug in ingest must not stop the other files; the row stays as it was
        result.failures.append(
            f"{row.name}：程序内部错误（{type(exc).__name__}: {exc}）。文件已原样归档，下次运行时会重试；"
            "如反复出现，请把这条信息发给维护人员。"
        )
        return None
    status, project, file_period = _outcome(checked.submission, checked.issues, requested)
    inbox_path = _inbox_copy(ws, file_period, row, path.read_bytes())
    flagged = {issue.field for issue in checked.issues if issue.field}
    return IngestRecord(
        sha256=row.sha256,
        status=status,
        project=project,
        period=file_period,
        issues=tuple(checked.issues),
        submission=checked.submission,
        ingest_key=keys(project),
        raw_values={name: value for name, value in checked.raw_values.items() if name in flagged},
        inbox_path=inbox_path,
    )


def _outcome(
    submission: Submission | None, issues: Sequence[Issue], requested: Period
) -> tuple[str, str | None, Period]:
    if submission is None:
        return REJECTED, None, requested
    has_errors = any(i.severity is Severity.ERROR for i in issues)
    status = "invalid" if has_errors or str(submission.status) == "invalid" else str(submission.status)
    return status, submission.project_code or None, submission.period


def _inbox_copy(ws: Workspace, period: Period, row: FileRow, data: bytes) -> Path:
    """A readable copy under ``inbox/<period>/``; never overwrites, a name collision gets `` (2)``."""
    if row.inbox_path:
        existing = ws.root / row.inbox_path
        if existing.is_file() and existing.read_bytes() == data:
            return existing
    folder = ws.inbox(period)
    # safe_name comes from the mail reader already sanitised; take its last part anyway, belt and braces.
    name = Path((row.safe_name or row.decoded_name).replace("\\", "/")).name.strip(" .")
    if not name:
        name = f"{row.sha256[:12]}{archive_ext(row.raw_name)}"
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    suffix = f".{ext}" if ext else ""
    for n in range(1, 10_000):
        candidate = folder / (name if n == 1 else f"{stem} ({n}){suffix}")
        if ws.inside(candidate).exists():
            if candidate.is_file() and candidate.read_bytes() == data:
                return candidate
            continue
        if write_new_bytes(candidate, data, root=ws.root):
            return candidate
    raise RuntimeError(f"no free inbox name for {name}")
