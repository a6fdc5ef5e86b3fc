"""Checking many returns at once: ``perfsheet check`` (ingest each file, and write a feedback workbook
for every return that is invalid or has warnings) and collect's ingest of many archived files, in
worker processes (one per core) when there are many (:func:`ingest_many`)."""

from __future__ import annotations

import os
import pickle
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING

from perfsheet.ingest.check import IngestResult, default_department, read_return
from perfsheet.ingest.reader import DEFAULT_MAX_BYTES
from perfsheet.model import Department, Period
from perfsheet.rules import MonitoringRules, Thresholds

if TYPE_CHECKING:  # a pool of workers is started by collect only: `check one.xlsx` needs no subprocess
    import subprocess

__all__ = ["CheckedReturn", "IngestPool", "check_returns", "feedback_filename", "ingest_archived", "ingest_many"]


@dataclass(frozen=True, slots=True)
class CheckedReturn:
    """One file checked by :func:`check_returns`: where it is, what ingest found, its feedback file."""

    path: Path
    result: IngestResult
    feedback: Path | None = None


def feedback_filename(path: Path) -> str:
    """``2025-06_xx.xlsx`` → ``2025-06_xx_问题反馈.xlsx`` (only the file's own name, never its folders)."""
    return f"{Path(path.name).stem}_问题反馈.xlsx"


def check_returns(
    paths: Iterable[str | Path],
    *,
    department: Department | None = None,
    period: Period | None = None,
    thresholds: Thresholds | None = None,
    rules: MonitoringRules | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    feedback_dir: str | Path | None = None,
) -> list[CheckedReturn]:
    """Check many returns; with ``feedback_dir``, write a feedback workbook for each return that is
    invalid or has warnings (rejected files get none: there is nothing to fill back in)."""
    dept = department if department is not None else default_department()
    checked: list[CheckedReturn] = []
    for item in paths:
        path = Path(item)
        result = read_return(
            path, department=dept, period=period, max_bytes=max_bytes, thresholds=thresholds, rules=rules
        )
        feedback: Path | None = None
        if feedback_dir is not None and result.submission is not None and result.issues:
            # Only a feedback workbook needs xlsxwriter (~30 ms to import): `perfsheet check` without
            # --feedback starts without it.
            from perfsheet.ingest.feedback import write_feedback

            feedback = write_feedback(
                dept,
                result.submission,
                result.issues,
                Path(feedback_dir) / feedback_filename(path),
                raw_values=result.raw_values,
                period=period,
                rules=rules,
                thresholds=thresholds,
            )
        checked.append(CheckedReturn(path, result, feedback))
    return checked


# --- many archived files: collect's ingest ------------------------------------------------------

Job = Path  # an archived file
Outcome = IngestResult | str  # what ingest found, or the text of the exception it raised (a bug)


def ingest_archived(path: Path, department: Department, thresholds: Thresholds, rules: MonitoringRules) -> Outcome:
    """Read an archived file for the ledger. Collect records a return for another month under that
    month and checks it there, so no period is expected: ingest then checks every return against the
    period its ``_perfsheet`` sheet names and raises no ``wrong-period`` (the one issue an expected
    period adds) — the result of reading it for its own period, in one read whatever it was collected
    for. A bug in ingest comes back as its text, so that one file cannot stop the others."""
    try:
        return read_return(path, department=department, period=None, thresholds=thresholds, rules=rules)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


# From this many files on, ingest runs in worker processes: below it, starting them (each imports
# ingest afresh, ~0.3 s) costs more than it saves.
PARALLEL_MIN = 128


def _cores() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)


class IngestPool:
    """Worker processes (one per core) that ingest archived files; results come back in the order of
    the jobs, so what collect stores does not depend on how the work was split.

    Each worker is ``python -m perfsheet.ingest.batch``, fed pickled jobs on stdin: unlike
    multiprocessing it never re-runs the caller's script (a library user's script needs no
    ``if __name__ == "__main__"``), inherits neither the collect lock nor the ledger, and exits when
    this process dies (its stdin closes). A worker that fails leaves its jobs to this process.
    """

    def __init__(self, department: Department, thresholds: Thresholds, rules: MonitoringRules, workers: int) -> None:
        import subprocess

        self.context = (department, thresholds, rules)
        self.workers: list[subprocess.Popen[bytes]] = []
        context = pickle.dumps(self.context, protocol=pickle.HIGHEST_PROTOCOL)
        for _ in range(workers):
            worker = subprocess.Popen(
                [sys.executable, "-m", "perfsheet.ingest.batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
            )
            assert worker.stdin is not None
            worker.stdin.write(context)
            worker.stdin.flush()
            self.workers.append(worker)

    def submit(self, jobs: Sequence[Job]) -> _Request:
        """Hand ``jobs`` to the workers, split evenly; :meth:`results` gives their outcomes. Requests are
        answered in the order they were submitted, so the next one can wait queued while this one runs."""
        size = -(-len(jobs) // max(len(self.workers), 1))
        parts = [list(jobs[i : i + size]) for i in range(0, len(jobs), size)] if jobs else []
        sent = [worker if _send(worker, part) else None for worker, part in zip(self.workers, parts, strict=False)]
        return _Request(parts, sent)

    def results(self, request: _Request) -> list[Outcome]:
        """The outcomes of a submitted request, in the order of its jobs (waits for the workers)."""
        outcomes: list[Outcome] = []
        for part, worker in zip(request.parts, request.sent, strict=True):
            answer = _receive(worker) if worker is not None else None
            if answer is None or len(answer) != len(part):
                answer = [ingest_archived(path, *self.context) for path in part]
            outcomes.extend(answer)
        return outcomes

    def map(self, jobs: Sequence[Job]) -> list[Outcome]:
        """Ingest ``jobs``, split evenly among the workers; outcomes in the order of ``jobs``."""
        return self.results(self.submit(jobs))

    def close(self) -> None:
        import subprocess

        for worker in self.workers:
            if worker.stdin is not None:
                worker.stdin.close()
        for worker in self.workers:
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            if worker.stdout is not None:
                worker.stdout.close()

    def __enter__(self) -> IngestPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True, slots=True)
class _Request:
    """Jobs handed to the workers: one part per worker, and the worker that took it (None: it failed)."""

    parts: list[list[Job]]
    sent: list[subprocess.Popen[bytes] | None]


def _send(worker: subprocess.Popen[bytes], jobs: list[Job]) -> bool:
    try:
        assert worker.stdin is not None
        pickle.dump(jobs, worker.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        worker.stdin.flush()
    except OSError:
        return False
    return True


def _receive(worker: subprocess.Popen[bytes]) -> list[Outcome] | None:
    try:
        assert worker.stdout is not None
        answer = pickle.load(worker.stdout)
    except (EOFError, OSError, pickle.UnpicklingError):
        return None
    return answer if isinstance(answer, list) else None


# Jobs per request to the pool: small enough that the next request is queued while this one's
# results are stored, large enough that passing them costs little.
POOL_REQUEST = 128


def ingest_many(
    jobs: Sequence[Job],
    department: Department,
    thresholds: Thresholds,
    rules: MonitoringRules,
    *,
    pool: IngestPool | None = None,
) -> Iterator[Outcome]:
    """The outcome of each job, in order: in ``pool`` when given, else in this process. With a pool the
    next request is always queued before this one's outcomes are handed on, so the workers keep busy
    while the caller stores what they found."""
    if pool is None:
        for path in jobs:
            yield ingest_archived(path, department, thresholds, rules)
        return
    requests = (jobs[i : i + POOL_REQUEST] for i in range(0, len(jobs), POOL_REQUEST))
    queued = deque(pool.submit(part) for part in islice(requests, 2))
    while queued:
        outcomes = pool.results(queued.popleft())
        for part in islice(requests, 1):
            queued.append(pool.submit(part))
        yield from outcomes


def open_pool(
    count: int, department: Department, thresholds: Thresholds, rules: MonitoringRules
) -> IngestPool | None:
    """A pool for ``count`` files when they are many and there is more than one core, else None."""
    workers = _cores()
    if count < PARALLEL_MIN or workers < 2:
        return None
    return IngestPool(department, thresholds, rules, workers)


def _serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """A worker: read the context, then answer each list of jobs with the list of their outcomes."""
    department, thresholds, rules = pickle.load(stdin)
    while True:
        try:
            jobs = pickle.load(stdin)
        except EOFError:
            return
        outcomes = [ingest_archived(path, department, thresholds, rules) for path in jobs]
        pickle.dump(outcomes, stdout, protocol=pickle.HIGHEST_PROTOCOL)
        stdout.flush()


if __name__ == "__main__":
    # The answers go through a private copy of stdout; anything printed goes to stderr instead.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, answers)
