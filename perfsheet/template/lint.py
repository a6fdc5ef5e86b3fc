"""Template lint: catch what Excel would refuse before a template leaves the office.

xlsxwriter only *warns* and returns ``-2`` when it drops a data validation whose text is too long, or a
cell it cannot write; a template with a silently missing validation would let wrong entries through. The
builder therefore writes through :class:`LintedSheet`, which records every return code and every
validation, and :meth:`LintedSheet.raise_if_problems` turns any finding into a
:class:`~perfsheet.errors.TemplateLintError` (a bug in perfsheet, not in the user's data).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from perfsheet.errors import TemplateLintError

__all__ = [
    "LIST_SOURCE_MAX",
    "MESSAGE_MAX",
    "TITLE_MAX",
    "LintedSheet",
    "lint_validation",
    "utf16_len",
]

# Excel's limits on a data validation, counted in UTF-16 code units (what Excel stores).
TITLE_MAX = 32  # input title and error title
MESSAGE_MAX = 255  # input message and error message
LIST_SOURCE_MAX = 255  # a literal list source "a,b,c" (the joined text)


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units: characters outside the BMP count twice."""
    return len(text.encode("utf-16-le")) // 2


def lint_validation(options: Mapping[str, Any], where: str = "") -> list[str]:
    """Problems of one xlsxwriter data-validation options dict against Excel's limits (empty if fine)."""
    problems: list[str] = []
    prefix = f"{where}：" if where else ""
    for key, limit in (
        ("input_title", TITLE_MAX),
        ("error_title", TITLE_MAX),
        ("input_message", MESSAGE_MAX),
        ("error_message", MESSAGE_MAX),
    ):
        text = options.get(key)
        if isinstance(text, str) and utf16_len(text) > limit:
            problems.append(f"{prefix}数据验证的 {key} 长度 {utf16_len(text)} 超过 Excel 上限 {limit}")
    source = options.get("source")
    if options.get("validate") == "list" and isinstance(source, Sequence) and not isinstance(source, str):
        items = [str(item) for item in source]
        joined = ",".join(items)
        if utf16_len(joined) > LIST_SOURCE_MAX:
            problems.append(f"{prefix}下拉列表来源长度 {utf16_len(joined)} 超过 Excel 上限 {LIST_SOURCE_MAX}")
        if any("," in item or '"' in item for item in items):
            problems.append(f"{prefix}下拉列表选项不能包含逗号或引号")
    for key in ("input_title", "error_title", "input_message", "error_message"):
        text = options.get(key)
        if key in options and not isinstance(text, str):
            problems.append(f"{prefix}数据验证的 {key} 不是文本")
    return problems


@dataclass
class LintedSheet:
    """A worksheet wrapper that records failed xlsxwriter calls and lints every data validation."""

    sheet: Worksheet
    problems: list[str] = field(default_factory=list)
    validations: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.sheet.name)

    def _check(self, result: object, call: str, row: int, col: int) -> None:
        # xlsxwriter signals refusal with a negative return (-1 out of range, -2 too long/invalid).
        if isinstance(result, int) and result < 0:
            cell = xl_rowcol_to_cell(row, col)
            self.problems.append(f"{self.name}!{cell}：xlsxwriter 拒绝了 {call}（返回 {result}）")

    def write(self, row: int, col: int, value: Any, fmt: Any = None) -> None:
        self._check(self.sheet.write(row, col, value, fmt), "write", row, col)

    def write_string(self, row: int, col: int, value: str, fmt: Any = None) -> None:
        self._check(self.sheet.write_string(row, col, value, fmt), "write_string", row, col)

    def write_number(self, row: int, col: int, value: float, fmt: Any = None) -> None:
        self._check(self.sheet.write_number(row, col, value, fmt), "write_number", row, col)

    def write_blank(self, row: int, col: int, fmt: Any = None) -> None:
        self._check(self.sheet.write_blank(row, col, None, fmt), "write_blank", row, col)

    def write_formula(self, row: int, col: int, formula: str, fmt: Any = None, value: Any = 0) -> None:
        self._check(self.sheet.write_formula(row, col, formula, fmt, value), "write_formula", row, col)

    def merge_range(
        self, first_row: int, first_col: int, last_row: int, last_col: int, value: Any, fmt: Any
    ) -> None:
        if (first_row, first_col) == (last_row, last_col):
            # xlsxwriter refuses a one-cell merge; a plain write is what was meant.
            self.write(first_row, first_col, value, fmt)
            return
        result = self.sheet.merge_range(first_row, first_col, last_row, last_col, value, fmt)
        self._check(result, "merge_range", first_row, first_col)

    def data_validation(
        self, first_row: int, first_col: int, last_row: int, last_col: int, options: dict[str, Any]
    ) -> None:
        where = f"{self.name}!{xl_rowcol_to_cell(first_row, first_col)}"
        self.problems.extend(lint_validation(options, where))
        result = self.sheet.data_validation(first_row, first_col, last_row, last_col, options)
        self._check(result, "data_validation", first_row, first_col)
        self.validations.append((where, options))

    def raise_if_problems(self) -> None:
        if self.problems:
            listing = "；".join(self.problems[:10])
            more = f"（另有 {len(self.problems) - 10} 项）" if len(self.problems) > 10 else ""
            raise TemplateLintError(f"模板检查未通过，这是 perfsheet 的程序缺陷，请报告：{listing}{more}")
