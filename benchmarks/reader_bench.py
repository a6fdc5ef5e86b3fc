"""Reader overhead: open_workbook + ~400 cells of a 60-row template-like file vs bare calamine.

Prints the median per file, in ms, for: bare calamine (benchmarks/_bare.py), perfsheet.reader's
open_workbook alone, open + 400 values, and open + values + defined names + formula scan (what ingest
asks for). Run: ``python benchmarks/reader_bench.py [--files 300]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import xlsxwriter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bare import bare_read_cells

from perfsheet.ingest.reader import WorkbookCells, open_workbook, rc_to_a1

SHEET = "监控表"
ROWS, COLS, TOP, LEFT = 60, 7, 2, 1  # data from B3, like a template's table under its title


def write_file(path: Path, seed: int) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    workbook.set_properties({"created": dt.datetime(2025, 1, 1)})
    sheet = workbook.add_worksheet(SHEET)
    percent = workbook.add_format({"num_format": "0.00%"})
    sheet.merge_range("A1:H1", "2025年6月预算绩效运行监控表")
    for r in range(ROWS):
        for c in range(COLS):
            row, col = TOP + r, LEFT + c
            kind = (r + c + seed) % 4
            if kind == 0:
                sheet.write_string(row, col, f"指标{r}-{c} 社区矫正对象核查率")
            elif kind == 1:
                sheet.write_number(row, col, (r * 7 + c + seed) / 3)
            elif kind == 2:
                sheet.write_number(row, col, 0.95, percent)
            else:
                sheet.write_formula(row, col, f"={rc_to_a1(row, col - 1)}*2", None, 1.5)
    sheet.write_string(TOP + ROWS + 1, LEFT, "填报人")
    notes = workbook.add_worksheet("填表说明")
    for r in range(20):
        notes.write_string(r, 0, "请在白色单元格内填写，数字单位为万元。" * 3)
    meta = workbook.add_worksheet("_perfsheet")
    for r in range(70):
        meta.write_string(r, 0, f"field:ind.{r}.actual")
        meta.write_string(r, 1, f"{SHEET}!{rc_to_a1(TOP + r % ROWS, LEFT + 3)}")
    meta.very_hidden()
    for i in range(60):
        workbook.define_name(
            f"ps_ind_{i}_actual", f"={SHEET}!${rc_to_a1(TOP + i, LEFT + 3)[0]}${TOP + i + 1}"
        )
    workbook.close()


def medians_ms(files: list[Path], runs: dict[str, Callable[[Path], object]]) -> dict[str, float]:
    """Median ms per file of each run; runs are interleaved file by file so machine load hits all alike."""
    for path in files[:20]:
        for run in runs.values():
            run(path)  # warm-up
    timings: dict[str, list[float]] = {label: [] for label in runs}
    for path in files:
        for label, run in runs.items():
            started = time.perf_counter()
            run(path)
            timings[label].append((time.perf_counter() - started) * 1000)
    return {label: statistics.median(values) for label, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=300)
    args = parser.parse_args()
    cells = [(TOP + r, LEFT + c) for r in range(ROWS) for c in range(COLS)][:400]
    a1_cells = [rc_to_a1(r, c) for r, c in cells]
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i in range(args.files):
            path = Path(tmp) / f"return-{i}.xlsx"
            write_file(path, i)
            files.append(path)

        def reader_open(path: Path) -> object:
            return open_workbook(path)

        def reader_values(path: Path) -> object:
            book = open_workbook(path)
            assert isinstance(book, WorkbookCells)
            return book.values(SHEET, a1_cells)

        def reader_ingest_like(path: Path) -> object:
            book = open_workbook(path, sheets=(SHEET, "_perfsheet"))
            assert isinstance(book, WorkbookCells)
            book.key_values("_perfsheet")
            book.defined_names  # noqa: B018
            book.formula_cells(SHEET)
            return book.values(SHEET, a1_cells)

        assert bare_read_cells(files[0], SHEET, cells) == reader_values(files[0])
        results = medians_ms(
            files,
            {
                "bare calamine, 400 cells": lambda p: bare_read_cells(p, SHEET, cells),
                "reader: open_workbook (all sheets)": reader_open,
                "reader: open + 400 values": reader_values,
                "reader: sheets=2 + names + formulas": reader_ingest_like,
            },
        )
        size = files[0].stat().st_size
        print(f"{len(files)} files of {size / 1024:.0f} KB, {len(cells)} cells each (median ms per file)")
        bare = results["bare calamine, 400 cells"]
        for label, ms in results.items():
            print(f"  {label:36s} {ms:6.3f}   ({ms / bare:.2f}x bare)")


if __name__ == "__main__":
    main()
