"""perfsheet.reader on good workbooks: exact values, coordinates, names, visibility, formulas."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lo import convert_one, soffice
from reader_helpers import SAMPLE_CELLS, SAMPLE_NAMES, sample_xlsx

from perfsheet.ingest.reader import (
    Limits,
    Rejected,
    WorkbookCells,
    a1_to_rc,
    open_workbook,
    rc_to_a1,
    split_cell_ref,
)

needs_soffice = pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) not installed")


def _open(source: bytes | Path) -> WorkbookCells:
    book = open_workbook(source)
    assert isinstance(book, WorkbookCells), book
    return book


def test_a1_conversions() -> None:
    assert a1_to_rc("F14") == (13, 5)
    assert a1_to_rc("$F$14") == (13, 5)
    assert a1_to_rc("a1") == (0, 0)
    assert a1_to_rc("AA10") == (9, 26)
    assert a1_to_rc("XFD1048576") == (1_048_575, 16_383)
    assert rc_to_a1(13, 5) == "F14"
    assert rc_to_a1(0, 701) == "ZZ1"
    assert rc_to_a1(0, 702) == "AAA1"
    for bad in ("", "14F", "F0", "XFE1", "A1048577", "A1:B2", "监控表!F14"):
        with pytest.raises(ValueError):
            a1_to_rc(bad)
    with pytest.raises(ValueError):
        rc_to_a1(-1, 0)


@given(st.integers(0, 1_048_575), st.integers(0, 16_383))
def test_a1_round_trip(row: int, col: int) -> None:
    assert a1_to_rc(rc_to_a1(row, col)) == (row, col)


def test_split_cell_ref() -> None:
    assert split_cell_ref("监控表!$F$14") == ("监控表", "F14")
    assert split_cell_ref("='监控 表'!f14") == ("监控 表", "F14")
    assert split_cell_ref("'it''s'!A1") == ("it's", "A1")
    for bad in ("F14", "监控表!A1:B2", "!A1", "监控表!"):
        with pytest.raises(ValueError):
            split_cell_ref(bad)


def test_xlsx_values_exact(tmp_path: Path) -> None:
    data = sample_xlsx()
    path = tmp_path / "填报表.xlsx"
    path.write_bytes(data)
    book = _open(path)
    assert book.format == "xlsx"
    assert book.sha256 == hashlib.sha256(data).hexdigest()
    assert book.name == "填报表.xlsx"
    assert book.size == len(data)
    assert book.sheet_names == ["监控表", "填表说明", "_perfsheet"]
    assert [book.sheet_visibility(s) for s in book.sheet_names] == ["visible", "hidden", "veryhidden"]
    # the used range starts at C5: absolute addresses must still map
    assert book.origin("监控表") == (4, 2)
    for cell, expected in SAMPLE_CELLS.items():
        got = book.value("监控表", cell)
        assert got == expected and type(got) in (type(expected), float), (cell, got, expected)
    assert book.value("监控表", "D7") == 0.4523  # a percent cell is its stored fraction
    assert book.value("监控表", "E12") == 3.0 and isinstance(book.value("监控表", "E12"), float)
    assert book.value("监控表", "E13") == 38.94  # a formula reads as its cached value
    assert book.value("监控表", "E11") is None  # empty string
    assert book.value("监控表", "A1") is None  # above/left of the used range
    assert book.value("监控表", "Z999") is None  # below/right of it
    assert book.values("监控表", ["D6", "$D$8", "B2"]) == [19.47, dt.date(2025, 6, 30), None]
    assert book.rows("监控表")[0][:2] == ["项目名称", "社区矫正工作经费"]
    assert book.defined_names == SAMPLE_NAMES
    assert book.key_values("_perfsheet") == {
        "schema": 1.0,
        "project_code": "P01",
        "period": "2025-06",
        "field:spend.to_date": "监控表!D6",
    }
    assert book.formula_cells("监控表") == {"E13"}
    assert book.is_formula("监控表", "$E$13") and not book.is_formula("监控表", "D6")
    assert book.formula_cells("_perfsheet") == frozenset()
    with pytest.raises(KeyError):
        book.value("没有这个表", "A1")


def test_bytes_and_path_agree(tmp_path: Path) -> None:
    data = sample_xlsx()
    (tmp_path / "a.xlsx").write_bytes(data)
    from_bytes, from_path = _open(data), _open(tmp_path / "a.xlsx")
    assert from_bytes.sha256 == from_path.sha256
    assert from_bytes.rows("监控表") == from_path.rows("监控表")
    assert from_bytes.name is None


@pytest.mark.libreoffice
@needs_soffice
@pytest.mark.parametrize("fmt", ["xls", "ods", "xlsx"])
def test_libreoffice_copies_read_the_same(tmp_path: Path, fmt: str) -> None:
    """A template re-saved by LibreOffice keeps its values and its hidden _perfsheet sheet.

    LibreOffice turns "very hidden" into "hidden" (it has no such state). Defined names survive in
    .ods and .xlsx; for .xls the reader does not read names (``{}``), so ingest falls back to the map.
    """
    source = tmp_path / "sample.xlsx"
    source.write_bytes(sample_xlsx())
    (tmp_path / "lo").mkdir()
    book = _open(convert_one(source, fmt, tmp_path / "lo"))
    assert book.format == fmt
    assert book.sheet_names == ["监控表", "填表说明", "_perfsheet"]
    assert book.sheet_visibility("_perfsheet") == "hidden"
    for cell, expected in SAMPLE_CELLS.items():
        assert book.value("监控表", cell) == expected, (fmt, cell)
    assert book.value("监控表", "E13") == 38.94
    assert book.key_values("_perfsheet")["field:spend.to_date"] == "监控表!D6"
    assert book.key_values("_perfsheet")["schema"] == 1
    if fmt == "xls":
        assert book.defined_names == {}
        assert book.formula_cells("监控表") == frozenset()
    else:
        assert book.defined_names == SAMPLE_NAMES
        assert "E13" in book.formula_cells("监控表")
        assert "D6" not in book.formula_cells("监控表")


def test_mutated_xlsx_never_raises() -> None:
    """Random byte damage anywhere gives a WorkbookCells or a Rejected, never an exception."""
    data = sample_xlsx()
    rng = random.Random(20250630)
    for _ in range(300):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        result = open_workbook(bytes(damaged))
        assert isinstance(result, WorkbookCells | Rejected)
        if isinstance(result, WorkbookCells):
            for sheet in result.sheet_names:
                result.rows(sheet)
                result.formula_cells(sheet)
            result.defined_names  # noqa: B018 - parsing must not raise either


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_never_raise(blob: bytes) -> None:
    for prefix in (b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        assert isinstance(open_workbook(prefix + blob), WorkbookCells | Rejected)


def test_xlsm_detected() -> None:
    """A macro-enabled workbook (content type says so) is reported as xlsm and read like xlsx."""
    source = io.BytesIO(sample_xlsx())
    out = io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")
            dst.writestr(info, data)
    book = _open(out.getvalue())
    assert book.format == "xlsm"
    assert book.value("监控表", "D6") == 19.47


def test_limits_are_configurable() -> None:
    data = sample_xlsx()
    small = open_workbook(data, max_bytes=len(data) - 1)
    assert isinstance(small, Rejected) and small.code == "file-too-large"
    assert small.sha256 == hashlib.sha256(data).hexdigest()
    tiny_area = open_workbook(data, limits=Limits(max_cells=4))
    assert isinstance(tiny_area, Rejected) and tiny_area.code == "sheet-too-large"
    # The size limit given in Limits holds too (it used to be replaced by the default).
    in_limits = open_workbook(data, limits=Limits(max_bytes=len(data) - 1))
    assert isinstance(in_limits, Rejected) and in_limits.code == "file-too-large"
    assert not isinstance(open_workbook(data, limits=Limits(max_bytes=len(data))), Rejected)


def test_only_named_sheets_load_at_open() -> None:
    """sheets=… loads those now; the others load on first use with the same values."""
    book = open_workbook(sample_xlsx(), sheets=("监控表", "不存在的表"))
    assert isinstance(book, WorkbookCells)
    assert book.value("监控表", "D6") == 19.47
    assert book.key_values("_perfsheet")["project_code"] == "P01"
    assert book.rows("填表说明") == [["请在白色单元格填写。"]]
    assert book.unreadable_sheets == {}
