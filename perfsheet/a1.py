"""A1 cell references as Excel users see them (``F14``, ``监控表!$F$14``) and 0-based (row, column).

Shared by the form's layout (where each field sits), the reader and ingest (where a field was found),
so every message locates a problem the way the chief sees it.
"""

from __future__ import annotations

import functools
import re
from typing import Final

__all__ = ["MAX_COL", "MAX_ROW", "a1_to_rc", "rc_to_a1", "split_cell_ref"]

A1_RE: Final = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")
MAX_ROW: Final = 1_048_576
MAX_COL: Final = 16_384


@functools.lru_cache(maxsize=16384)  # ingest asks for the same few hundred addresses in every file
def a1_to_rc(a1: str) -> tuple[int, int]:
    """``"F14"`` → ``(13, 5)`` (0-based row, column). Accepts ``$`` anchors; raises ``ValueError``."""
    match = A1_RE.match(a1.strip())
    if match is None:
        raise ValueError(f"not an A1 cell reference: {a1!r}")
    col = 0
    for ch in match.group(1).upper():
        col = col * 26 + (ord(ch) - 64)
    row = int(match.group(2))
    if not (1 <= row <= MAX_ROW and 1 <= col <= MAX_COL):
        raise ValueError(f"cell reference outside the sheet: {a1!r}")
    return row - 1, col - 1


@functools.lru_cache(maxsize=16384)  # the same: ingest names the same few hundred cells in every file
def rc_to_a1(row: int, col: int) -> str:
    """``(13, 5)`` → ``"F14"`` (0-based row, column)."""
    if not (0 <= row < MAX_ROW and 0 <= col < MAX_COL):
        raise ValueError(f"cell outside the sheet: ({row}, {col})")
    letters = ""
    n = col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def split_cell_ref(ref: str) -> tuple[str, str]:
    """``"监控表!$F$14"`` or ``"'a b'!F14"`` → ``("监控表", "F14")``; raises ``ValueError``.

    Only single cells: a range or a reference without a sheet is an error.
    """
    text = ref.strip().lstrip("=")
    sheet, sep, cell = text.rpartition("!")
    if not sep or not sheet:
        raise ValueError(f"not a sheet!cell reference: {ref!r}")
    if len(sheet) >= 2 and sheet[0] == "'" and sheet[-1] == "'":
        sheet = sheet[1:-1].replace("''", "'")
    row, col = a1_to_rc(cell)
    return sheet, rc_to_a1(row, col)
