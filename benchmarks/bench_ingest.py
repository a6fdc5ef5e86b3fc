"""Ingest benchmark: median ms per file for ``read_submission`` vs bare python-calamine.

Generates N filled returns (default 1,000; values varied per file) of the sample department's
projects into a temp dir, then times, per file and in the same run:

* perfsheet: ``read_submission(path, department=…, period=…)`` — safe open, field map, registry
  checks, normalisation, cross-field rules;
* bare: ``CalamineWorkbook.from_path`` + read the same input cells by address (no checks).

Usage: ``python benchmarks/bench_ingest.py [N]``. Target (issue 16): ≤ 3× bare.
"""

from __future__ import annotations

import io
import random
import re
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from python_calamine import CalamineWorkbook

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from ingest_helpers import good_values  # noqa: E402
from template_helpers import PERIOD, sample_department  # noqa: E402

from perfsheet.form.layout import compute_layout  # noqa: E402
from perfsheet.ingest.check import read_submission  # noqa: E402
from perfsheet.ingest.reader import a1_to_rc  # noqa: E402
from perfsheet.template.build import build_template, fill_template  # noqa: E402


def _patch_numbers(data: bytes, numbers: dict[str, float]) -> bytes:
    """Rewrite the cached numbers of some 监控表 cells in a filled return (much faster than openpyxl)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                for a1, number in numbers.items():
                    pattern = re.compile(rb'(<c r="' + a1.encode() + rb'"[^>]*>)<v>[^<]*</v>')
                    content, count = pattern.subn(
                        lambda m, n=number: m.group(1) + f"<v>{n!r}</v>".encode(), content
                    )
                    assert count == 1, a1
            target.writestr(info, content)
    return out.getvalue()


def generate(count: int, out: Path) -> list[tuple[Path, list[str]]]:
    """``count`` valid returns: one openpyxl fill per project, then per file new 执行数 and % actuals."""
    department = sample_department()
    rng = random.Random(20250630)
    filled: dict[str, bytes] = {}
    for project in department.projects:
        filled[project.code] = fill_template(
            build_template(department, project, PERIOD), good_values(project)
        )
    files: list[tuple[Path, list[str]]] = []
    for i in range(count):
        project = department.projects[i % len(department.projects)]
        layout = compute_layout(project)
        numbers = {layout.fields["spend.to_date"].anchor: float(project.budget) * rng.randint(45, 100) / 100}  # green: no budget explanation asked
        for indicator in project.indicators:
            if not indicator.target.is_qualitative and indicator.target.unit == "%":
                numbers[layout.fields[f"ind.{indicator.n}.actual"].anchor] = rng.randint(0, 100) / 100
        path = out / f"return-{i:04d}.xlsx"
        path.write_bytes(_patch_numbers(filled[project.code], numbers))
        files.append((path, [span.anchor for span in layout.fields.values()]))
    return files


def bare_read(path: Path, cells: list[str]) -> list[object]:
    book = CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_name("监控表").to_python()
    out: list[object] = []
    for a1 in cells:
        r, c = a1_to_rc(a1)
        out.append(rows[r][c] if r < len(rows) and c < len(rows[r]) else None)
    return out


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    department = sample_department()
    with tempfile.TemporaryDirectory(prefix="perfsheet-bench-") as tmp:
        started = time.perf_counter()
        files = generate(count, Path(tmp))
        print(f"generated {count} returns in {time.perf_counter() - started:.1f} s")
        read_submission(files[0][0], department=department, period=PERIOD)  # warm caches
        ingest_ms: list[float] = []
        bare_ms: list[float] = []
        for path, cells in files:
            t0 = time.perf_counter()
            submission, _issues = read_submission(path, department=department, period=PERIOD)
            t1 = time.perf_counter()
            bare_read(path, cells)
            t2 = time.perf_counter()
            assert submission is not None and submission.status == "valid", _issues
            ingest_ms.append((t1 - t0) * 1000)
            bare_ms.append((t2 - t1) * 1000)
    ingest, bare = statistics.median(ingest_ms), statistics.median(bare_ms)
    print(f"read_submission: median {ingest:.3f} ms/file")
    print(f"bare calamine:   median {bare:.3f} ms/file")
    print(f"ratio:           {ingest / bare:.2f}x (target ≤ 3x, issue 16)")


if __name__ == "__main__":
    main()
