"""Build the corpus of returned workbooks that ingest's tests read: ``tests/data/returns/``.

Each case starts from a real template (``perfsheet.template.build_template``) of the hand-built
sample department (``tests/template_helpers.py``), filled with ``fill_template``, then damaged the way
people damage returns (text in number cells, a bare 95 in a percent cell, a row inserted, a locked
target edited …). ``expected.json`` maps each file to the exact ``[cell, code]`` pairs ingest must
report when checking it for period 2025-06 against ``goals.yaml`` (written here too). The expected
pairs are declared by hand below, never computed by ingest.

Run from the repository root: ``python scripts/make_return_corpus.py`` (deterministic output).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import sys
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import xlsxwriter

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from ingest_helpers import good_values  # noqa: E402  (the base case; tests use the same one)
from template_helpers import sample_department  # noqa: E402

from perfsheet.goals.registry import dump_goals  # noqa: E402
from perfsheet.model import Department, Period  # noqa: E402
from perfsheet.template.build import build_template, fill_template  # noqa: E402

OUT = REPO / "tests" / "data" / "returns"
PERIOD = Period(2025, 6)
FIXED_TIME = dt.datetime(2025, 7, 5, 9, 0, 0)

Pairs = list[tuple[str, str]]


def _set_cells(data: bytes, edits: dict[str, object], *, number_format: str | None = None) -> bytes:
    """Write raw values into 监控表 cells with openpyxl (what a client that ignores validation stores).

    ``number_format`` replaces the cells' format too (e.g. "General": a date cell that lost its format).
    """
    book = openpyxl.load_workbook(io.BytesIO(data))
    for a1, value in edits.items():
        cell = book["监控表"][a1]
        cell.value = value
        if number_format is not None:
            cell.number_format = number_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _set_meta(data: bytes, key: str, value: object) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(data))
    for row in book["_perfsheet"].iter_rows(min_col=1, max_col=2):
        if row[0].value == key:
            row[1].value = value
    # Templates repeat their identifying keys as constant names; an older template has both stale.
    name = f"ps_meta_{key}"
    if name in book.defined_names:
        book.defined_names[name].attr_text = f'"{value}"'
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _shift_ref(ref: str, at_row: int, count: int) -> str:
    def bump(match: re.Match[str]) -> str:
        row = int(match.group(2))
        return f"{match.group(1)}${row + count if row >= at_row else row}"

    return re.sub(r"(\$?[A-Z]{1,3})\$?(\d+)", bump, ref)


def insert_row(data: bytes, at_row: int, *, keep_names: bool) -> bytes:
    """Insert a blank row at 1-based ``at_row`` of 监控表 as Excel does: merges and names move along.

    openpyxl's ``insert_rows`` moves only values and styles, so merged ranges, defined names and data
    validations are shifted here. With ``keep_names=False`` the defined names are dropped, as in an
    .xls or .ods round trip that lost them, leaving only the (now stale) ``_perfsheet`` map.
    """
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["监控表"]
    merged = [str(r) for r in sheet.merged_cells.ranges]
    for ref in merged:
        sheet.unmerge_cells(ref)
    sheet.insert_rows(at_row)
    for ref in merged:
        sheet.merge_cells(_shift_ref(ref, at_row, 1).replace("$", ""))
    for validation in sheet.data_validations.dataValidation:
        validation.sqref = openpyxl.worksheet.cell_range.MultiCellRange(
            _shift_ref(str(validation.sqref), at_row, 1).replace("$", "")
        )
    for name in list(book.defined_names):
        if keep_names:
            defined = book.defined_names[name]
            if defined.attr_text and "监控表" in defined.attr_text:
                defined.attr_text = _shift_ref(defined.attr_text, at_row, 1)
        else:
            del book.defined_names[name]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def add_cached_formula(data: bytes, a1: str, formula: str, cached: str) -> bytes:
    """Put ``=formula`` with a cached value into a cell (openpyxl cannot write cached values)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    book["监控表"][a1].value = f"={formula}"
    out = io.BytesIO()
    book.save(out)
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    result = io.BytesIO()
    with zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                pattern = re.compile(rf'(<c r="{a1}"[^>]*>)<f>([^<]*)</f>(?:<v\s*/>|<v></v>)?(</c>)'.encode())
                content, count = pattern.subn(
                    lambda m: (
                        m.group(1) + b"<f>" + m.group(2) + b"</f><v>" + cached.encode() + b"</v>" + m.group(3)
                    ),
                    content,
                )
                assert count == 1, "formula cell not found"
            info.date_time = FIXED_TIME.timetuple()[:6]
            target.writestr(info, content)
    return result.getvalue()


def not_a_template() -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"created": FIXED_TIME})
    sheet = book.add_worksheet("Sheet1")
    sheet.write_row(0, 0, ["项目", "执行数"])
    sheet.write_row(1, 0, ["社区矫正", 1.5])
    book.close()
    return buffer.getvalue()


def cases(department: Department) -> dict[str, tuple[Callable[[], bytes], Pairs]]:
    project = department.projects[0]  # 2025年省级社区矫正专项补助资金, 7 indicators
    template = build_template(department, project, PERIOD)

    def filled(**changes: object) -> bytes:
        values = good_values(project)
        values.update({k.replace("__", "."): v for k, v in changes.items()})
        return fill_template(template, values)

    def filled_with(changes: dict[str, object]) -> bytes:
        values = good_values(project)
        values.update(changes)
        return fill_template(template, values)

    # Cells of the sample project's template (checked against the layout by the test).
    may = build_template(department, project, Period(2025, 5))
    long_text = "因" * 301
    return {
        "valid.xlsx": (lambda: filled(), []),
        "wps-percent-as-95.xlsx": (lambda: _set_cells(filled(), {"E21": 95}), [("E21", "value-normalised")]),
        "percent-text.xlsx": (
            # "95%" as text reads as the number would, silently; full-width "９６％" is read with a notice.
            lambda: filled_with({"ind.7.actual": "95%", "ind.7.projection": "９６％"}),
            [("F21", "value-normalised")],
        ),
        "percent-ambiguous.xlsx": (
            lambda: filled_with({"ind.7.actual": "0.95"}),
            [("E21", "percent-ambiguous")],
        ),
        "percent-over-100.xlsx": (lambda: _set_cells(filled(), {"E15": 150}), [("E15", "out-of-range")]),
        "text-in-money.xlsx": (lambda: filled_with({"spend.to_date": "约1.5万"}), [("D8", "not-a-number")]),
        "fullwidth-digits.xlsx": (
            lambda: filled_with({"spend.to_date": "１．５", "contact.phone": "１３８００１３８０００"}),
            [("D8", "value-normalised"), ("D22", "value-normalised")],
        ),
        "wan-yuan-text.xlsx": (
            lambda: filled_with({"spend.to_date": "1.8万元", "budget.adjusted": "34,700元"}),
            [("C8", "value-normalised"), ("D8", "value-normalised")],
        ),
        "spaces.xlsx": (
            lambda: filled_with({"spend.to_date": " 1.5 ", "contact.name": " 陈刚 "}),
            [("D8", "value-normalised"), ("B22", "value-normalised")],
        ),
        "row-inserted.xlsx": (lambda: insert_row(filled(), 13, keep_names=True), []),
        "row-inserted-names-lost.xlsx": (
            lambda: insert_row(filled(), 13, keep_names=False),
            [("A15", "template-layout-changed")],
        ),
        "locked-target-changed.xlsx": (
            # The tamperer edits the sheet AND the _perfsheet copy; the registry still catches it.
            lambda: _set_meta(_set_cells(filled(), {"D16": "≤5%"}), "locked:D16", "≤5%"),
            [("D16", "locked-cell-changed")],
        ),
        "locked-budget-changed.xlsx": (
            lambda: _set_cells(filled(), {"B8": 34.7, "B9": 34.7}),
            [("B8", "locked-cell-changed"), ("B9", "locked-cell-changed")],
        ),
        "spend-over-budget.xlsx": (
            lambda: filled_with({"spend.to_date": 5}),
            [("D8", "spend-exceeds-budget"), ("H8", "projection-below-spend")],
        ),
        "projection-over-budget.xlsx": (
            lambda: filled_with({"spend.projected": 4}),
            [("H8", "projection-exceeds-budget")],
        ),
        "other-funds.xlsx": (
            # 1 万元 of 其他资金, half spent: the 财政资金 row is the rest, and the return is valid.
            lambda: filled_with({"budget.adjusted.other": 1, "spend.to_date.other": Decimal("0.5"),
                                 "spend.projected.other": 1}),
            [],
        ),
        "other-over-total.xlsx": (
            lambda: filled_with({"budget.adjusted.other": 5}),
            [("C10", "other-exceeds-total")],
        ),
        "fiscal-inconsistent.xlsx": (
            # Each row fits on its own, but the 财政资金 they leave (1.47) is less than its spending.
            lambda: filled_with({"budget.adjusted.other": 2, "spend.to_date.other": 0,
                                 "spend.projected.other": Decimal("0.5")}),
            [("D8", "fiscal-inconsistent"), ("H8", "fiscal-inconsistent")],
        ),
        "explanation-missing.xlsx": (
            lambda: filled_with({"ind.3.likelihood": "有可能", "ind.5.deviation": "人员保障"}),
            [("I17", "explanation-required"), ("I19", "explanation-required")],
        ),
        "explanation-given.xlsx": (
            lambda: filled_with({"ind.3.likelihood": "有可能", "ind.3.explanation": "人员调整，下半年补足"}),
            [],
        ),
        "budget-red-no-explanation.xlsx": (
            lambda: filled_with({"spend.to_date": Decimal("0.5")}),
            [("B12", "budget-explanation-required")],
        ),
        "budget-red-explained.xlsx": (
            # The one home of the budget explanation: every indicator 确定能 / 无偏差, and valid.
            lambda: filled_with({"spend.to_date": Decimal("0.5"), "budget.explanation": "资金拨付滞后，已协调财政加快拨付"}),
            [],
        ),
        "budget-zero-spend.xlsx": (
            lambda: filled_with({"spend.to_date": 0}),
            [("B12", "budget-explanation-required")],
        ),
        "not-in-list.xlsx": (
            lambda: filled_with({"ind.1.likelihood": "能", "ind.6.actual": "完成"}),
            [("G15", "not-in-list"), ("E20", "not-in-list")],
        ),
        "required-missing.xlsx": (
            lambda: filled_with({"contact.name": None, "ind.2.projection": None}),
            [("B22", "required-missing"), ("F16", "required-missing")],
        ),
        "text-too-long.xlsx": (
            lambda: filled_with({"ind.1.explanation": long_text}),
            [("I15", "text-too-long")],
        ),
        "date-as-text.xlsx": (
            lambda: filled_with({"contact.date": "2025年7月5日"}),
            [("F22", "value-normalised")],
        ),
        "date-serial.xlsx": (
            lambda: _set_cells(filled(), {"F22": 45843}, number_format="General"),
            [("F22", "value-normalised")],
        ),
        "date-invalid.xlsx": (lambda: filled_with({"contact.date": "2025/2/30"}), [("F22", "date-invalid")]),
        "date-out-of-window.xlsx": (
            lambda: filled_with({"contact.date": dt.date(2024, 12, 31)}),
            [("F22", "out-of-range")],
        ),
        "text-in-indicator.xlsx": (lambda: filled_with({"ind.3.actual": "十天"}), [("E17", "not-a-number")]),
        "formula-in-input.xlsx": (
            lambda: add_cached_formula(filled(), "H8", "C8", "3.47"),
            [("H8", "formula-in-input")],
        ),
        "wrong-period.xlsx": (lambda: fill_template(may, good_values(project)), [("", "wrong-period")]),
        "template-outdated.xlsx": (
            lambda: _set_meta(filled(), "digest", "0" * 64),
            [("", "template-outdated")],
        ),
        "unknown-project.xlsx": (
            lambda: _set_meta(filled(), "project_code", "13020225P999999999999"),
            [("", "unknown-project")],
        ),
        "not-a-template.xlsx": (not_a_template, [("", "not-a-template")]),
    }


def _normalise_zip(data: bytes) -> bytes:
    """Pin member timestamps and docProps dates so the corpus is byte-stable across runs."""
    source = zipfile.ZipFile(io.BytesIO(data))
    result = io.BytesIO()
    with zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>2025-07-05T09:00:00Z\g<2>",
                    content,
                )
            clone = zipfile.ZipInfo(info.filename, FIXED_TIME.timetuple()[:6])
            clone.compress_type = zipfile.ZIP_DEFLATED
            clone.external_attr = info.external_attr
            target.writestr(clone, content)
    return result.getvalue()


def main() -> None:
    department = sample_department()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "goals.yaml").write_text(dump_goals(department), encoding="utf-8")
    expected: dict[str, Any] = {}
    for name, (make, pairs) in cases(department).items():
        (OUT / name).write_bytes(_normalise_zip(make()))
        expected[name] = sorted([list(pair) for pair in pairs])
    (OUT / "expected.json").write_text(
        json.dumps(
            {"period": str(PERIOD), "goals": "goals.yaml", "files": expected}, ensure_ascii=False, indent=1
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {len(expected)} returns to {OUT}")


if __name__ == "__main__":
    main()
