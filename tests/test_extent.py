"""perfsheet.ingest.extent: declared vs held sheet ranges of .xls/.xlsx, measured before calamine."""

from __future__ import annotations

import io
import json
import random
import re
import signal
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xls_helpers as h
from openpyxl.styles import Font
from python_calamine import CalamineWorkbook

from perfsheet.ingest.extent import Box, SheetExtent, too_large, xls_sheet_extents, xlsx_sheet_extent

MAX_CELLS = 2_000_000
TESTS = Path(__file__).parent


def _run(code: str, *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter with tests/ on the path (so RSS is measured from scratch)."""
    prelude = f"import sys; sys.path.insert(0, {str(TESTS)!r}); import xls_helpers\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + code], capture_output=True, text=True, timeout=timeout, check=False
    )


def _peak_rss_mib(code: str) -> dict[str, float]:
    """Run ``code`` (which sets ``result``) and report the peak resident set before and after, in MiB.

    VmHWM of /proc/self/status, not ru_maxrss: Linux keeps ru_maxrss across fork and exec, so a child
    of a large pytest worker would report the worker's peak."""
    wrapped = (
        "import json\n"
        "import python_calamine, perfsheet.ingest.extent, xls_helpers\n"
        "def hwm():\n"
        "    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
        "before = hwm()\n"
        f"{code}\n"
        "after = hwm()\n"
        "print(json.dumps({'before': before / 1024, 'after': after / 1024, 'result': repr(result)}))\n"
    )
    done = _run(wrapped)
    assert done.returncode == 0, done.stderr
    out: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


# -- the POI 51535.xls shape: 65,536 × 256 ------------------------------------------------------------


def test_poi_shaped_xls_is_measured_and_refused() -> None:
    stream = h.workbook_stream(h.poi_like_sheets())
    extents = xls_sheet_extents(stream, max_cells=MAX_CELLS)
    assert extents is not None and len(extents) == 1
    (sheet,) = extents
    assert sheet.name == "Sheet1" and sheet.format == "xls"
    assert sheet.declared == Box(0, 0, 65535, 255)
    assert (sheet.declared.rows, sheet.declared.cols) == (65536, 256)
    assert sheet.held == Box(0, 0, 65535, 255) and sheet.held_cells == 2
    reason = too_large(extents, MAX_CELLS)
    assert reason == "工作表“Sheet1”声明的数据区域为 65536 行 × 256 列，超过可读取的上限，拒绝读取。"


def test_poi_shaped_xls_measuring_is_cheap_in_memory() -> None:
    stats = _peak_rss_mib(
        "from perfsheet.ingest.extent import xls_sheet_extents, too_large\n"
        "stream = xls_helpers.workbook_stream(xls_helpers.poi_like_sheets())\n"
        "result = too_large(xls_sheet_extents(stream, max_cells=2_000_000), 2_000_000)\n"
    )
    assert "65536" in str(stats["result"])
    assert stats["after"] < 256, stats
    assert stats["after"] - stats["before"] < 16, stats


def test_poi_shaped_xls_costs_calamine_hundreds_of_mib() -> None:
    """Documents the bug the module exists for: calamine densely allocates the held box at open."""
    stats = _peak_rss_mib(
        "import io\n"
        "data = xls_helpers.xls_file(xls_helpers.poi_like_sheets())\n"
        "book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))\n"
        "result = len(data)\n"
    )
    assert int(str(stats["result"])) < 8192  # a file of a few KB …
    assert stats["after"] - stats["before"] > 400, stats  # … costs > 400 MiB (≈ 512 MiB measured)


def test_declared_only_range_reservation_aborts_calamine_under_rlimit_as() -> None:
    """DIMENSIONS alone costs no RSS, but calamine reserves it: under RLIMIT_AS the process aborts."""
    one_cell = "xls_helpers.declared_only_sheets()"
    code = (
        "import io, resource\n"
        f"data = xls_helpers.xls_file({one_cell})\n"
        "import python_calamine\n"
        "resource.setrlimit(resource.RLIMIT_AS, (600 << 20, 600 << 20))\n"
        "python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))\n"
        "print('survived')\n"
    )
    done = _run(code)
    assert done.returncode == -signal.SIGABRT, (done.returncode, done.stdout, done.stderr[-500:])
    assert "memory allocation of 671088640 bytes failed" in done.stderr
    # … while without the limit it is harmless in RSS and reads as one cell
    stats = _peak_rss_mib(
        "import io\n"
        f"data = xls_helpers.xls_file({one_cell})\n"
        "sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name('Sheet1')\n"
        "result = (sheet.height, sheet.width)\n"
    )
    assert stats["result"] == "(1, 1)" and stats["after"] - stats["before"] < 32, stats
    extents = xls_sheet_extents(h.workbook_stream(h.declared_only_sheets()), max_cells=MAX_CELLS)
    assert extents is not None and extents[0].held == Box(0, 0, 0, 0)
    assert too_large(extents, MAX_CELLS) is not None  # refused: the declared range is what is reserved


@pytest.mark.parametrize(
    "dims",
    [(0, 0xFFFFFFFF, 0, 255), (10, 5, 0, 1)],  # absurd rwMac; rwMac < rwMic wraps to ~4e9 rows in calamine
)
def test_absurd_dimensions_abort_calamine_and_are_refused(dims: tuple[int, int, int, int]) -> None:
    sheets = [h.Sheet("Sheet1", dims, [h.number(0, 0, 1.0)])]
    done = _run(
        "import io, python_calamine\n"
        f"data = xls_helpers.xls_file([xls_helpers.Sheet('Sheet1', {dims!r}, [xls_helpers.number(0, 0, 1.0)])])\n"
        "python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))\n"
    )
    assert done.returncode == -signal.SIGABRT, (done.returncode, done.stderr[-500:])
    extents = xls_sheet_extents(h.workbook_stream(sheets), max_cells=MAX_CELLS)
    assert extents is not None and extents[0].declared is not None
    assert extents[0].declared.area > 4_000_000_000
    reason = too_large(extents, MAX_CELLS)
    assert reason is not None and "声明的数据区域" in reason


# -- normal .xls: extents agree with calamine ---------------------------------------------------------


def _small_sheets() -> list[h.Sheet]:
    return [
        h.Sheet(
            "数据",
            (1, 9, 1, 12),
            [
                h.row_record(1, 1, 12),
                h.label(1, 1, "项目名称"),
                h.number(2, 2, 19.47),
                h.rk_integer(3, 1, 42),
                h.mulrk(4, 2, [1, 2, 3, 4]),
                h.boolerr(5, 3, True),
                h.formula(6, 4, 2.0),
                h.shrfmla(6, 7, 4, 5),
                h.array(2, 3, 8, 8),
                h.blank(8, 11),  # styled blanks reach further than the values
                h.mulblank(7, 1, 11),
            ],
        ),
        h.Sheet("Second", (0, 1, 0, 1), [h.number(0, 0, 1.0)]),
        h.Sheet("Empty", None, []),
    ]


def test_small_xls_is_accepted_and_matches_calamine() -> None:
    sheets = _small_sheets()
    extents = xls_sheet_extents(h.workbook_stream(sheets), max_cells=MAX_CELLS)
    assert extents is not None
    assert [extent.name for extent in extents] == ["数据", "Second", "Empty"]
    first = extents[0]
    assert first.declared == Box(1, 1, 8, 11)
    assert first.held == Box(1, 1, 6, 5)
    assert first.held_cells == 9  # label, number, rk, 4 × mulrk, boolerr, formula
    assert first.touched == Box(1, 1, 8, 11)
    assert first.formulas == Box(6, 4, 6, 4)
    assert first.largest_shared == 4
    assert extents[1].held == Box(0, 0, 0, 0) and extents[2].held is None and extents[2].declared is None
    assert too_large(extents, MAX_CELLS) is None

    book = CalamineWorkbook.from_filelike(io.BytesIO(h.xls_file(sheets)))
    assert book.sheet_names == ["数据", "Second", "Empty"]
    for extent in extents:
        sheet = book.get_sheet_by_name(extent.name)
        if extent.held is None:
            assert sheet.height * sheet.width == 0
            continue
        assert sheet.start == (extent.held.first_row, extent.held.first_col)
        assert (sheet.height, sheet.width) == (extent.held.rows, extent.held.cols)
    rows = book.get_sheet_by_name("数据").to_python()
    assert rows[0][0] == "项目名称" and rows[3][1:5] == [1, 2, 3, 4]


def test_biff5_stream() -> None:
    """BIFF5/7 ("Book" stream): 8-bit sheet names in the CODEPAGE, DIMENSIONS with u16 rows."""
    name = "表一".encode("cp936")
    globals_ = h.record(0x0809, struct.pack("<HHHH", 0x0500, 0x0005, 0, 0)) + h.record(
        0x0042, struct.pack("<H", 936)
    )
    sheet = (
        h.record(0x0809, struct.pack("<HHHH", 0x0500, 0x0010, 0, 0))
        + h.record(0x0200, struct.pack("<HHHHH", 0, 300, 0, 3, 0))
        + h.number(299, 2, 1.0)
        + h.EOF
    )
    boundsheet_len = 4 + 7 + len(name)
    offset = len(globals_) + boundsheet_len + 4
    stream = globals_ + h.record(0x0085, struct.pack("<IBBB", offset, 0, 0, len(name)) + name) + h.EOF + sheet
    extents = xls_sheet_extents(stream, max_cells=MAX_CELLS)
    assert extents == [
        SheetExtent("表一", "xls", Box(0, 0, 299, 2), Box(299, 2, 299, 2), 1, Box(299, 2, 299, 2), None, 0)
    ]


@pytest.mark.libreoffice
def test_libreoffice_xls_files_agree_with_calamine(tmp_path: Path) -> None:
    import olefile  # a dependency of extract-msg; only the tests read the OLE container this way
    from template_helpers import converted_templates

    files = converted_templates(tmp_path, formats=("xls",))["xls"]
    assert files
    for path in files:
        data = path.read_bytes()
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            stream = ole.openstream("Workbook").read()
        extents = xls_sheet_extents(stream, max_cells=MAX_CELLS)
        assert extents is not None, path.name
        assert too_large(extents, MAX_CELLS) is None
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        assert [extent.name for extent in extents] == book.sheet_names
        for extent in extents:
            sheet = book.get_sheet_by_name(extent.name)
            assert extent.held is not None
            assert sheet.start == (extent.held.first_row, extent.held.first_col), (path.name, extent)
            assert (sheet.height, sheet.width) == (extent.held.rows, extent.held.cols), (path.name, extent)


def test_xls_scan_stops_at_the_cell_limit() -> None:
    sheets = [
        h.Sheet("A", (0, 10, 0, 10), [h.mulrk(row, 0, list(range(10))) for row in range(10)]),
        h.Sheet("B", (0, 10, 0, 10), [h.mulrk(row, 0, list(range(10))) for row in range(10)]),
        h.Sheet("C", (0, 1, 0, 1), [h.number(0, 0, 1.0)]),
    ]
    stream = h.workbook_stream(sheets)
    extents = xls_sheet_extents(stream, max_cells=150)
    assert extents is not None
    assert [(extent.name, extent.stopped) for extent in extents] == [("A", False), ("B", True)]
    assert too_large(extents, 150) == "工作表“B”存有数据的单元格超过 150 个，超过可读取的上限，拒绝读取。"
    # each sheet fits 150 but calamine materialises all sheets of an .xls at open: the sum is bounded
    extents = xls_sheet_extents(stream, max_cells=250)
    assert extents is not None and not any(extent.stopped for extent in extents)
    assert too_large(extents, 199) is not None
    assert too_large(extents, 250) is None


def test_xls_formula_range_counts() -> None:
    sheets = [h.Sheet("F", None, [h.number(0, 0, 1.0), h.formula(0, 0, 1.0), h.formula(1999, 250, 1.0)])]
    extents = xls_sheet_extents(h.workbook_stream(sheets), max_cells=MAX_CELLS)
    assert extents is not None and extents[0].formulas == Box(0, 0, 1999, 250)
    assert too_large(extents, 400_000) is not None  # values 502,000 + formulas 502,000
    assert too_large(extents, 1_100_000) is None


# -- .xlsx: styled-only cells and empty rows are not "held" --------------------------------------------


def _openpyxl_sheet_xml(xml_edit: bool) -> tuple[bytes, bytes]:
    """An openpyxl workbook of 40 cells (A1:D10), and the same with LibreOffice-5-style far references."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "填报"
    for row in range(1, 11):
        for col in range(1, 5):
            sheet.cell(row=row, column=col, value=row * 10 + col if col > 1 else f"项目{row}")
    sheet["A1"].font = Font(bold=True)  # so that style index 1 exists
    buffer = io.BytesIO()
    workbook.save(buffer)
    original = buffer.getvalue()
    if not xml_edit:
        return original, b""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                styled = b'<c r="E5" s="1"/><c r="AAA5" s="1"></c><c r="XFC5" s="1" /><c r="XFD5" s="1"/>'
                data, n = re.subn(rb'(<row r="5"[^>]*>.*?)(</row>)', rb"\1" + styled + rb"\2", data)
                assert n == 1
                data = data.replace(
                    b"</sheetData>",
                    b'<row r="1048575" s="1" customFormat="1"></row><row r="1048576"/></sheetData>',
                )
                data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', data)
                sheet_xml = data
            dst.writestr(info, data)
    return out.getvalue(), sheet_xml


def test_xlsx_far_styled_cells_and_empty_rows_are_not_held() -> None:
    data, sheet_xml = _openpyxl_sheet_xml(True)
    assert b'<row r="1048576"/>' in sheet_xml and b'<c r="XFD5" s="1"/>' in sheet_xml
    extent = xlsx_sheet_extent(sheet_xml, max_cells=MAX_CELLS, name="填报")
    assert extent.format == "xlsx" and not extent.damaged and not extent.stopped
    assert extent.held == Box(0, 0, 9, 3) and extent.held_cells == 40
    assert extent.declared == Box(0, 0, 1048575, 16383)
    assert extent.touched is None  # not measured for .xlsx (it would cost a step per styled cell)
    assert too_large([extent], MAX_CELLS) is None
    # calamine, the second reader, sizes the sheet from the same held cells …
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("填报")
    assert (sheet.start, sheet.height, sheet.width) == ((0, 0), 10, 4)


def test_xlsx_far_styled_cells_cost_calamine_nothing(tmp_path: Path) -> None:
    data, _xml = _openpyxl_sheet_xml(True)
    path = tmp_path / "styled.xlsx"
    path.write_bytes(data)
    stats = _peak_rss_mib(
        f"data = open({str(path)!r}, 'rb').read()\n"
        "import io\n"
        "sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name('填报')\n"
        "result = (sheet.height, sheet.width, len(sheet.to_python()))\n"
    )
    assert stats["result"] == "(10, 4, 10)"
    assert stats["after"] - stats["before"] < 16, stats


def test_xlsx_held_far_cell_is_refused() -> None:
    xml = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
        b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>'
    )
    extent = xlsx_sheet_extent(xml, max_cells=MAX_CELLS, name="S")
    assert extent.held == Box(0, 0, 1048575, 16383) and extent.held_cells == 2
    assert too_large([extent], MAX_CELLS) == (
        "工作表“S”存有数据的区域为 1048576 行 × 16384 列（A1:XFD1048576），超过可读取的上限，拒绝读取。"
    )


@pytest.mark.parametrize(
    "cell",
    [
        b'<c r="XFD99"><f>1+1</f></c>',
        b'<c r="XFD99" t="inlineStr"><is><t>x</t></is></c>',
        b'<x:c r="XFD99"><x:v>1</x:v></x:c>',  # prefixed SpreadsheetML
        b'<c r="XFD99"><!-- </c> --><v>1</v></c>',  # content of any kind counts: nothing hides a value
        b'<c t="n" q=">" r="XFD99"><v>1</v></c>',  # ">" inside an attribute value
    ],
)
def test_xlsx_held_cell_forms(cell: bytes) -> None:
    xml = (
        b'<worksheet><sheetData><row r="99"><c r="A99"><v>1</v></c>'
        + cell
        + b"</row></sheetData></worksheet>"
    )
    extent = xlsx_sheet_extent(xml, max_cells=10)
    assert extent.held == Box(98, 0, 98, 16383), cell
    assert too_large([extent], 10) is not None


def test_xlsx_cells_without_references_and_shared_formulas() -> None:
    xml = (
        b"<worksheet><dimension ref='B2'/><sheetData>"
        b"<row><c><v>1</v></c><c/><c><v>2</v></c></row>"
        b'<row r="4"><c r="B4"><f t="shared" ref="B4:B1003" si="0">A4</f><v>1</v></c><c s="2"/></row>'
        b"</sheetData></worksheet>"
    )
    extent = xlsx_sheet_extent(xml, max_cells=100)
    assert extent.declared == Box(1, 1, 1, 1)
    assert extent.held == Box(0, 0, 3, 2) and extent.held_cells == 3
    assert extent.formulas == Box(3, 1, 3, 1) and extent.largest_shared == 1000


def test_xlsx_scan_stops_and_bad_references_are_damaged() -> None:
    many = b"<sheetData><row r='1'>" + b"".join(b"<c><v>1</v></c>" for _ in range(50)) + b"</row></sheetData>"
    extent = xlsx_sheet_extent(many, max_cells=20)
    assert extent.stopped and extent.held_cells == 21
    assert too_large([extent], 20) is not None
    for bad in (
        b'<c r="A0"><v>1</v></c>',
        b'<c r="A99999999"><v>1</v></c>',
        b'<c r="XFE1"><v>1</v></c>',
        b'<c r="1A"><f>1</f></c>',
        b'<row r="x"><c><v>1</v></c></row>',  # a cell without r="" takes its row from <row r>
    ):
        extent = xlsx_sheet_extent(b"<sheetData>" + bad + b"</sheetData>", max_cells=20)
        assert extent.damaged, bad
        assert too_large([extent], 20) is not None


# -- hostile .xls streams ------------------------------------------------------------------------------


def _hostile_ok(stream: bytes) -> list[SheetExtent] | None:
    start = time.perf_counter()
    result = xls_sheet_extents(stream, max_cells=MAX_CELLS)
    assert time.perf_counter() - start < 2
    if result is not None:
        too_large(result, MAX_CELLS)
    return result


def test_every_truncation_is_damaged_not_an_exception() -> None:
    stream = h.workbook_stream(_small_sheets())
    assert _hostile_ok(stream) is not None
    for cut in range(len(stream)):
        assert _hostile_ok(stream[:cut]) is None, cut


def test_hostile_structures() -> None:
    good = h.workbook_stream(_small_sheets())
    bof_globals = h.bof(0x0005)
    cases = {
        "empty": b"",
        "not bof": h.EOF + good,
        "biff2 bof": h.record(0x0009, b"\x00\x00\x10\x00") + h.EOF,
        "record past end": bof_globals + struct.pack("<HH", 0x0085, 0xFFFF) + b"\x00" * 20,
        "offset past end": bof_globals + h.boundsheet(10**9, "S") + h.EOF,
        "offset max": bof_globals + h.boundsheet(0xFFFFFFFF, "S") + h.EOF,
        "offset into globals": bof_globals + h.boundsheet(0, "S") + h.EOF,
        "offset not at bof": bof_globals
        + h.boundsheet(len(bof_globals) + 28, "S")
        + h.EOF
        + h.number(0, 0, 1),
        "short boundsheet": bof_globals + h.record(0x0085, b"\x01\x02") + h.EOF,
        "name past record": bof_globals + h.record(0x0085, struct.pack("<IBBBB", 40, 0, 0, 200, 1)) + h.EOF,
        "no eof in sheet": h.workbook_stream([h.Sheet("S", None, [])])[:-4],
        "bad dimensions length": h.workbook_stream([h.Sheet("S", None, [h.record(0x0200, b"\x00" * 12)])]),
        "short number": h.workbook_stream([h.Sheet("S", None, [h.record(0x0203, b"\x00" * 4)])]),
        "bad mulrk": h.workbook_stream(
            [h.Sheet("S", None, [h.record(0x00BD, struct.pack("<HHIH", 0, 5, 0, 1))])]
        ),
        "nesting bomb": h.workbook_stream([h.Sheet("S", None, [h.bof(0x0010)] * 100)]),
    }
    for label, stream in cases.items():
        assert _hostile_ok(stream) is None, label


def test_overlapping_substreams_are_damaged_in_bounded_time() -> None:
    """10,000 BOUNDSHEETs all pointing at one large substream: refused, not scanned 10,000 times."""
    cells = [h.number(row, 0, 1.0) for row in range(20_000)]
    body = h.bof(0x0010) + b"".join(cells) + h.EOF
    n = 10_000
    globals_len = len(h.bof(0x0005)) + n * len(h.boundsheet(0, "S")) + 4
    stream = h.bof(0x0005) + h.boundsheet(globals_len, "S") * n + h.EOF + body
    assert _hostile_ok(stream) is None


def test_large_legit_values_do_not_raise() -> None:
    sheets = [
        h.Sheet(
            "S",
            (0xFFFFFFF0, 0xFFFFFFFF, 0xFFFF, 0xFFFF),
            [h.number(0xFFFF, 0xFFFF, 1.0), h.mulblank(0xFFFF, 0xFFF0, 0xFFFF)],
        ),
    ]
    extents = _hostile_ok(h.workbook_stream(sheets))
    assert extents is not None and extents[0].held == Box(0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF)


def test_random_corruption_never_raises() -> None:
    rng = random.Random(51535)
    good = h.workbook_stream(_small_sheets())
    for _ in range(3000):
        data = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            position = rng.randrange(len(data))
            data[position] = rng.randrange(256)
        if rng.random() < 0.2:
            del data[rng.randrange(len(data)) :]
        _hostile_ok(bytes(data))
    for _ in range(300):
        _hostile_ok(bytes(rng.randrange(256) for _ in range(rng.randint(0, 300))))


def test_random_xlsx_fragments_never_raise() -> None:
    rng = random.Random(7)
    _data, xml = _openpyxl_sheet_xml(True)
    for _ in range(300):
        data = bytearray(xml)
        for _ in range(rng.randint(1, 10)):
            data[rng.randrange(len(data))] = rng.choice(b"<>/\"' =rcfv0123456789AXZ:")
        extent = xlsx_sheet_extent(bytes(data), max_cells=1000)
        too_large([extent], 1000)


# -- .xlsx: the fast path and the general walk agree; hostile parts stay linear -------------------------

_XLSX_SAMPLES = [
    b'<sheetData><row r="1"><c r="A1" s="1"/><c r="B1"><v>1</v></c><c r="C1" t="s"><v>0</v></c></row>'
    b'<row r="7"><c r="D7"><f t="shared" ref="D7:D9" si="0">A1</f><v>2</v></c><c r="XFD7" s="2"></c></row>'
    b'<row r="9"><c r="C9" t="inlineStr"><is><t>text</t></is></c><c r="E9"><f>1</f></c></row></sheetData>',
    b'<sheetData><row r="2"><c r="B2"\nt="n"><v>1</v></c><c\nr="AB30"><v>1</v></c></row></sheetData>',
    b"<sheetData><row r='3'><c t='n' r='C3'><v>1</v></c><c r='Z4' s='1'/></row></sheetData>",
]


@pytest.mark.parametrize("xml", _XLSX_SAMPLES)
def test_xlsx_fast_path_agrees_with_the_walk(xml: bytes) -> None:
    from perfsheet.ingest import extent

    walk = extent._xlsx_walk(xml, MAX_CELLS)
    assert not walk.damaged and walk.count > 0
    result = xlsx_sheet_extent(xml, max_cells=MAX_CELLS)
    assert (result.held, result.held_cells, result.formulas, result.largest_shared) == (
        walk.held.box(),
        walk.count,
        walk.formulas.box(),
        walk.shared,
    )
    try:
        fast = extent._xlsx_fast(xml, MAX_CELLS)
    except extent._Odd:
        return
    assert (fast.held.box(), fast.count, fast.formulas.box(), fast.shared) == (
        walk.held.box(),
        walk.count,
        walk.formulas.box(),
        walk.shared,
    )


def test_openpyxl_part_agrees_between_paths() -> None:
    from perfsheet.ingest import extent

    _data, xml = _openpyxl_sheet_xml(True)
    fast = extent._xlsx_fast(xml, MAX_CELLS)
    walk = extent._xlsx_walk(xml, MAX_CELLS)
    assert fast.held.box() == walk.held.box() == Box(0, 0, 9, 3) and fast.count == walk.count == 40


@pytest.mark.parametrize(
    "xml",
    [
        b"<c " * 200_000,  # start tags that never end
        b'<c r="A1"' + b"<v>" * 200_000,
        b'<c r="A1">' + b"<v>1</v>" * 100_000 + b"</c>",
        b'<c r="A1">' + b"<f " * 200_000,
        b"<dimension " * 200_000,
        b'<c x="' * 200_000,
        b'<x:c r="A1"/>' * 100_000,  # prefixed names take the general walk
        b"<c>" + b'<c r="A1" s="1"/>' * 100_000,
        b'<c r="A1"><v>1</v></c>' + b"<v>" * 200_000,  # values outside any cell
    ],
)
def test_hostile_xlsx_parts_are_linear(xml: bytes) -> None:
    start = time.perf_counter()
    extent = xlsx_sheet_extent(xml, max_cells=MAX_CELLS)
    assert time.perf_counter() - start < 3
    too_large([extent], MAX_CELLS)


def test_many_styled_empty_cells_cost_no_python_step_each() -> None:
    xml = b"<sheetData>" + b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c>' % (i, i) for i in range(1, 11))
    xml += b"".join(b'<c r="B%d" s="1"/>' % i for i in range(1, 500_001)) + b"</row></sheetData>"
    start = time.perf_counter()
    extent = xlsx_sheet_extent(xml, max_cells=MAX_CELLS)
    assert time.perf_counter() - start < 1.5
    assert extent.held == Box(0, 0, 9, 0) and extent.held_cells == 10
