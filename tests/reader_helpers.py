"""Workbooks for the reader tests: an xlsxwriter file shaped like a template, and LibreOffice copies."""

from __future__ import annotations

import datetime as dt
import io

import xlsxwriter

# (cell, value) written on 监控表; the used range starts at C5, away from A1 on purpose.
SAMPLE_CELLS: dict[str, object] = {
    "C5": "项目名称",
    "D5": "社区矫正工作经费",
    "C6": "年初预算数",
    "D6": 19.47,
    "C7": "执行率",
    "D7": 0.4523,  # percent-formatted fraction
    "C8": "填报日期",
    "D8": dt.date(2025, 6, 30),
    "D9": dt.datetime(2025, 7, 1, 9, 30),
    "D10": 1234567.125,
    "F14": "经费保障：第二季度采购延后，已督促。",
    "E12": 3,
}
SAMPLE_NAMES = {"ps_spend_to_date": "监控表!$D$6", "ps_contact_date": "监控表!$D$8"}


def sample_xlsx() -> bytes:
    """The sample workbook: 监控表 (values above), 填表说明 (hidden), _perfsheet (very hidden), a formula."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False}
    )
    workbook.set_properties({"created": dt.datetime(2025, 1, 1)})
    percent = workbook.add_format({"num_format": "0.00%"})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    stamp = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet = workbook.add_worksheet("监控表")
    for cell, value in SAMPLE_CELLS.items():
        if isinstance(value, dt.datetime):
            sheet.write_datetime(cell, value, stamp)
        elif isinstance(value, dt.date):
            sheet.write_datetime(cell, dt.datetime.combine(value, dt.time()), date)
        elif isinstance(value, str):
            sheet.write_string(cell, value)
        else:
            assert isinstance(value, int | float)
            sheet.write_number(cell, value, percent if cell == "D7" else None)
    sheet.write_formula("E13", "=D6*2", None, 38.94)
    sheet.write_string("E11", "")  # an explicitly empty string reads as None
    notes = workbook.add_worksheet("填表说明")
    notes.write_string("A1", "请在白色单元格填写。")
    notes.hide()
    meta = workbook.add_worksheet("_perfsheet")
    for row, (key, value) in enumerate(
        [("schema", 1), ("project_code", "P01"), ("period", "2025-06"), ("field:spend.to_date", "监控表!D6")]
    ):
        meta.write_string(row, 0, key)
        if isinstance(value, str):
            meta.write_string(row, 1, value)
        else:
            meta.write_number(row, 1, value)
    meta.very_hidden()
    for name, ref in SAMPLE_NAMES.items():
        workbook.define_name(name, "=" + ref)
    workbook.close()
    return buffer.getvalue()
