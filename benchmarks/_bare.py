"""Bare python-calamine reading, no checks: the yardstick the reader and ingest benchmarks compare to."""

from __future__ import annotations

from pathlib import Path

from python_calamine import CalamineWorkbook


def bare_read_cells(path: str | Path, sheet: str, cells: list[tuple[int, int]]) -> list[object]:
    """Values of ``cells`` (0-based row, column) on ``sheet``, as calamine gives them; None outside."""
    workbook = CalamineWorkbook.from_path(str(path))
    data = workbook.get_sheet_by_name(sheet)
    start = data.start or (0, 0)
    rows = data.to_python()
    out: list[object] = []
    for row, col in cells:
        r, c = row - start[0], col - start[1]
        out.append(rows[r][c] if 0 <= r < len(rows) and 0 <= c < len(rows[r]) else None)
    return out
