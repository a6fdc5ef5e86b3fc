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
from typing import NamedTuple

from perfsheet.errors import PerfsheetError
from perfsheet.form.issues import rejection_issue
from perfsheet.fsutil import link_or_copy_new, open_no_follow, sync_dirs
from perfsheet.ingest.batch import ingest_many, open_pool
from perfsheet.ingest.check import IngestResult
from perfsheet.ingest.key import IngestKeys
from perfsheet.ledger.archive import archive_bytes, archive_ext, archive_many, remove_stale_temps
from perfsheet.ledger.store import (
    ATTACHMENT,
    MESSAGE,
    PENDING,
    REJECTED,
    Arrival,
    FileRow,
    IngestRecord,
    Ledger,
    Sighting,
    Standing,
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

# Fault injection for the kill test: the process exits hard right after the batch holding the N-th
# file is archived, before the ledger knows about it — the worst moment to be interrupted.
CRASH_ENV = "PERFSHEET_TEST_CRASH_AFTER"
# … and inside the second batch: "written" (files durable under temp names), "linked" (named, not recorded).
CRASH_STAGE_ENV = "PERFSHEET_TEST_CRASH_IN_BATCH"

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
    found: list[_Found] = []
    with _collect_lock(ws), open_ledger(ws) as ledger:
        # Under the lock no other collect is writing, so any temp file is a leftover of a killed run.
        remove_stale_temps(ws.archive_dir)
        remove_stale_temps(ws.inside(ws.root / "inbox"))
        # With mark_seen a message is marked read as soon as the next one is taken: it must be archived
        # and recorded by then, so each message is its own batch.
        batch = _ArchiveBatch(ws, ledger, period, found, grow=not mark_seen)
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
                    batch.flush()
                    result.unreadable.append(_keep_unreadable(ws, ledger, item, period))
                    continue
                result.skipped.extend(_skipped(item, name) for name in item.skipped)
                for attachment in item.attachments:
                    if not is_spreadsheet(attachment):
                        result.skipped.append(_skipped(item, attachment.name))
                        continue
                    batch.add(item, attachment)
                if batch.full():
                    batch.flush()
        batch.flush()
        # Ingest what is new, left pending or stale, and store the results together.
        _refresh(ws, ledger, result, progress)
        standing = ledger.standings()
        result.files.extend(_collected(ledger, standing[f.digest], f) for f in found)
    return result


class _Found(NamedTuple):
    """An attachment this collect archived, without its bytes (10,000 returns must not stay in memory)."""

    digest: str
    name: str
    safe_name: str
    sender: str
    subject: str
    received: dt.datetime | None
    source: str
    new: bool


# Files archived and recorded together: the first batches are small, so a clerk sees the first files
# recorded at once (and a short collect commits early); they double up to these bounds, where one fsync
# pass and one transaction cost next to nothing per file.
BATCH_FILES = 256
BATCH_BYTES = 64 * 1024 * 1024


class _ArchiveBatch:
    """Attachments waiting to be archived (durably, :func:`perfsheet.ledger.archive.archive_many`) and
    then recorded (:meth:`Ledger.record_many`). A kill between the two leaves archived files that
    no row names yet; the next collect of the same sources finds them in the archive and records them."""

    def __init__(
        self,
        ws: Workspace,
        ledger: Ledger,
        period: Period,
        found: list[_Found],
        *,
        grow: bool,
    ) -> None:
        self.ws, self.ledger, self.period, self.found = ws, ledger, period, found
        self.pending: list[tuple[MailItem, Attachment]] = []
        self.size = 0
        self.limit = 1
        self.grow = grow
        self.crash_after = _crash_after()
        self.crash_stage = os.environ.get(CRASH_STAGE_ENV)
        self.batches = 0

    def add(self, item: MailItem, attachment: Attachment) -> None:
        self.pending.append((item, attachment))
        self.size += len(attachment.content)

    def full(self) -> bool:
        return len(self.pending) >= self.limit or self.size >= BATCH_BYTES

    def flush(self) -> None:
        if not self.pending:
            return
        pending, self.pending, self.size = self.pending, [], 0
        self.batches += 1
        archived = archive_many(
            self.ws.archive_dir,
            [(a.content, archive_ext(a.safe_name or a.name)) for _item, a in pending],
            root=self.ws.root,
            on_stage=self._stage,
        )
        done = len(self.found)
        if self.crash_after is not None and done < self.crash_after <= done + len(pending):
            os._exit(99)  # the kill test: archived for good, and the ledger does not know it yet
        arrivals = [
            Arrival(digest, path, len(attachment.content), _sighting(item, attachment))
            for (digest, path), (item, attachment) in zip(archived, pending, strict=True)
        ]
        fresh = self.ledger.record_many(arrivals, period=self.period)
        for (digest, _path), (item, attachment), is_new in zip(archived, pending, fresh, strict=True):
            self.found.append(
                _Found(digest, attachment.name, attachment.safe_name, item.sender or "", item.subject or "",
                       item.received, item.source, is_new)
            )
        if self.grow:
            self.limit = min(self.limit * 2, BATCH_FILES)

    def _stage(self, stage: str) -> None:
        # The kill test inside a batch: in the second batch (two files), at the named stage.
        if self.crash_stage == stage and self.batches == 2:
            os._exit(98)


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


def _sighting(item: MailItem, attachment: Attachment) -> Sighting:
    """Where an attachment was seen, as the ledger records it."""
    return Sighting(
        source=item.source,
        message_id=item.message_id or "",
        sender=item.sender or "",
        subject=item.subject or "",
        received=item.received,
        raw_name=attachment.raw_name,
        decoded_name=attachment.name,
        safe_name=attachment.safe_name,
    )


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


# Rows ingested between two transactions of results: a kill loses at most one chunk of work.
INGEST_CHUNK = 256


def _refresh(ws: Workspace, ledger: Ledger, result: CollectResult, progress: ProgressCallback | None) -> None:
    keys = IngestKeys(ws.department, ws.config.thresholds, ws.config.monitoring)
    todo = [r for r in ledger.rows() if _needs_ingest(r, keys)]
    context = (ws.department, ws.config.thresholds, ws.config.monitoring)
    jobs = [ledger.abspath(row.archive_path) for row in todo]
    pool = open_pool(len(todo), *context)
    inbox = _Inbox(ws)
    records: list[IngestRecord] = []
    try:
        outcomes = ingest_many(jobs, *context, pool=pool)
        for done, (row, path, outcome) in enumerate(zip(todo, jobs, outcomes, strict=True), start=1):
            if isinstance(outcome, str):  # a bug in ingest must not stop the other files; the row stays
                result.failures.append(
                    f"{row.name}：程序内部错误（{outcome}）。文件已原样归档，下次运行时会重试；"
                    "如反复出现，请把这条信息发给维护人员。"
                )
            else:
                record = _ingest_record(row, path, keys, outcome, inbox)
                records.append(record)
                if row.status != PENDING:
                    result.reingested += 1
                    # Its feedback workbook showed the old result: the next run makes it afresh.
                    for period in {Period.parse(row.period), record.period}:
                        for stale in ws.feedback_files_of(period, row.sha256):
                            stale.unlink(missing_ok=True)
            if progress is not None:
                progress(INGEST_STEP, done, len(todo))
            if len(records) >= INGEST_CHUNK or done == len(todo):
                _store(ledger, records)
                records = []
    finally:
        if pool is not None:
            pool.close()


def _store(ledger: Ledger, records: list[IngestRecord]) -> None:
    # The inbox names the rows will point to are made durable before the rows are stored.
    sync_dirs(r.inbox_path.parent for r in records if r.inbox_path is not None)
    ledger.store_results(records)


class _Inbox:
    """The inbox folders of one refresh, each checked (confined, made) once."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.folders: dict[Period, Path] = {}
        self.checked: set[Path] = set()

    def folder(self, period: Period) -> Path:
        found = self.folders.get(period)
        if found is None:
            found = self.folders[period] = self.ws.inbox(period)
        return found


def _bind(progress: ProgressCallback | None, source: str) -> Callable[[int, int | None], None] | None:
    if progress is None:
        return None

    def report(done: int, total: int | None) -> None:
        progress(source, done, total)

    return report


def _collected(ledger: Ledger, row: Standing, found: _Found) -> CollectedFile:
    return CollectedFile(
        sha256=found.digest,
        name=found.name,
        safe_name=found.safe_name,
        sender=found.sender,
        subject=found.subject,
        received=found.received,
        source=found.source,
        status=row.status,
        project=row.project,
        period=row.period,
        errors=row.errors,
        warnings=row.warnings,
        new=found.new,
        archive_path=ledger.abspath(row.archive_path),
        inbox_path=ledger.abspath(row.inbox_path) if row.inbox_path else None,
    )


def _ingest_record(row: FileRow, path: Path, keys: IngestKeys, checked: IngestResult, inbox: _Inbox) -> IngestRecord:
    """What the ledger stores for a file ingest read; its readable copy is put in the inbox of its period."""
    status, project, file_period = _outcome(checked.submission, checked.issues, Period.parse(row.period))
    inbox_path = _inbox_copy(inbox, file_period, row, path)
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


def _inbox_copy(inbox: _Inbox, period: Period, row: FileRow, archived: Path) -> Path:
    """A readable copy under ``inbox/<period>/``; never overwrites, a name collision gets `` (2)``.

    The copy is a hard link to the archived file where the file system allows (no bytes written; the
    archived file is read-only, so neither name can be changed in place), else a copy."""
    ws = inbox.ws
    if row.inbox_path:
        existing = ws.root / row.inbox_path
        if _same_content(existing, archived):
            return existing
    folder = inbox.folder(period)
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
        if link_or_copy_new(archived, candidate, root=ws.root, checked=inbox.checked):
            return candidate
        if _same_content(candidate, archived):  # taken: by this very file (an earlier run), or another
            return candidate
    raise RuntimeError(f"no free inbox name for {name}")


def _same_content(path: Path, archived: Path) -> bool:
    """Whether ``path`` is a file holding the archived bytes (the very same file, when hard-linked)."""
    try:
        info, original = path.stat(), archived.stat()
    except OSError:
        return False
    if not path.is_file() or info.st_size != original.st_size:
        return False
    if (info.st_dev, info.st_ino) == (original.st_dev, original.st_ino):
        return True
    return path.read_bytes() == archived.read_bytes()
