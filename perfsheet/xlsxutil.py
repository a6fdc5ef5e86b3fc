"""Layout helpers shared by the workbooks perfsheet writes (templates, summary, feedback).

xlsxwriter does not autofit rows, and Excel/WPS/LibreOffice show wrapped text only as far as the row
height allows, so heights are estimated from the text and the column width.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable

__all__ = ["display_width", "lines_needed", "row_height"]


def display_width(text: str) -> float:
    """Approximate width in Excel character units (wide CJK glyphs take about two)."""
    width = 0.0
    for ch in text:
        width += 2.15 if unicodedata.east_asian_width(ch) in ("W", "F") else 1.1
    return width


def lines_needed(text: str, width_units: float) -> int:
    usable = max(width_units - 1.5, 1.0)
    return sum(max(1, math.ceil(display_width(part) / usable)) for part in text.split("\n"))


def row_height(
    texts: Iterable[tuple[str, float]], *, minimum: float = 22, line_height: float = 14.5
) -> float:
    """Row height in points for wrapped texts (text, column width): xlsxwriter does not autofit."""
    lines = max((lines_needed(text, width) for text, width in texts if text), default=1)
    return max(minimum, lines * line_height + 6)
