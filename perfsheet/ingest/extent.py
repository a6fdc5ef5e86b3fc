"""How much of a worksheet python-calamine would materialise — measured on the raw bytes, before calamine.

Pure functions over bytes (stdlib only), for :mod:`perfsheet.ingest.reader`: refuse a sheet that is too
large *before* python-calamine allocates it (a 5 KB .xls can cost a GB, or abort the process), and
accept a sheet whose declared or styled range is huge but whose cells are few (LibreOffice 5's empty
``<row r="1048576"/>``, styled empty cells out to column XFD).

API
===

``xls_sheet_extents(workbook_stream, *, max_cells) -> list[SheetExtent] | None``
    The BIFF8 or BIFF5/7 ``Workbook``/``Book`` stream, already taken out of the OLE compound file
    (reader's ``_CompoundFile.read``) and already checked for FILEPASS (an encrypted stream reads as
    damaged). One :class:`SheetExtent` per BOUNDSHEET record, in workbook order. ``None`` means
    damaged: not a BIFF5/8 globals substream (BIFF2–4 included), a record running past the end, a
    BOUNDSHEET whose name overruns it or whose offset does not point at a BOF after the globals, a
    substream without its EOF or nested more than 16 deep, substreams overlapping each other, or a
    record shorter than what calamine reads from it (DIMENSIONS not 10/14 bytes, NUMBER < 14, FORMULA
    < 20, a MULRK whose length disagrees with its columns…: calamine fails on those too). Map ``None``
    to ``truncated``/``unreadable``. The scan stops once the value cells of all sheets together exceed
    ``max_cells``: the list then ends with that sheet, flagged ``stopped=True``.

``xlsx_sheet_extent(sheet_xml, *, max_cells, name="") -> SheetExtent``
    One worksheet part (``xl/worksheets/sheetN.xml``, already checked for DOCTYPE/ENTITY by the
    caller; ``name`` only labels the message). Measures the cells that *hold* something — a ``<c>``
    element with any content (``<v>``, ``<is>``, ``<f>``, in fact anything but blanks between the
    tags: a superset of what calamine keeps, so a comment or CDATA cannot hide a value) — and ignores
    ``<row>`` elements and styled-only cells (``<c r="XFD5" s="3"/>``, ``<c …></c>``); ``declared``
    is ``<dimension ref>``. ``stopped=True`` once held cells exceed ``max_cells`` (or the part has
    more than 3 × ``max_cells`` value elements, or more than 2 × ``max_cells`` ``<c>`` tags on the
    general walk below); ``damaged=True`` for a cell reference outside A1:XFD1048576 or unreadable,
    a ``<row r>`` that is not a row number, or (general walk) a start tag with "<" inside or no ">".

``too_large(extents, max_cells) -> str | None``
    ``None`` when the workbook may be loaded, else one Chinese sentence for the user (ending in
    "拒绝读取。", without a re-save hint: the caller appends its own). Also refuses ``stopped`` and
    ``damaged`` extents, whose size could not be bounded — map the result to ``sheet-too-large``.

:class:`SheetExtent` fields: ``name``, ``format`` (``"xls"``/``"xlsx"``), ``declared``, ``held``
(:class:`Box` or None), ``held_cells``, ``touched`` (xls only: bounding box of every cell record,
BLANK/MULBLANK included; None for xlsx), ``formulas`` (bounding box of formula cells), ``largest_shared``
(cells in the largest SHRFMLA/ARRAY range, xlsx ``<f ref>``; informational), ``stopped``, ``damaged``.
:class:`Box` is 0-based and inclusive, with ``rows``, ``cols``, ``area``.

Neither function raises for any ``bytes`` input, so there is no exception type to map. Memory is
O(number of sheets), never proportional to a declared range or to the number of cells. Time is linear:
every .xls substream byte is visited once; an .xlsx part is searched at C speed and Python steps are
spent only per held cell (about 3.5 µs each on the development machine, so 1,000,000 held cells take
about 3.5 s; styled empty cells cost nothing). Parts with prefixed element names (``<x:c>``), cells
without ``r=""`` or a ``<c`` followed by a line break take the general walk instead, one Python step
per ``<c>``/``<row>`` tag (about 4 µs each).

Why the rules differ between .xls and .xlsx
===========================================

Measured with python-calamine 0.9.1 on Linux, peak RSS from ``resource.getrusage`` in a fresh
subprocess that imported only python-calamine (baseline 14 MiB). The workbooks are built by
``tests/xls_helpers.py`` and ``tests/test_extent.py``, which repeat these measurements:

* **.xls, cells held far apart** — DIMENSIONS 65,536 × 256 and two NUMBER cells, A1 and IV65536, in a
  5.5 KB file: 526 MiB after ``CalamineWorkbook.from_filelike`` and 1,038 MiB after
  ``get_sheet_by_name``. calamine parses *every* .xls sheet when the workbook is opened, and for each
  builds a dense range over the bounding box of the cells it read (``Range::from_sparse``, 32 bytes a
  cell), FORMULA cells also a dense formula range over their own box (two FORMULA cells at A1 and
  IV65536: 849 MiB more at open). Without a DIMENSIONS record the cost is the same. So for .xls the *held* and *formula* boxes are bounded per sheet, and their sum
  over all sheets (all are materialised at open).
* **.xls, declared range only** — DIMENSIONS 65,536 × 256 and one cell at A1: 14 MiB, no cost in RSS,
  and calamine reports a 1 × 1 sheet: it reserves 40 bytes per *declared* cell (671 MB here) and
  never touches the pages. It is still dangerous: under ``RLIMIT_AS`` = 600 MiB the reservation
  fails and the Rust allocator **aborts the process** (SIGABRT, "memory allocation of 671088640 bytes
  failed" — no Python exception, nothing to catch). A DIMENSIONS record with rwMac = 0xFFFFFFFF aborts
  it with no limit set ("memory allocation of 43808666409000 bytes failed"), and so does rwMac < rwMic,
  which calamine's unsigned arithmetic wraps to about 4 × 10⁹ rows. Hence for .xls the *declared*
  range, computed exactly as calamine computes it, is refused above ``max_cells`` as well.
* **.xlsx** — calamine's xlsx reader drops cells whose value is empty and sizes the range from the
  cells it kept; it reserves for ``<dimension ref>`` only below 100,000 cells. An openpyxl workbook of
  40 cells (A1:D10) with ``<dimension ref="A1:XFD1048576"/>``, an empty ``<row r="1048576"/>`` and
  styled empty cells out to ``<c r="XFD5" s="1"/>`` added reads as a 10 × 4 sheet at baseline RSS
  (no growth after ``get_sheet_by_name`` and ``to_python``). Hence for .xlsx only the *held* box is
  bounded; ``<dimension>``, empty rows and styled cells are ignored (the caller's old bounding box of
  every ``r=`` reference refused this file).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["Box", "SheetExtent", "too_large", "xls_sheet_extents", "xlsx_sheet_extent"]


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle of cells, 0-based and inclusive (A1 is row 0, column 0)."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int

    @property
    def rows(self) -> int:
        return self.last_row - self.first_row + 1

    @property
    def cols(self) -> int:
        return self.last_col - self.first_col + 1

    @property
    def area(self) -> int:
        return self.rows * self.cols


@dataclass(frozen=True, slots=True)
class SheetExtent:
    """What one sheet declares and what it holds.

    ``declared``: xls DIMENSIONS (as calamine computes it) / xlsx ``<dimension ref>``; ``held``:
    bounding box of the cells holding a value (xls: NUMBER, RK, MULRK, LABEL, LABELSST, RSTRING,
    BOOLERR, FORMULA, STRING; xlsx: ``<c>`` with content); ``touched``: xls only, bounding box of every
    cell record including BLANK/MULBLANK (None for xlsx); ``formulas``: bounding box of the formula
    cells; ``largest_shared``: cells in the largest SHRFMLA/ARRAY (xlsx: ``<f ref>``) range.
    """

    name: str
    format: Literal["xls", "xlsx"]
    declared: Box | None
    held: Box | None
    held_cells: int
    touched: Box | None = None
    formulas: Box | None = None
    largest_shared: int = 0
    stopped: bool = False  # the scan stopped at the cell limit; boxes and counts are partial
    damaged: bool = False  # xlsx: a cell reference could not be read


# -- boxes --------------------------------------------------------------------------------------------


class _BoxBuilder:
    __slots__ = ("c0", "c1", "r0", "r1")

    def __init__(self) -> None:
        self.r0 = self.c0 = 1 << 62
        self.r1 = self.c1 = -1

    def add(self, row: int, first_col: int, last_col: int | None = None) -> None:
        last = first_col if last_col is None else last_col
        if row < self.r0:
            self.r0 = row
        if row > self.r1:
            self.r1 = row
        if first_col < self.c0:
            self.c0 = first_col
        if last > self.c1:
            self.c1 = last

    def box(self) -> Box | None:
        return None if self.r1 < 0 else Box(self.r0, self.c0, self.r1, self.c1)


# -- xls ------------------------------------------------------------------------------------------------

_BOF: Final = 0x0809
_EOF: Final = 0x000A
_BOUNDSHEET: Final = 0x0085
_CODEPAGE: Final = 0x0042
_DIMENSIONS: Final = 0x0200
_FORMULA: Final = 0x0006
_STRING: Final = 0x0207
_MULRK: Final = 0x00BD
_BLANK: Final = 0x0201
_MULBLANK: Final = 0x00BE
_SHRFMLA: Final = 0x04BC
_ARRAY: Final = 0x0221
# value records calamine turns into cells → shortest payload calamine accepts
_VALUE_RECORDS: Final = {
    0x0203: 14,  # NUMBER
    0x0204: 6,  # LABEL
    0x00D6: 6,  # RSTRING
    0x0205: 8,  # BOOLERR
    0x027E: 10,  # RK
    0x00FD: 10,  # LABELSST
    _FORMULA: 20,
}
_MAX_SUBSTREAM_DEPTH: Final = 16


class _Damaged(Exception):
    pass


def xls_sheet_extents(workbook_stream: bytes, *, max_cells: int) -> list[SheetExtent] | None:
    """Per-sheet extents of a BIFF5/7/8 workbook stream, or None when the stream is damaged."""
    try:
        return _xls_extents(memoryview(workbook_stream), max_cells)
    except (_Damaged, struct.error, IndexError, ValueError, OverflowError):
        return None


def _xls_extents(stream: memoryview, max_cells: int) -> list[SheetExtent]:
    size = len(stream)
    if size < 8:
        raise _Damaged
    typ, length = struct.unpack_from("<HH", stream, 0)
    if typ != _BOF or length < 4 or 4 + length > size:
        raise _Damaged
    version, kind = struct.unpack_from("<HH", stream, 4)
    if version not in (0x0500, 0x0600) or kind != 0x0005:
        raise _Damaged
    biff8 = version == 0x0600
    encoding = "latin-1"
    sheets: list[tuple[int, bytes, bool]] = []  # (offset, raw name, name is UTF-16)
    offset = 4 + length
    globals_end = -1
    while offset < size:
        typ, length, payload = _record(stream, offset)
        if typ == _EOF:
            globals_end = offset + 4
            break
        if typ == _CODEPAGE and length >= 2:
            encoding = _codepage(struct.unpack_from("<H", stream, payload)[0])
        elif typ == _BOUNDSHEET:
            sheets.append(_boundsheet(stream, payload, length, biff8))
        offset = payload + length
    if globals_end < 0:
        raise _Damaged
    extents: list[SheetExtent] = []
    budget = size - globals_end  # substream bytes: each byte of the stream belongs to one sheet at most
    remaining = max_cells
    for position, raw, wide in sheets:
        if position < globals_end:
            raise _Damaged  # a sheet inside the globals substream
        name = raw.decode("utf-16-le" if wide else encoding, errors="replace")
        extent, scanned = _xls_sheet(stream, position, name, remaining)
        budget -= scanned
        if budget < 0:
            raise _Damaged  # substreams overlapping each other: visiting them again could be quadratic
        extents.append(extent)
        remaining -= extent.held_cells
        if extent.stopped:
            break
    return extents


def _record(stream: memoryview, offset: int) -> tuple[int, int, int]:
    if offset + 4 > len(stream):
        raise _Damaged
    typ, length = struct.unpack_from("<HH", stream, offset)
    if offset + 4 + length > len(stream):
        raise _Damaged
    return typ, length, offset + 4


def _codepage(number: int) -> str:
    if number in (1200, 0x8000, 0x8001):  # UTF-16 / Mac Roman / Windows-1252 quirks
        return "latin-1"
    candidate = f"cp{number}"
    try:
        "".encode(candidate)
    except LookupError:
        return "latin-1"
    return candidate


def _boundsheet(stream: memoryview, payload: int, length: int, biff8: bool) -> tuple[int, bytes, bool]:
    if length < 7:
        raise _Damaged
    position = struct.unpack_from("<I", stream, payload)[0]
    count = stream[payload + 6]
    if biff8:
        if length < 8:
            raise _Damaged
        wide = bool(stream[payload + 7] & 1)
        start = payload + 8
        raw = bytes(stream[start : start + (2 * count if wide else count)])
        if len(raw) != (2 * count if wide else count) or start + len(raw) > payload + length:
            raise _Damaged
        return position, raw, wide
    start = payload + 7
    raw = bytes(stream[start : start + count])
    if len(raw) != count or start + count > payload + length:
        raise _Damaged
    return position, raw, False


def _declared(payload: bytes) -> Box:
    """DIMENSIONS exactly as calamine sizes its reservation (u32 arithmetic wrapping, colMic fix-up)."""
    if len(payload) == 14:
        rf, rl, cf, cl = struct.unpack_from("<IIHH", payload, 0)
    elif len(payload) == 10:
        rf, rl, cf, cl = struct.unpack_from("<HHHH", payload, 0)
    else:
        raise _Damaged  # calamine fails on any other length
    if cf > 0xFF or cl < cf:
        cf = 0
    end_row, end_col = (rl - 1, cl - 1) if rl >= 1 and cl >= 1 else (rf, cf)
    rows = (end_row - rf + 1) & 0xFFFFFFFF
    cols = (end_col - cf + 1) & 0xFFFFFFFF
    return Box(rf, cf, rf + rows - 1, cf + cols - 1)


@dataclass(slots=True)
class _XlsScan:
    held: _BoxBuilder
    touched: _BoxBuilder
    formulas: _BoxBuilder
    declared: Box | None = None
    count: int = 0
    shared: int = 0
    formula_pos: tuple[int, int] = (0, 0)  # the last FORMULA cell, where a STRING record's text goes


def _xls_sheet(stream: memoryview, position: int, name: str, remaining: int) -> tuple[SheetExtent, int]:
    """One sheet substream from its BOF to the matching EOF → (extent, bytes scanned)."""
    typ, length, payload = _record(stream, position)
    if typ != _BOF:
        raise _Damaged
    offset = payload + length
    depth = 1
    scan = _XlsScan(_BoxBuilder(), _BoxBuilder(), _BoxBuilder())
    stopped = False
    while depth:
        typ, length, payload = _record(stream, offset)
        offset = payload + length
        if typ == _EOF:
            depth -= 1
            continue
        if typ == _BOF:
            depth += 1
            if depth > _MAX_SUBSTREAM_DEPTH:
                raise _Damaged
            continue
        if stopped:
            continue  # still walk to the EOF, so the substream is known to be whole
        _xls_cell_record(scan, stream, typ, length, payload)
        if scan.count > remaining:
            stopped = True
    extent = SheetExtent(
        name=name,
        format="xls",
        declared=scan.declared,
        held=scan.held.box(),
        held_cells=scan.count,
        touched=scan.touched.box(),
        formulas=scan.formulas.box(),
        largest_shared=scan.shared,
        stopped=stopped,
    )
    return extent, offset - position


def _xls_cell_record(scan: _XlsScan, stream: memoryview, typ: int, length: int, payload: int) -> None:
    """Add one record of a sheet substream to the scan (records that place no cell are skipped)."""
    minimum = _VALUE_RECORDS.get(typ)
    if minimum is not None:
        if length < minimum:
            raise _Damaged
        row, col = struct.unpack_from("<HH", stream, payload)
        scan.held.add(row, col)
        scan.touched.add(row, col)
        scan.count += 1
        if typ == _FORMULA:
            scan.formulas.add(row, col)
            scan.formula_pos = (row, col)
    elif typ == _MULRK:
        if length < 6:
            raise _Damaged
        row, first = struct.unpack_from("<HH", stream, payload)
        last = struct.unpack_from("<H", stream, payload + length - 2)[0]
        if last < first or length != 6 + 6 * (last - first + 1):
            raise _Damaged  # calamine checks the same
        scan.held.add(row, first, last)
        scan.touched.add(row, first, last)
        scan.count += last - first + 1
    elif typ == _STRING:
        scan.held.add(*scan.formula_pos)  # calamine puts a formula's string result at the last FORMULA
        scan.touched.add(*scan.formula_pos)
    elif typ == _DIMENSIONS:
        box = _declared(bytes(stream[payload : payload + length]))
        if scan.declared is None or box.area > scan.declared.area:
            scan.declared = box
    elif typ == _BLANK and length >= 4:
        scan.touched.add(*struct.unpack_from("<HH", stream, payload))
    elif typ == _MULBLANK and length >= 6:
        row, first = struct.unpack_from("<HH", stream, payload)
        last = struct.unpack_from("<H", stream, payload + length - 2)[0]
        if last >= first:
            scan.touched.add(row, first, last)
    elif typ in (_SHRFMLA, _ARRAY) and length >= 6:
        r0, r1, c0, c1 = struct.unpack_from("<HHBB", stream, payload)
        if r1 >= r0 and c1 >= c0:
            scan.shared = max(scan.shared, (r1 - r0 + 1) * (c1 - c0 + 1))


# -- xlsx ---------------------------------------------------------------------------------------------

_PREFIX: Final = rb"(?:[A-Za-z_][\w.\-]*:)?"
# A start tag; group 2 is None when it is not well-formed. Attribute values may contain ">" (quoted
# strings are skipped whole, so no value can hide an r="…"), never "<"; so no attempt runs past the
# next "<" and the walk stays linear whatever the input.
_TAG_RE: Final = re.compile(
    rb"<"
    + _PREFIX
    + rb"(c|row|dimension|f)(?=[\s/>])"
    + rb"""(?:([^<>"']*(?:(?:"[^"<]*"|'[^'<]*')[^<>"']*)*)>|)"""
)
_R_RE: Final = re.compile(rb"""(?:^|\s)r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REF_RE: Final = re.compile(rb"""(?:^|\s)ref\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CELL_REF_RE: Final = re.compile(rb"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_EMPTY_CLOSE_RE: Final = re.compile(rb"\s*</" + _PREFIX + rb"c\s*>")
# fast path: only the children that make a cell hold something are visited (empty cells cost nothing)
_CHILD_RE: Final = re.compile(rb"<(v|is|f)[\s/>]")
_DIMENSION_RE: Final = re.compile(rb"<dimension\s[^<>]*>")
# … unless the part uses prefixed element names, attribute-less cells or a cell tag not followed by a space
_NOT_FAST_RE: Final = re.compile(rb"<[A-Za-z_][\w.\-]*:(?:c|row|f|v|is|dimension)[\s/>]|<c[>\t\r\n]")
_MAX_ROW: Final = 1_048_576
_MAX_COL: Final = 16_384


class _Odd(Exception):
    """The fast path met a shape it does not handle; the general walk decides."""


def _attr(pattern: re.Pattern[bytes], attributes: bytes) -> bytes | None:
    match = pattern.search(attributes)
    if match is None:
        return None
    value = match.group(1)
    return match.group(2) if value is None else value


def _column(letters: bytes) -> int:
    col = 0
    for ch in letters.upper():
        col = col * 26 + ch - 64
    return col


def _cell_ref(text: bytes, columns: dict[bytes, int] | None = None) -> tuple[int, int] | None:
    """0-based (row, col) of an A1 reference inside the sheet, else None; ``columns`` caches the column
    letters already converted (a sheet names the same few columns thousands of times)."""
    match = _CELL_REF_RE.fullmatch(text)
    if match is None:
        return None
    letters = match.group(1)
    if columns is None:
        col = _column(letters)
    else:
        col = columns.get(letters) or columns.setdefault(letters, _column(letters))
    row = int(match.group(2))
    if not (1 <= row <= _MAX_ROW and 1 <= col <= _MAX_COL):
        return None
    return row - 1, col - 1


def _range_ref(text: bytes) -> Box | None:
    parts = text.strip().split(b":")
    if len(parts) > 2:
        return None
    first, last = _cell_ref(parts[0]), _cell_ref(parts[-1])
    if first is None or last is None:
        return None
    (r0, c0), (r1, c1) = first, last
    return Box(min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1))


@dataclass(slots=True)
class _XlsxScan:
    held: _BoxBuilder
    formulas: _BoxBuilder
    count: int = 0
    shared: int = 0
    stopped: bool = False
    damaged: bool = False


def xlsx_sheet_extent(sheet_xml: bytes, *, max_cells: int, name: str = "") -> SheetExtent:
    """The held cells of one worksheet part (bounded by ``max_cells``); ``name`` is for messages."""
    scan: _XlsxScan | None = None
    if _NOT_FAST_RE.search(sheet_xml) is None:
        try:
            scan = _xlsx_fast(sheet_xml, max_cells)
        except _Odd:
            scan = None
    if scan is None:
        scan = _xlsx_walk(sheet_xml, max_cells)
    dimension = _DIMENSION_RE.search(sheet_xml)
    ref = None if dimension is None else _attr(_REF_RE, dimension.group(0)[10:-1])
    return SheetExtent(
        name=name,
        format="xlsx",
        declared=None if ref is None else _range_ref(ref),
        held=scan.held.box(),
        held_cells=scan.count,
        formulas=scan.formulas.box(),
        largest_shared=scan.shared,
        stopped=scan.stopped,
        damaged=scan.damaged,
    )


def _xlsx_fast(xml: bytes, max_cells: int) -> _XlsxScan:
    """Visit each ``<v>``/``<is>``/``<f>`` child and the ``<c r="…">`` start tag it belongs to."""
    scan = _XlsxScan(_BoxBuilder(), _BoxBuilder())
    held = scan.held
    rfind, find = xml.rfind, xml.find
    columns: dict[bytes, int] = {}
    last_start = -1
    floor = 0  # every search looks between the previous child and this one: linear in total
    row = col = -1
    budget = 3 * max_cells + 1000
    formula_start = -1
    for children, match in enumerate(_CHILD_RE.finditer(xml), start=1):
        position = match.start()
        start = rfind(b"<c ", floor, position)
        if start < 0:
            # no cell starts since the previous child: this one belongs to the same, still open, cell
            if last_start < 0 or find(b"</c>", floor, position) >= 0:
                raise _Odd  # a value outside any cell
            start = last_start
        floor = position
        if start != last_start:
            end = find(b">", start, position)
            if end < 0 or xml[end - 1] == 47 or find(b"</c>", end, position) >= 0:  # 47: "/"
                raise _Odd  # the nearest cell start is closed: the child is not inside it
            attributes = xml[start + 3 : end]
            if attributes.startswith(b'r="'):
                quote = attributes.find(b'"', 3)
                ref = attributes[3:quote]
            else:
                found = _attr(_R_RE, attributes)
                if found is None:
                    raise _Odd  # a cell without r="": its place depends on the cells before it
                ref = found
            place = _cell_ref(ref, columns)
            if place is None:
                scan.damaged = True
                return scan
            row, col = place
            last_start = start
            held.add(row, col)
            scan.count += 1
            if scan.count > max_cells:
                scan.stopped = True
                return scan
        if children > budget:
            scan.stopped = True  # far more value elements than cells: no sheet within the limit has that
            return scan
        if match.group(1) == b"f" and formula_start != start:
            formula_start = start
            _formula(scan, xml, match.end(), row, col)
    return scan


def _formula(scan: _XlsxScan, xml: bytes, attributes_start: int, row: int, col: int) -> None:
    scan.formulas.add(row, col)
    end = xml.find(b">", attributes_start, attributes_start + 512)  # bounded: "<f" without ">" runs on
    ref = _attr(_REF_RE, xml[attributes_start - 1 : end]) if end >= 0 else None
    box = None if ref is None else _range_ref(ref)
    if box is not None:
        scan.shared = max(scan.shared, box.area)


def _xlsx_walk(xml: bytes, max_cells: int) -> _XlsxScan:
    """Every ``<row>``/``<c>``/``<f>`` tag in order: handles cells without r="" and prefixed names."""
    scan = _XlsxScan(_BoxBuilder(), _BoxBuilder())
    held = scan.held
    row = -1  # 0-based index of the current row; cells without r="" follow the previous one
    col = -1
    columns: dict[bytes, int] = {}
    budget = 2 * max_cells + 1000  # <c> tags, held or not: bounds the time on a part of empty cells
    empty_close = _EMPTY_CLOSE_RE.match
    for match in _TAG_RE.finditer(xml):
        element, attributes = match.group(1), match.group(2)
        if attributes is None:
            scan.damaged = True  # a start tag that is not well-formed ("<" inside, or no ">")
            break
        if element == b"c":
            budget -= 1
            if budget < 0:
                scan.stopped = True
                break
            if attributes.startswith(b' r="'):
                ref: bytes | None = attributes[4 : attributes.find(b'"', 4)]
            else:
                ref = _attr(_R_RE, attributes)
            if ref is None:
                col += 1
                row = max(row, 0)
            else:
                place = _cell_ref(ref, columns)
                if place is None:
                    scan.damaged = True
                    break
                row, col = place
            if attributes.endswith(b"/") or empty_close(xml, match.end()) is not None:
                continue
            held.add(row, col)
            scan.count += 1
            if scan.count > max_cells:
                scan.stopped = True
                break
        elif element == b"row":
            ref = _attr(_R_RE, attributes)
            if ref is None:
                row += 1
            elif ref.isdigit() and 1 <= int(ref) <= _MAX_ROW:
                row = int(ref) - 1
            else:
                scan.damaged = True
                break
            col = -1
        elif element == b"f" and row >= 0 and col >= 0:
            _formula(scan, xml, match.start(2), row, col)
    return scan


# -- the decision -------------------------------------------------------------------------------------


def _materialised(extent: SheetExtent) -> int:
    """Cells calamine allocates densely for the sheet: values, plus (xls) the formula range."""
    area = 0 if extent.held is None else extent.held.area
    if extent.format == "xls" and extent.formulas is not None:
        area += extent.formulas.area
    return area


def too_large(extents: Iterable[SheetExtent], max_cells: int) -> str | None:
    """A Chinese reason to refuse the workbook before calamine sees it, or None to go ahead.

    xls: the declared DIMENSIONS range (calamine reserves it; an absurd one aborts the process) and the
    held/formula boxes (materialised for every sheet at open, so their sum is bounded too). xlsx: the
    held box of each sheet only. ``stopped``/``damaged`` extents are refused as not boundable.
    """
    sheets: Sequence[SheetExtent] = list(extents)
    total = 0
    for extent in sheets:
        label = f"工作表“{extent.name}”" if extent.name else "工作表"
        if extent.damaged:
            return f"{label}的单元格引用无法识别，无法确定数据区域大小，拒绝读取。"
        if extent.stopped:
            return f"{label}存有数据的单元格超过 {max_cells} 个，超过可读取的上限，拒绝读取。"
        declared = extent.declared
        if extent.format == "xls" and declared is not None and declared.area > max_cells:
            return (
                f"{label}声明的数据区域为 {declared.rows} 行 × {declared.cols} 列，"
                "超过可读取的上限，拒绝读取。"
            )
        held = extent.held
        if held is not None and held.area > max_cells:
            return (
                f"{label}存有数据的区域为 {held.rows} 行 × {held.cols} 列"
                f"（{_a1(held.first_row, held.first_col)}:{_a1(held.last_row, held.last_col)}），"
                "超过可读取的上限，拒绝读取。"
            )
        if extent.format == "xls":
            formulas = extent.formulas
            if formulas is not None and formulas.area > max_cells:
                return (
                    f"{label}的公式区域为 {formulas.rows} 行 × {formulas.cols} 列，"
                    "超过可读取的上限，拒绝读取。"
                )
            total += _materialised(extent)
    if total > max_cells:
        return f"各工作表的数据区域合计 {total} 个单元格（.xls 文件打开时全部载入），超过可读取的上限，拒绝读取。"
    return None


def _a1(row: int, col: int) -> str:
    letters = ""
    number = col + 1
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"
