#!/usr/bin/env python3
"""Scale benchmark (issue 16): a year of returns collected from a folder and from an mbox, then the
latest month consolidated and reported — per-file costs, totals, peak RSS, and the ratio of collect to
a bare python-calamine read of the same files measured in the same run.

The returns are real templates of the built-in 2025 goals (9 projects, ``build_template`` and
``fill_template``, as ``benchmarks/bench_ingest.py`` and the test corpus make them), one per project
and month filled once, then each file given its own 1-X月执行数 so that every file is distinct
(different projects, periods and senders: each comes from its section chief's address). Each phase
runs in its own process, so its wall time and peak RSS are its own (``os.wait4``):

* ``bare``: python-calamine opens each file and reads the 监控表 sheet — the yardstick;
* ``ingest``: ``read_return`` of each file in one process (what collect does to each, without the
  archive, the ledger and the inbox);
* ``collect-folder``: ``perfsheet.collect`` of the folder into a fresh workspace (for 2025-12; the
  other months' returns are recorded under their own month);
* ``collect-mbox``: the same returns, one message each, from one mbox into another fresh workspace;
* ``reports``: ``write_period_reports`` (consolidation from the ledger, the summary workbook, the
  bureau's tables and the 情况说明) for 2025-12 on the folder's workspace.

Usage: ``python benchmarks/bench_scale.py [N]`` (default 10,000). Targets: N = 10,000 collected,
consolidated and reported in ≤ 60 s wall, peak RSS ≤ 400 MiB; collect ≤ 5 ms per file and ≤ 6× bare.
On a shared machine, run it twice and compare: the figures move with the other processes' load.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from perfsheet.model import Period, Project  # noqa: E402

YEAR = 2025
LATEST = f"{YEAR}-12"
CST = dt.timezone(dt.timedelta(hours=8))


# -- generating the returns --------------------------------------------------------------------


def _members(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        return [(info, source.read(info.filename)) for info in source.infolist()]


def _with_number(members: list[tuple[zipfile.ZipInfo, bytes]], a1: str, number: float) -> bytes:
    """The package with the cached number of one 监控表 cell replaced (much faster than openpyxl)."""
    pattern = re.compile(rb'(<c r="' + a1.encode() + rb'"[^>]*>)<v>[^<]*</v>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for info, content in members:
            if info.filename == "xl/worksheets/sheet1.xml":
                content, count = pattern.subn(lambda m: m.group(1) + f"<v>{number!r}</v>".encode(), content)
                assert count == 1, a1
            target.writestr(info, content, compresslevel=1)
    return out.getvalue()


def _sent(period: Period, day: int, minute: int = 0) -> dt.datetime:
    """When a return for ``period`` is sent: ``day`` of the next month, in the morning (Beijing time)."""
    return dt.datetime(period.year + (period.month == 12), period.month % 12 + 1, day, 9, minute, tzinfo=CST)


def generate(count: int, folder: Path, mbox_path: Path) -> dict[str, Any]:
    """``count`` distinct returns in ``folder`` and the same as one message each in ``mbox_path``."""
    from ingest_helpers import good_values

    from perfsheet.form.layout import compute_layout
    from perfsheet.goals.registry import load_default
    from perfsheet.mail.compose import build_message, message_bytes, write_mbox
    from perfsheet.template.build import build_template, fill_template

    department = load_default()
    email = {s.name: s.email for s in department.sections}
    combos = [(project, Period(YEAR, month)) for month in range(1, 13) for project in department.projects]
    def values(project: Project, period: Period) -> dict[str, object]:
        # Filled in the first days of the next month, as a section chief does.
        return {**good_values(project), "contact.date": _sent(period, 3).date()}

    filled = {
        (project.code, str(period)): _members(
            fill_template(build_template(department, project, period), values(project, period))
        )
        for project, period in combos
    }
    folder.mkdir(parents=True)

    def messages() -> Iterator[tuple[str, dt.datetime, bytes]]:
        """Each return written to the folder and mailed, one at a time (10,000 stay small)."""
        for i in range(count):
            project, period = combos[i % len(combos)]
            # 90 % spent and up, a little more in each copy: green lights, and no two files alike.
            spent = float(project.budget) * (0.9 + (i // len(combos)) * 0.00001)
            anchor = compute_layout(project).fields["spend.to_date"].anchor
            data = _with_number(filled[(project.code, str(period))], anchor, round(spent, 6))
            name = f"{period}_{project.code}_{i:05d}.xlsx"
            (folder / name).write_bytes(data)
            sender = email.get(project.section or "", "") or "chief@example.org"
            when = _sent(period, 3 + i % 7, i % 60)
            raw = message_bytes(
                build_message(
                    sender=sender,
                    to="office@example.org",
                    subject=f"{period.label}{project.name}监控表",
                    body="附件是本月的监控表，请查收。",
                    attachments=[(name, data)],
                    date=when,
                    message_id=f"<scale-{i}@example.org>",
                )
            )
            yield sender, when, raw

    write_mbox(mbox_path, messages())
    sizes = [p.stat().st_size for p in folder.iterdir()]
    return {"files": count, "bytes": sum(sizes), "mbox_bytes": mbox_path.stat().st_size}


# -- the phases, each in its own process ---------------------------------------------------------


def phase_bare(folder: str) -> dict[str, object]:
    from python_calamine import CalamineWorkbook

    times = []
    started = time.perf_counter()
    for path in sorted(Path(folder).iterdir()):
        t0 = time.perf_counter()
        CalamineWorkbook.from_path(str(path)).get_sheet_by_name("监控表").to_python()
        times.append(time.perf_counter() - t0)
    return {"total_s": time.perf_counter() - started, "median_ms": statistics.median(times) * 1000}


def phase_ingest(folder: str) -> dict[str, object]:
    """Ingest alone, in this one process: what collect adds on top of it is archive, ledger and inbox."""
    from perfsheet.goals.registry import load_default
    from perfsheet.ingest.check import read_return

    department = load_default()
    times = []
    started = time.perf_counter()
    for path in sorted(Path(folder).iterdir()):
        t0 = time.perf_counter()
        read_return(path, department=department)
        times.append(time.perf_counter() - t0)
    return {"total_s": time.perf_counter() - started, "median_ms": statistics.median(times) * 1000}


def phase_collect(workspace: str, source: str) -> dict[str, object]:
    from collections import Counter

    from perfsheet.collect import collect
    from perfsheet.workspace import Workspace

    ws = Workspace.open(Path(workspace))
    started = time.perf_counter()
    result = collect(ws, Period.parse(LATEST), [source])
    total = time.perf_counter() - started
    return {
        "total_s": total,
        "files": len(result.files),
        "messages": result.messages,
        "statuses": dict(Counter(f.status for f in result.files)),
        "failures": len(result.failures),
    }


def phase_reports(workspace: str) -> dict[str, object]:
    from perfsheet.monthly import write_period_reports
    from perfsheet.workspace import Workspace

    ws = Workspace.open(Path(workspace))
    started = time.perf_counter()
    write_period_reports(ws, Period.parse(LATEST))
    return {"total_s": time.perf_counter() - started}


PHASES: dict[str, Any] = {
    "bare": phase_bare, "ingest": phase_ingest, "collect": phase_collect, "reports": phase_reports
}


def run_phase(name: str, *args: str) -> dict[str, Any]:
    """Run a phase in a child process; its result plus its wall time and peak RSS (MiB)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--phase", name, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    out, err = proc.stdout.read(), proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{err.decode(errors='replace')}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - started
    result["peak_rss_mib"] = usage.ru_maxrss / 1024  # Linux: KiB; the largest of the phase's processes
    # CPU of the phase and its workers: on a shared machine it moves far less than wall time does.
    result["cpu_s"] = usage.ru_utime + usage.ru_stime
    return result


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    from perfsheet.workspace import init_workspace

    with tempfile.TemporaryDirectory(prefix="perfsheet-bench-scale-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        made = generate(count, root / "returns", root / "returns.mbox")
        print(
            f"generated {count} returns ({int(made['bytes']) / 2**20:.0f} MiB; mbox "
            f"{int(made['mbox_bytes']) / 2**20:.0f} MiB) in {time.perf_counter() - started:.0f} s"
        )
        for name in ("ws-folder", "ws-mbox"):
            init_workspace(root / name)
        bare = run_phase("bare", str(root / "returns"))
        ingest = run_phase("ingest", str(root / "returns"))
        folder = run_phase("collect", str(root / "ws-folder"), str(root / "returns"))
        mbox = run_phase("collect", str(root / "ws-mbox"), str(root / "returns.mbox"))
        reports = run_phase("reports", str(root / "ws-folder"))

    bare_ms = float(bare["total_s"]) * 1000 / count
    bare_cpu_ms = float(bare["cpu_s"]) * 1000 / count
    print(f"cores: {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()}")
    print(f"bare calamine:  {bare_ms:.2f} ms/file (median {float(bare['median_ms']):.2f}), "
          f"{float(bare['total_s']):.1f} s; CPU {bare_cpu_ms:.2f} ms/file")
    ingest_ms = float(ingest["total_s"]) * 1000 / count
    print(f"ingest alone (one process): {ingest_ms:.2f} ms/file = {ingest_ms / bare_ms:.1f}× bare "
          f"(median {float(ingest['median_ms']):.2f} ms = {float(ingest['median_ms']) / float(bare['median_ms']):.1f}× "
          f"bare's median)")
    for label, phase in (("collect folder", folder), ("collect mbox", mbox)):
        per_file = float(phase["total_s"]) * 1000 / count
        cpu = float(phase["cpu_s"]) * 1000 / count
        print(
            f"{label}: {per_file:.2f} ms/file = {per_file / bare_ms:.1f}× bare; CPU {cpu:.2f} ms/file (all "
            f"processes) = {cpu / bare_cpu_ms:.1f}× bare's; {float(phase['total_s']):.1f} s "
            f"({phase['files']} files, {phase['statuses']}, {phase['failures']} failures); "
            f"peak RSS {float(phase['peak_rss_mib']):.0f} MiB"
        )
    print(f"consolidate + reports ({LATEST}): {float(reports['total_s']):.1f} s; "
          f"peak RSS {float(reports['peak_rss_mib']):.0f} MiB")
    total = float(folder["wall_s"]) + float(reports["wall_s"])
    print(f"total, folder collect + consolidate + reports: {total:.1f} s wall (target ≤ 60 s for 10,000; "
          f"peak RSS ≤ 400 MiB)")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--phase":
        print(json.dumps(PHASES[sys.argv[2]](*sys.argv[3:])))
    else:
        main()
