"""Read the cells of a returned workbook, safely and fast — the only module that knows how.

Ingest stage, first half: bytes of an .xlsx/.xlsm/.xls/.ods file → :class:`WorkbookCells` (values as
python-calamine gives them, addressed in Excel's A1 notation), or a :class:`Rejected` value with one
stable code and a Chinese message when the file is unusable. Nothing here raises for a bad file: the
checks (size, container type, encryption, zip bounds, XML entity declarations, sheet area) run on the
bytes before calamine sees them, and calamine's own failures become ``Rejected("unreadable", …)``.

Rejection codes (stable, kebab-case): ``file-too-large``, ``not-a-workbook``, ``encrypted``,
``truncated``, ``zip-bomb``, ``xml-entities``, ``sheet-too-large``, ``unreadable``.

What each format supports (the rest return empty, documented per method):

======================  ======================  ==========================  ==========================
feature                 xlsx / xlsm             ods                         xls
======================  ======================  ==========================  ==========================
values, visibility      calamine                calamine                    calamine
defined names           ``xl/workbook.xml``     ``table:named-range``       ``{}`` (not read)
formula cells           ``<f>`` in sheet XML    ``table:formula`` cells     empty set (not detected)
======================  ======================  ==========================  ==========================
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import hashlib
import io
import os
import re
import struct
import zipfile
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, TypeAlias

from python_calamine import (
    CalamineWorkbook,
    PasswordError,
    SheetMetadata,
    SheetTypeEnum,
    SheetVisibleEnum,
    ZipError,
)

# zlib's API, twice as fast to inflate and ten times as fast to CRC: every return's sheet needs both.
from zlib_ng import zlib_ng

from perfsheet.a1 import a1_to_rc, rc_to_a1, split_cell_ref
from perfsheet.fsutil import os_error_text
from perfsheet.ingest import extent, xmlparts

__all__ = [
    "DEFAULT_MAX_BYTES",
    "CellValue",
    "Limits",
    "RejectCode",
    "Rejected",
    "WorkbookCells",
    "WorkbookFormat",
    "a1_to_rc",
    "open_workbook",
    "rc_to_a1",
    "split_cell_ref",
]

CellValue: TypeAlias = float | int | str | bool | dt.datetime | dt.date | dt.time | dt.timedelta | None
WorkbookFormat: TypeAlias = Literal["xlsx", "xlsm", "xls", "ods"]
Visibility: TypeAlias = Literal["visible", "hidden", "veryhidden"]
RejectCode: TypeAlias = Literal[
    "file-too-large",
    "not-a-workbook",
    "encrypted",
    "truncated",
    "zip-bomb",
    "xml-entities",
    "sheet-too-large",
    "unreadable",
]

DEFAULT_MAX_BYTES: Final = 20 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds applied before any decompression or parsing. Defaults suit monthly returns generously."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_members: int = 10_000  # zip entries
    max_uncompressed: int = 200 * 1024 * 1024  # sum of declared sizes in the central directory
    max_ratio: int = 100  # per member, for members larger than ``ratio_floor``
    ratio_floor: int = 1024 * 1024
    # calamine allocates the whole used range densely (about 32 bytes per cell): a single cell at
    # XFD1048576 would need hundreds of GB, so the used range's area is bounded before loading.
    max_cells: int = 2_000_000


_DEFAULT_LIMITS: Final = Limits()


@dataclass(frozen=True, slots=True)
class Rejected:
    """A file that cannot be read as a workbook: one stable code and a Chinese message for the user."""

    code: RejectCode
    message: str
    sha256: str | None = None  # of the bytes, when they were read (not for an over-size file on disk)


# --------------------------------------------------------------------------------------------- A1


# ----------------------------------------------------------------------------------- the workbook


def _visibility(flag: SheetVisibleEnum) -> Visibility:
    # calamine's enum members are not hashable, so no dict lookup
    if flag == SheetVisibleEnum.VeryHidden:
        return "veryhidden"
    if flag == SheetVisibleEnum.Hidden:
        return "hidden"
    return "visible"


@dataclass(slots=True)
class _Grid:
    """One sheet's used range as calamine returns it, anchored at its absolute top-left cell."""

    top: int
    left: int
    rows: list[list[CellValue]]


# Grids of sheets read before, by what their values depend on (WorkbookCells._grid_key): the hidden
# _perfsheet sheet of every return of one template is the same bytes. Shared between books: read-only.
_GRIDS: OrderedDict[tuple[object, ...], _Grid] = OrderedDict()
_GRIDS_MAX: Final = 64
_GRID_MEMO_CELLS: Final = 5_000  # larger sheets are not kept (a return's are a few hundred cells)


class WorkbookCells:
    """The cells of one opened workbook. Create with :func:`open_workbook`.

    The sheets named in ``open_workbook(sheets=…)`` (all sheets by default) are loaded when the workbook
    is opened, so a damaged one rejects the file. Any other sheet loads on first use; if that fails its
    rows are empty and :attr:`unreadable_sheets` says why — no method raises for a damaged file.
    Unknown sheet names raise ``KeyError`` (a bug in the caller, not a property of the file).
    """

    def __init__(
        self,
        *,
        format: WorkbookFormat,
        sha256: str,
        size: int,
        name: str | None,
        book: CalamineWorkbook,
        metadata: list[SheetMetadata],
        max_cells: int,
        members: _Members | None,
    ) -> None:
        self.format: WorkbookFormat = format
        self.sha256 = sha256  # hex digest of the file's bytes, as archived by the ledger
        self.size = size
        self.name = name
        self.sheet_names: list[str] = [meta.name for meta in metadata]
        self.unreadable_sheets: dict[str, Rejected] = {}  # lazily loaded sheets calamine failed on
        self._book = book
        self._metadata = {meta.name: meta for meta in metadata}
        self._visibility = {meta.name: _visibility(meta.visible) for meta in metadata}
        self._max_cells = max_cells
        self._grids: dict[str, _Grid] = {}
        self._members = members
        self._defined_names: dict[str, str] | None = None
        self._repeated_names: tuple[str, ...] = ()
        self._formula_cells: dict[str, frozenset[str]] = {}
        self._sheet_parts: dict[str, str] | None = None

    def __repr__(self) -> str:
        return (
            f"WorkbookCells(format={self.format!r}, sheets={self.sheet_names!r}, sha256={self.sha256[:12]}…)"
        )

    def sheet_visibility(self, sheet: str) -> Visibility:
        """``visible`` | ``hidden`` | ``veryhidden`` (ods and LibreOffice-saved files know no veryhidden)."""
        return self._visibility[sheet]

    def rows(self, sheet: str) -> list[list[CellValue]]:
        """The sheet's used range as rows of values; empty strings are ``None``. Row 0 is the range's top.

        The range does not necessarily start at A1: use :meth:`origin` or, better, :meth:`value`.
        """
        return self._grid(sheet).rows

    def origin(self, sheet: str) -> tuple[int, int]:
        """0-based (row, column) of the top-left cell of :meth:`rows`."""
        grid = self._grid(sheet)
        return grid.top, grid.left

    def _grid(self, sheet: str) -> _Grid:
        grid = self._grids.get(sheet)
        if grid is None:
            grid = self._grids[sheet] = self._load_grid(sheet)
        return grid

    def _load_grid(self, sheet: str) -> _Grid:
        key = self._grid_key(sheet)
        if key is not None and key in _GRIDS:
            _GRIDS.move_to_end(key)
            return _GRIDS[key]
        loaded = _load_grid(self._book, self._metadata[sheet], self._max_cells)
        if isinstance(loaded, Rejected):
            self.unreadable_sheets[sheet] = loaded
            return _Grid(0, 0, [])
        if key is not None and sum(len(line) for line in loaded.rows) <= _GRID_MEMO_CELLS:
            _GRIDS[key] = loaded
            if len(_GRIDS) > _GRIDS_MAX:
                _GRIDS.popitem(last=False)
        return loaded

    def _grid_key(self, sheet: str) -> tuple[object, ...] | None:
        """What calamine's values of an xlsx sheet depend on — its part, the shared strings, the styles
        (date formats), workbook.xml (the 1904 date system), the relationships and content types — by
        the members' verified keys; None when a member was not verified (then calamine reads)."""
        if self.format not in ("xlsx", "xlsm") or self._members is None:
            return None
        part = self._sheet_part(sheet)
        if part is None:
            return None
        members = self._members
        if members.repeated:
            return None  # which copy calamine takes is its own choice: never remembered
        # The members as calamine finds them (by name, ignoring ASCII case; the shared strings always at
        # xl/sharedStrings.xml, whatever the relationships say).
        wanted = (_SHARED_STRINGS, "xl/styles.xml", "xl/workbook.xml", _WORKBOOK_RELS, "[Content_Types].xml")
        names = (part, *(members.resolve(name) for name in wanted))
        keys = tuple(members.verified_key(name) if name is not None else None for name in names)
        if any(key is None and name is not None for name, key in zip(names, keys, strict=True)):
            return None  # present but not verified: calamine decides
        return (sheet, self._max_cells, names, keys)

    def value(self, sheet: str, a1: str) -> CellValue:
        """The value of one cell (``"F14"``), ``None`` when empty or outside the used range.

        Types as calamine gives them: numbers are ``float`` (also whole numbers, ``3.0``), text ``str``,
        ``bool``, date cells ``date`` (``datetime`` when a time part exists), time-only cells ``time``
        (``timedelta`` for durations). Formulas read as their cached values.
        """
        grid = self._grid(sheet)
        row, col = a1_to_rc(a1)
        r, c = row - grid.top, col - grid.left
        if r < 0 or c < 0 or r >= len(grid.rows):
            return None
        line = grid.rows[r]
        return line[c] if c < len(line) else None

    def values(self, sheet: str, cells: Iterable[str]) -> list[CellValue]:
        """:meth:`value` for many cells of one sheet, in order."""
        grid = self._grid(sheet)
        rows, top, left = grid.rows, grid.top, grid.left
        out: list[CellValue] = []
        for a1 in cells:
            row, col = a1_to_rc(a1)
            r, c = row - top, col - left
            line = rows[r] if 0 <= r < len(rows) else ()
            out.append(line[c] if 0 <= c < len(line) else None)
        return out

    def key_values(self, sheet: str) -> dict[str, CellValue]:
        """A two-column key | value sheet (``_perfsheet``) as a dict.

        Keys are the first column's text, stripped; rows without a key are skipped; the first
        occurrence of a repeated key wins. Values as in :meth:`value` (``schema`` 1 reads ``1.0``).
        """
        grid = self._grid(sheet)
        result: dict[str, CellValue] = {}
        for line in grid.rows:
            if not line or line[0] is None:
                continue
            key = line[0] if isinstance(line[0], str) else str(line[0])
            key = key.strip()
            if key and key not in result:
                result[key] = line[1] if len(line) > 1 else None
        return result

    @property
    def defined_names(self) -> dict[str, str]:
        """Workbook-scoped defined names → reference text as Excel writes it (``监控表!$F$14``).

        xlsx/xlsm: from ``xl/workbook.xml`` (sheet-scoped and built-in ``_xlnm.`` names are left out).
        ods: ``table:named-range`` converted to Excel notation. xls: always ``{}`` (not read). Use
        :func:`split_cell_ref` to turn a value into ``(sheet, "F14")``.
        """
        if self._defined_names is None:
            self._defined_names = self._read_defined_names()
        return self._defined_names

    @property
    def names_source(self) -> object:
        """An object equal for two books exactly when their defined names come from the same bytes (the
        workbook part of an xlsx), for memoising what follows from the names alone; None otherwise."""
        return self._member("xl/workbook.xml") if self.format in ("xlsx", "xlsm") else None

    def formula_cells(self, sheet: str) -> frozenset[str]:
        """A1 addresses of the cells of ``sheet`` holding a formula (computed on first request).

        xlsx/xlsm: cells with an ``<f>`` element; ods: cells with ``table:formula``. xls: always empty
        (formulas are not detected in BIFF files).
        """
        if sheet not in self._metadata:
            raise KeyError(sheet)
        cached = self._formula_cells.get(sheet)
        if cached is None:
            cached = self._scan_formulas(sheet)
            self._formula_cells[sheet] = cached
        return cached

    def is_formula(self, sheet: str, a1: str) -> bool:
        """Whether the cell holds a formula (see :meth:`formula_cells` for format support)."""
        row, col = a1_to_rc(a1)
        return rc_to_a1(row, col) in self.formula_cells(sheet)

    @property
    def structure_problems(self) -> tuple[str, ...]:
        """What makes the package itself ambiguous, in Chinese: a zip member or a workbook-scoped defined
        name that occurs twice (readers disagree on which copy counts). Empty for a sound file."""
        problems = [f"内部文件“{name}”重复出现" for name in (self._members.repeated if self._members else ())]
        _ = self.defined_names  # reads the names and notes the repeated ones
        problems += [f"名称“{name}”重复定义" for name in self._repeated_names]
        return tuple(problems)

    def cell_problems(self, sheet: str, cells: Iterable[str]) -> dict[str, str]:
        """Cells of ``sheet`` (normalised A1) whose record in the file contradicts itself or is hidden,
        → why, in Chinese: a type its content contradicts, a shared-string index that points nowhere, a
        character XML 1.0 forbids, a non-finite number, a cell written twice, or a cell covered by a
        merged range it does not start (the value shown is another cell's).

        xlsx/xlsm only (calamine gives ods and xls values without their records): ``{}`` otherwise.
        """
        if sheet not in self._metadata:
            raise KeyError(sheet)
        if self.format not in ("xlsx", "xlsm"):
            return {}
        pieces = self._sheet_pieces(sheet)
        if pieces is None:
            return {}
        cells_xml, outside_xml = pieces
        wanted = frozenset(cells)
        # The table calamine reads: always xl/sharedStrings.xml (the relationships do not move it).
        part = self._members.resolve(_SHARED_STRINGS) if self._members is not None else None
        shared = xmlparts.shared_string_count(self._member(part) if part is not None else None)
        problems = xmlparts.xlsx_record_problems(cells_xml, wanted, shared)
        for a1, why in _merge_problems(outside_xml, wanted).items():
            problems.setdefault(a1, why)  # a record's own problem, found first, is the one reported
        return problems

    # -- format-specific details -----------------------------------------------------------------

    def _member(self, name: str) -> bytes | None:
        return None if self._members is None else self._members.read(name)

    def _read_defined_names(self) -> dict[str, str]:
        if self.format in ("xlsx", "xlsm"):
            names, self._repeated_names = xmlparts.xlsx_defined_names(self._member("xl/workbook.xml"))
            return names
        if self.format == "ods":
            return xmlparts.ods_defined_names(self._member("content.xml"))
        return {}

    def _sheet_part(self, sheet: str) -> str | None:
        """The zip member of an xlsx/xlsm sheet's XML, found through the workbook relationships as
        calamine finds it (a target spelt in other ASCII case names the same member)."""
        if self._sheet_parts is None:
            self._sheet_parts = xmlparts.xlsx_sheet_parts(
                self._member("xl/workbook.xml"), self._member(_WORKBOOK_RELS)
            )
        part = self._sheet_parts.get(sheet)
        return self._members.resolve(part) if part is not None and self._members is not None else part

    def _sheet_pieces(self, sheet: str) -> tuple[bytes, bytes] | None:
        """The sheet's part split by :func:`xmlparts.split_sheet_xml` (cells, the rest)."""
        part = self._sheet_part(sheet)
        return self._members.pieces(part) if part and self._members is not None else None

    def _scan_formulas(self, sheet: str) -> frozenset[str]:
        if self.format in ("xlsx", "xlsm"):
            pieces = self._sheet_pieces(sheet)
            return xmlparts.xlsx_formula_cells(pieces[0]) if pieces else frozenset()
        if self.format == "ods":
            return xmlparts.ods_formula_cells(self._member("content.xml"), sheet)
        return frozenset()


# ------------------------------------------------------------------------------------ open + checks


# Wanted cells covered by a merged range, by the sheet tail the merges are in and the wanted cells.
_MERGE_PROBLEMS = xmlparts.ContentMemo(max_entries=4096, max_bytes=32 << 20)


def _merge_problems(outside_xml: bytes, wanted: frozenset[str]) -> dict[str, str]:
    """Wanted cells covered by a merged range they do not start (their shown value is another cell's).
    Setdefault semantics: a cell's record problem, found first, is the one reported."""
    key = (outside_xml, wanted)
    known: dict[str, str] | None = _MERGE_PROBLEMS.get(key)
    if known is not None:
        return dict(known)
    problems: dict[str, str] = {}
    merges = xmlparts.xlsx_merged_ranges(outside_xml)
    if merges:
        by_row: dict[int, list[tuple[int, str]]] = {}
        for a1 in sorted(wanted):
            row, col = a1_to_rc(a1)
            by_row.setdefault(row, []).append((col, a1))
        rows = sorted(by_row)
        # Only the wanted rows a merge spans are looked at (a hostile merge may span a million rows).
        for ref, top, left, bottom, right in merges:
            for row in rows[bisect.bisect_left(rows, top) : bisect.bisect_right(rows, bottom)]:
                for col, a1 in by_row[row]:
                    if left <= col <= right and (row, col) != (top, left):
                        problems.setdefault(a1, f"被合并单元格 {ref} 覆盖，显示的是 {rc_to_a1(top, left)} 的内容")
    _MERGE_PROBLEMS.put(key, problems, len(outside_xml))
    return dict(problems)


def open_workbook(
    source: str | Path | bytes,
    *,
    max_bytes: int | None = None,
    name: str | None = None,
    limits: Limits | None = None,
    sheets: Iterable[str] | None = None,
) -> WorkbookCells | Rejected:
    """Open a workbook from a path or its bytes; never raises for a bad file.

    Returns :class:`WorkbookCells`, or :class:`Rejected` with a stable ``code`` and a Chinese
    ``message``. ``max_bytes``, when given, overrides ``limits.max_bytes``. ``name`` is kept as ``.name`` (e.g. the
    attachment name) and is never used to decide the format: the content decides. ``sheets`` names
    the sheets to load now (default: all) — ingest passes the two it reads, which saves the time of
    the others; a listed sheet that does not exist is ignored.
    """
    bounds = limits or _DEFAULT_LIMITS
    if max_bytes is not None and max_bytes != bounds.max_bytes:
        bounds = dataclasses.replace(bounds, max_bytes=max_bytes)
    if isinstance(source, bytes):
        data = source
    else:
        path = os.fspath(source)
        try:
            with open(path, "rb") as handle:  # one open, its size from the open file (no second lookup)
                size = os.fstat(handle.fileno()).st_size
                if size > bounds.max_bytes:
                    return _too_large(size, bounds.max_bytes)
                # A buffer of the file's size, not of the limit (allocating 20 MiB per read costs more
                # than reading a return); a file that grew meanwhile is read on, up to the limit.
                data = handle.read(size + 1)
                if len(data) > size:
                    data += handle.read(bounds.max_bytes + 1 - len(data))
        except OSError as exc:
            return Rejected("unreadable", f"无法读取文件：{os_error_text(exc)}。请检查文件路径。")
        if name is None:
            name = os.path.basename(path)
    if len(data) > bounds.max_bytes:
        # bytes given in full can be hashed; a file that grew past the limit while read cannot
        digest = hashlib.sha256(data).hexdigest() if isinstance(source, bytes) else None
        return dataclasses.replace(_too_large(len(data), bounds.max_bytes), sha256=digest)
    try:
        result = _open_checked(data, bounds, name, sheets)
    except Exception:  # a damaged file must never become a traceback
        result = Rejected("unreadable", "文件结构异常，无法读取。" + _RESAVE_HINT)
    if isinstance(result, Rejected):
        return dataclasses.replace(result, sha256=hashlib.sha256(data).hexdigest())
    return result


def _too_large(size: int, limit: int) -> Rejected:
    return Rejected(
        "file-too-large",
        f"文件过大（{size / 1048576:.1f} MB，上限 {limit / 1048576:.1f} MB）。请只发送本项目的填报表。",
    )


_ZIP_MAGIC: Final = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC: Final = b"PK\x05\x06"
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_RESAVE_HINT: Final = "请在 Excel/WPS 中打开该文件，另存为 .xlsx 后重新发送。"


def _open_checked(
    data: bytes, bounds: Limits, name: str | None, sheets: Iterable[str] | None
) -> WorkbookCells | Rejected:
    sha256 = hashlib.sha256(data).hexdigest()
    members: _Members | None = None
    if data.startswith(_ZIP_MAGIC) or data.startswith(_EMPTY_ZIP_MAGIC):
        opened = _check_zip(data, bounds)
        if isinstance(opened, Rejected):
            return opened
        members, fmt = opened
    elif data.startswith(_OLE_MAGIC):
        ole = _check_ole(data, bounds.max_cells)
        if isinstance(ole, Rejected):
            return ole
        fmt = "xls"
    elif not data:
        return Rejected("not-a-workbook", "文件是空的（0 字节）。" + _RESAVE_HINT)
    else:
        return Rejected("not-a-workbook", f"文件不是 Excel 工作簿（{_sniff(data)}）。" + _RESAVE_HINT)
    return _load(data, fmt, bounds, sheets, sha256=sha256, name=name, members=members)


def _sniff(data: bytes) -> str:
    """A short Chinese description of what the bytes look like instead, for the rejection message."""
    head = data[:8]
    if head.startswith(b"%PDF"):
        return "看起来是 PDF 文件"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "看起来是图片"
    if head.startswith(b"Rar!") or head.startswith(b"7z\xbc\xaf"):
        return "看起来是压缩包"
    lowered = data[:512].lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "看起来是网页文件"
    if lowered.startswith(b"<?xml"):
        return "看起来是 XML 文件（如“XML 电子表格 2003”格式）"
    try:
        data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return "无法识别的文件格式"
    return "看起来是文本或 CSV 文件"


# -- zip containers (xlsx, xlsm, ods) ---------------------------------------------------------------

_ODS_MIME: Final = b"application/vnd.oasis.opendocument.spreadsheet"
_XML_SCAN_BYTES: Final = 4096
_DOCTYPE_RE: Final = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ROOT_START_RE: Final = re.compile(rb"<[A-Za-z_]")


def _check_zip(data: bytes, bounds: Limits) -> tuple[_Members, WorkbookFormat] | Rejected:
    """Open a zip container and check it in order, cheapest first: the central directory's bounds,
    the kind of workbook, every member's bytes, then the sheets' areas."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except Exception:  # zipfile raises many types on damaged input (BadZipFile, NotImplementedError, …)
        return Rejected(
            "truncated", "文件已损坏或不完整（压缩包结构无法读取），可能下载或传输中断。" + _RESAVE_HINT
        )
    bomb = _directory_bomb(members, bounds)
    if bomb is not None:
        return bomb
    names = {info.filename for info in members}
    fast = _Members(data, archive)
    fmt = _zip_format(names, fast)
    if isinstance(fmt, Rejected):
        return fmt
    damaged = _check_members(members, fast)
    if damaged is not None:
        return damaged
    # xlsm is told from xlsx only now, when [Content_Types].xml has been read (or recalled).
    if fmt == "xlsx" and ("xl/vbaProject.bin" in names or _is_macro_enabled(fast)):
        fmt = "xlsm"
    too_big = _zip_area_check(fast, fmt, bounds.max_cells)
    if too_big is not None:
        return too_big
    return fast, fmt


def _directory_bomb(members: list[zipfile.ZipInfo], bounds: Limits) -> Rejected | None:
    """The bounds, from the central directory only: nothing is decompressed yet."""
    if len(members) > bounds.max_members:
        return _bomb(f"包含 {len(members)} 个内部文件")
    total = 0
    for info in members:
        total += info.file_size
        if info.file_size > bounds.ratio_floor and info.file_size > bounds.max_ratio * max(
            info.compress_size, 1
        ):
            return _bomb(f"内部文件 {info.filename} 压缩比超过 {bounds.max_ratio}:1")
        # Deflate never makes XML bigger by more than a few bytes per block, so a compressed size well
        # above the declared size means the declared size lies (and would hide the real expansion).
        if (
            info.compress_type != zipfile.ZIP_STORED
            and info.compress_size > info.file_size + info.file_size // 64 + 1024
        ):
            return _bomb(f"内部文件 {info.filename} 声明的大小不实")
    if total > bounds.max_uncompressed:
        return _bomb(f"解压后共 {total / 1048576:.0f} MB")
    return None


def _zip_format(names: set[str], fast: _Members) -> WorkbookFormat | Rejected:
    """Which workbook the member names say this is (xlsx or xlsm: see the caller), or why it is none
    we read."""
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "content.xml" in names and (fast.read("mimetype", 128) or b"").startswith(_ODS_MIME):
        manifest = fast.read("META-INF/manifest.xml", 1 << 20) or b""
        if b"encryption-data" in manifest:
            return Rejected("encrypted", "工作簿设置了打开密码，无法读取。请取消密码后另存并重新发送。")
        return "ods"
    if "xl/workbook.bin" in names:
        return Rejected("not-a-workbook", "这是 Excel 二进制工作簿（.xlsb），不受支持。" + _RESAVE_HINT)
    return Rejected(
        "not-a-workbook",
        "文件是压缩包，但不是 Excel/ODS 工作簿（如 Word 文档或普通 zip）。" + _RESAVE_HINT,
    )


def _check_members(members: list[zipfile.ZipInfo], fast: _Members) -> Rejected | None:
    """Every member's bytes: its CRC, and for XML parts the prolog and the characters Excel refuses."""
    for info in members:
        if info.is_dir():
            continue
        # calamine does not check CRCs: a flipped bit in sharedStrings.xml would change a name and pass.
        # An XML part is inflated once (read() checks its CRC and keeps it for the prolog check below and
        # the readers after this; the central directory bounded its size above); anything else, and the
        # first of two members of one name, is verified as a stream.
        primary = fast.infos[info.filename] is info
        if primary and fast.recall(info):
            continue  # the very bytes of a member that passed every check below in this process
        is_xml = _is_xml_member(info)
        xml = fast.read(info.filename) if is_xml and primary else None
        if is_xml:
            head = xml[:_XML_SCAN_BYTES] if xml is not None else fast.read(info.filename, _XML_SCAN_BYTES)
            if head is None:
                return Rejected("truncated", f"文件已损坏（{info.filename} 无法解压）。" + _RESAVE_HINT)
            verdict = _xml_prolog_verdict(head, info.file_size)
            if verdict is not None:
                return Rejected(
                    "xml-entities",
                    f"文件内部的 XML（{info.filename}）{verdict}，出于安全原因拒绝读取。" + _RESAVE_HINT,
                )
        if xml is None and not fast.verify(info):
            return Rejected("truncated", f"文件已损坏（内部文件 {info.filename} 校验失败）。" + _RESAVE_HINT)
        # UTF-16 parts (rare) are left to the parsers; UTF-8 is what every spreadsheet writer emits.
        utf8 = xml is not None and not xml.startswith((b"\xff\xfe", b"\xfe\xff"))
        worksheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
        pieces = fast.pieces(info.filename) if utf8 and worksheet else None
        if utf8 and xml is not None and xmlparts.has_forbidden_character(xml, pieces):
            return Rejected(
                "unreadable",
                f"文件内部的 XML（{info.filename}）含有 Excel 不允许的控制字符，Excel 和 WPS 也无法打开它。"
                + _RESAVE_HINT,
            )
        if primary:
            fast.remember(info, xml)
    return None


def _zip_area_check(fast: _Members, fmt: WorkbookFormat, max_cells: int) -> Rejected | None:
    """A sheet whose used area is too large to load, by the sheets' XML (before calamine sees them)."""
    if fmt in ("xlsx", "xlsm"):
        return _xlsx_area_check(fast, max_cells)
    if fmt == "ods":
        content = fast.read("content.xml")
        table = xmlparts.ods_oversized_table(content, max_cells) if content else None
        if table is not None:
            return Rejected(
                "sheet-too-large",
                f"工作表“{table}”中有内容的区域过大，拒绝读取。请删除表格末尾多余的内容后另存为 .xlsx 重新发送。",
            )
    return None


def _is_xml_member(info: zipfile.ZipInfo) -> bool:
    """Whether a zip member is checked as XML (prolog, forbidden characters): by its name, as readers
    pick parts by name."""
    return info.filename.lower().endswith((".xml", ".rels")) and info.file_size > 0


def _bomb(what: str) -> Rejected:
    return Rejected("zip-bomb", f"文件内部结构异常（{what}），疑似压缩炸弹，拒绝读取。" + _RESAVE_HINT)


_CACHE_MEMBER_BYTES: Final = 1 << 20

# Members that passed the container checks (CRC, prolog, forbidden characters) in this process, by their
# compressed bytes, CRC and sizes → their content (None for members not kept, e.g. binary parts): a
# collect reads hundreds of returns of one template, which share every member but the sheet the chief
# filled. The same compressed bytes inflate to the same content, so the verdict carries over. The key
# holds the compressed bytes themselves (a dict lookup hashes them once and compares them on a hit; a
# digest would cost more), or their BLAKE2b digest for members over 1 MiB compressed.
# The key says whether the member was checked as XML (its name decides), so bytes that passed as a binary
# part are never taken for checked XML. Bounded in entries and in bytes kept.
_VerifiedKey: TypeAlias = tuple[bool, int, int, int, int, bytes]
_VERIFIED: dict[_VerifiedKey, bytes | None] = {}
_VERIFIED_MAX: Final = 2048
_VERIFIED_MAX_BYTES: Final = 64 << 20
_verified_bytes = 0
# Worksheet content kept in _VERIFIED → its split (split_sheet_xml), so later files share the pieces and
# the verdicts remembered for them; and the cells pieces found to fit the area limit (_xlsx_area_check).
# Both are cleared with _VERIFIED and bounded in the bytes they hold.
_PIECES = xmlparts.ContentMemo(max_entries=_VERIFIED_MAX, max_bytes=64 << 20)
_AREA_FITS = xmlparts.ContentMemo(max_entries=_VERIFIED_MAX, max_bytes=32 << 20)


_SHARED_STRINGS: Final = "xl/sharedStrings.xml"
_WORKBOOK_RELS: Final = "xl/_rels/workbook.xml.rels"


def _fold(name: str) -> str:
    """A member name with ASCII letters in lower case (how calamine compares names)."""
    return name.lower() if name.isascii() else name.translate(_ASCII_LOWER)


_ASCII_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class _Members:
    """Members of a checked zip, inflated straight from the bytes (``zipfile.open`` costs ~30 µs each).

    Reads are bounded by the member's declared size, which the central-directory checks vetted; any
    damage gives ``None``.
    """

    def __init__(self, data: bytes, archive: zipfile.ZipFile) -> None:
        self.data = data
        self.archive = archive
        infos = archive.infolist()
        self.infos = {info.filename: info for info in infos}
        # Member names stored twice, or twice but for ASCII case (calamine finds members ignoring case):
        # which copy a reader takes is up to the reader (calamine and zipfile differ), so such a file
        # cannot be read with confidence.
        self._by_folded: dict[str, str] = {}
        twice: set[str] = set()
        for info in infos:
            folded = _fold(info.filename)
            if folded in self._by_folded:
                twice.add(folded)
            self._by_folded[folded] = info.filename  # the last copy, as zipfile's name lookup takes
        self.repeated = (
            tuple(dict.fromkeys(info.filename for info in infos if _fold(info.filename) in twice)) if twice else ()
        )
        self._cache: dict[str, bytes] = {}  # whole small members (sheets, workbook.xml) read twice
        self._pieces: dict[str, tuple[bytes, bytes]] = {}
        self._keys: dict[str, _VerifiedKey] = {}
        self._passed: set[str] = set()  # members the container checks passed (recalled or remembered)
        self.recalled: set[str] = set()  # members whose bytes passed in an earlier file (content shared)

    def resolve(self, name: str) -> str | None:
        """The member a reader that ignores ASCII case finds for ``name`` (calamine does), or None."""
        if name in self.infos:
            return name
        return self._by_folded.get(_fold(name))

    def pieces(self, name: str) -> tuple[bytes, bytes] | None:
        """A worksheet member split by :func:`xmlparts.split_sheet_xml` (cells, the rest), once per member:
        the size check on open and the cell checks of ingest both scan the cells."""
        found = self._pieces.get(name)
        if found is None:
            xml = self.read(name)
            if xml is None:
                return None
            if name in self.recalled:
                # The very content object of an earlier file: its pieces (and their checks) are known.
                found = _PIECES.get(xml)
                if found is None:
                    found = xmlparts.split_sheet_xml(xml)
                    _PIECES.put(xml, found, len(xml))
            else:
                found = xmlparts.split_sheet_xml(xml)
            self._pieces[name] = found
        return found

    def _verified_key(self, info: zipfile.ZipInfo) -> _VerifiedKey | None:
        if info.filename in self._keys and self.infos.get(info.filename) is info:
            return self._keys[info.filename]
        raw = self._compressed(info)
        if raw is None:
            return None
        blob = bytes(raw) if len(raw) <= _CACHE_MEMBER_BYTES else hashlib.blake2b(raw, digest_size=16).digest()
        key = (_is_xml_member(info), info.compress_type, info.CRC, info.file_size, len(raw), blob)
        if self.infos.get(info.filename) is info:
            self._keys[info.filename] = key
        return key

    def verified_key(self, name: str) -> _VerifiedKey | None:
        """The key of a member the container checks passed (see :data:`_VERIFIED`); None when absent."""
        return self._keys.get(name) if name in self._passed else None

    def recall(self, info: zipfile.ZipInfo) -> bool:
        """Whether the member's bytes are those of one that passed the checks before (then its content, when
        kept, is read from memory from now on)."""
        try:
            key = self._verified_key(info)
        except struct.error:
            return False
        if key is None or key not in _VERIFIED:
            return False
        content = _VERIFIED[key]
        if content is not None:
            self._cache[info.filename] = content
            self.recalled.add(info.filename)
        self._passed.add(info.filename)
        return True

    def remember(self, info: zipfile.ZipInfo, content: bytes | None) -> None:
        """Note a member that passed the checks (``content``: its inflated XML, kept when small)."""
        global _verified_bytes
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            return  # zipfile checked these (local name, flags) as it read them: nothing carries over
        key = self._verified_key(info)
        if key is None:
            return
        self._passed.add(info.filename)
        kept = content if content is not None and len(content) <= _CACHE_MEMBER_BYTES else None
        size = (len(kept) if kept is not None else 0) + len(key[-1])
        if len(_VERIFIED) >= _VERIFIED_MAX or _verified_bytes + size > _VERIFIED_MAX_BYTES:
            _VERIFIED.clear()
            _PIECES.clear()
            _AREA_FITS.clear()
            _verified_bytes = 0
        _VERIFIED[key] = kept
        _verified_bytes += size

    def read(self, name: str, limit: int | None = None) -> bytes | None:
        """The member's content, or only its first ``limit`` bytes; ``None`` if missing or damaged."""
        cached = self._cache.get(name)
        if cached is not None:
            return cached if limit is None else cached[:limit]
        info = self.infos.get(name)
        if info is None:
            return None
        want = info.file_size if limit is None else min(limit, info.file_size)
        try:
            raw = self._compressed(info)
            if raw is None:
                return None
            content: bytes
            if info.compress_type == zipfile.ZIP_STORED:
                content = bytes(raw[:want])
            elif info.compress_type == zipfile.ZIP_DEFLATED:
                inflater = zlib_ng.decompressobj(-zlib_ng.MAX_WBITS)
                content = inflater.decompress(raw, want)
            else:
                with self.archive.open(info) as handle:  # rare methods (bzip2, lzma): the slow path
                    content = handle.read(want)
        except Exception:
            return None
        if len(content) != want:
            return None
        if limit is None:
            if zlib_ng.crc32(content) != info.CRC:
                return None
            if len(content) <= _CACHE_MEMBER_BYTES:
                self._cache[name] = content
        return content


    _VERIFY_CHUNK: Final = 1 << 16

    def _compressed(self, info: zipfile.ZipInfo) -> memoryview | None:
        """The member's compressed bytes, after its local header (None: no header there, or encrypted).
        Raises ``struct.error`` on a header cut off by the end of the file (callers treat it as damage)."""
        offset = info.header_offset
        if self.data[offset : offset + 4] != b"PK\x03\x04" or info.flag_bits & 0x1:
            return None
        name_len, extra_len = struct.unpack_from("<HH", self.data, offset + 26)
        start = offset + 30 + name_len + extra_len
        return memoryview(self.data)[start : start + info.compress_size]

    def verify(self, info: zipfile.ZipInfo) -> bool:
        """Whether the member inflates to exactly its declared size and CRC-32 (streamed, not kept)."""
        if info.filename in self._cache and self.infos.get(info.filename) is info:
            return True  # read in full already, and read() checked the CRC
        try:
            raw = self._compressed(info)
            if raw is None:
                return False
            crc, size = 0, 0
            if info.compress_type == zipfile.ZIP_STORED:
                crc, size = zlib_ng.crc32(raw), len(raw)
            elif info.compress_type == zipfile.ZIP_DEFLATED:
                inflater = zlib_ng.decompressobj(-zlib_ng.MAX_WBITS)
                pending: bytes | memoryview = raw
                while pending and size <= info.file_size:
                    chunk = inflater.decompress(pending, self._VERIFY_CHUNK)
                    crc, size = zlib_ng.crc32(chunk, crc), size + len(chunk)
                    pending = inflater.unconsumed_tail
                    if not chunk and not pending:
                        break
                tail = inflater.flush()
                crc, size = zlib_ng.crc32(tail, crc), size + len(tail)
            else:
                with self.archive.open(info) as handle:  # rare methods: zipfile checks the CRC itself
                    while handle.read(self._VERIFY_CHUNK):
                        pass
                return True
        except Exception:
            return False
        return size == info.file_size and crc == info.CRC


def _is_macro_enabled(members: _Members) -> bool:
    return b"macroEnabled" in (members.read("[Content_Types].xml", 1 << 20) or b"")


def _xml_prolog_verdict(head: bytes, size: int) -> str | None:
    """Why an XML member's start is refused, or None. Only the prolog (before the root) can declare."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
        try:
            encoding = (
                "utf-16"
                if head[:2] in (b"\xff\xfe", b"\xfe\xff")
                else ("utf-16-le" if head[0] == 60 else "utf-16-be")
            )
            head = head[: len(head) & ~1].decode(encoding, errors="replace").encode("utf-8")
        except LookupError:  # pragma: no cover - codecs always exist
            return "编码无法识别"
    root = _ROOT_START_RE.search(head)
    prolog = head if root is None else head[: root.start()]
    if _DOCTYPE_RE.search(prolog):
        return "含有 DOCTYPE/ENTITY 声明"
    if root is None and size > len(head):
        return "开头过长且没有根元素"
    return None


# A reference in column ≥ AAA or row ≥ 1000; without one the area is at most 999 × 702 cells.
_FAR_REF_RE: Final = re.compile(rb' r="\$?(?:[A-Z]{3}|[A-Z]{0,2}\$?[0-9]{4})')
# An r attribute spelt otherwise than r="…" (single quotes, spaces around "="): the shortcut below
# could not see how far it reaches, so such a sheet is always measured. The pattern starts with a
# literal, so the scan only stops at each "r" (this runs on every return).
_ODD_R_RE: Final = re.compile(rb"r(?:=['\s]|\s+=)")


def _odd_r(xml: bytes) -> bool:
    return _ODD_R_RE.search(xml) is not None


# Rows of sheets found to reach no farther than ZZ999 with r="…" spelt plainly (the shortcut of
# _xlsx_area_check), by their bytes: the returns of one template share most rows.
_NEAR_ROWS = xmlparts.ContentMemo(max_entries=65536, max_bytes=16 << 20)


def _within_first_999_rows_and_zz(cells_xml: bytes) -> bool:
    """Whether no cell or row reference reaches column AAA or row 1000 and every r is spelt r="…"."""
    if len(cells_xml) < 4096:
        return _FAR_REF_RE.search(cells_xml) is None and not _odd_r(cells_xml)
    for row in xmlparts.sheet_rows(cells_xml):
        if _NEAR_ROWS.get(row):
            continue
        if _FAR_REF_RE.search(row) is not None or _odd_r(row):
            return False
        _NEAR_ROWS.put(row, True, len(row))
    return True


def _sheet_name_of(members: _Members, part: str) -> str:
    """The sheet a worksheet part holds, as the chief sees it on its tab (else the part's name)."""
    parts = xmlparts.xlsx_sheet_parts(members.read("xl/workbook.xml"), members.read("xl/_rels/workbook.xml.rels"))
    return next((sheet for sheet, member in parts.items() if member == part), part)


def _xlsx_area_check(members: _Members, max_cells: int) -> Rejected | None:
    """Refuse a worksheet whose cells that hold something span too much to load.

    Only held cells count (calamine drops empty ones), so LibreOffice's empty ``<row r="1048576"/>`` or
    styled cells out to column XFD are fine. Most returns reach no farther than row 999 and column ZZ,
    which bounds the area without looking at a single cell.
    """
    for name in members.infos:
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            continue
        pieces = members.pieces(name)
        if pieces is None:
            return Rejected("truncated", f"文件已损坏（{name} 无法解压）。" + _RESAVE_HINT)
        # Held cells and their references are in <sheetData>: the validations after it need no scan.
        cells_xml, _rest = pieces
        recalled = name in members.recalled
        if recalled and _AREA_FITS.get((cells_xml, max_cells)):
            continue
        if max_cells >= 999 * 702 and _within_first_999_rows_and_zz(cells_xml):
            if recalled:
                _AREA_FITS.put((cells_xml, max_cells), True, len(cells_xml))
            continue
        xml = members.read(name) or b""  # the slow path measures the whole part
        sheet = _sheet_name_of(members, name)
        too_big = extent.too_large([extent.xlsx_sheet_extent(xml, max_cells=max_cells, name=sheet)], max_cells)
        if too_big is not None:
            return Rejected("sheet-too-large", too_big + "请删除表格末尾多余的内容后另存为 .xlsx 重新发送。")
    return None


# -- OLE compound files (xls, encrypted OOXML) -------------------------------------------------------

_FREESECT: Final = 0xFFFFFFFF
_ENDOFCHAIN: Final = 0xFFFFFFFE
_ENCRYPTED_MSG: Final = (
    "工作簿设置了打开密码（已加密），无法读取。请在 Excel/WPS 中取消密码，另存为 .xlsx 后重新发送。"
)
_TRUNCATED_MSG: Final = (
    "文件已损坏或不完整（OLE 复合文档结构超出文件末尾），可能下载或传输中断。" + _RESAVE_HINT
)


class _CompoundFile:
    """A minimal, bounded reader of an OLE compound file (CFB): enough to list streams and read one.

    Every sector index is checked against the file's length and every chain against loops, so a
    damaged or hostile file yields ``_CfbDamaged`` instead of an endless walk or a wrong read.
    """

    sector_size: int
    n_sectors: int
    mini_cutoff: int

    def __init__(self, data: bytes) -> None:
        if len(data) < 512:
            raise _CfbDamaged
        self.data = data
        (sector_shift, mini_shift) = struct.unpack_from("<HH", data, 0x1E)
        if sector_shift not in (9, 12) or mini_shift != 6:
            raise _CfbDamaged
        self.sector_size = 1 << sector_shift
        # Sector n starts at (n + 1) * sector_size: the header occupies "sector -1".
        self.n_sectors = max(0, (len(data) - 1) // self.sector_size)
        n_fat, first_dir, _sig, self.mini_cutoff, first_mini_fat, n_mini_fat, first_difat, n_difat = (
            struct.unpack_from("<IIIIIIII", data, 0x2C)
        )
        if n_fat > self.n_sectors + 1 or n_difat > self.n_sectors + 1:
            raise _CfbDamaged
        per_sector = self.sector_size // 4
        fat_sectors = list(struct.unpack_from("<109I", data, 0x4C))
        next_difat = first_difat
        for _ in range(n_difat):
            if next_difat in (_FREESECT, _ENDOFCHAIN):
                break
            entries = struct.unpack(f"<{per_sector}I", self._sector(next_difat))
            fat_sectors.extend(entries[:-1])
            next_difat = entries[-1]
        self.fat: list[int] = []
        for index in fat_sectors[:n_fat]:
            self.fat.extend(struct.unpack(f"<{per_sector}I", self._sector(index)))
        self.entries: dict[str, tuple[int, int, int]] = {}  # name → (type, start, size)
        root: tuple[int, int] | None = None
        for index in self._chain(first_dir):
            chunk = self._sector(index)
            for offset in range(0, self.sector_size, 128):
                name_len, entry_type = struct.unpack_from("<HB", chunk, offset + 64)
                if entry_type not in (1, 2, 5) or not 2 <= name_len <= 64:
                    continue
                start, size = struct.unpack_from("<IQ", chunk, offset + 116)
                if self.sector_size == 512:
                    size &= 0xFFFFFFFF  # version 3 files leave the high half undefined
                if entry_type == 5:
                    root = (start, size)
                    continue
                name = chunk[offset : offset + name_len - 2].decode("utf-16-le", errors="replace")
                self.entries.setdefault(name, (entry_type, start, size))
        self.mini_stream = b""
        self.mini_fat: list[int] = []
        if root is not None and n_mini_fat:
            self.mini_stream = self._read_chain(root[0], root[1])
            mini_fat_bytes = b"".join(self._sector(i) for i in self._chain(first_mini_fat))
            self.mini_fat = list(struct.unpack(f"<{len(mini_fat_bytes) // 4}I", mini_fat_bytes))

    def _sector(self, index: int) -> bytes:
        if index >= self.n_sectors:
            raise _CfbDamaged
        start = (index + 1) * self.sector_size
        chunk = self.data[start : start + self.sector_size]
        return chunk + b"\x00" * (self.sector_size - len(chunk))

    def _chain(self, start: int, table: list[int] | None = None) -> list[int]:
        fat = self.fat if table is None else table
        out: list[int] = []
        current = start
        while current != _ENDOFCHAIN:
            if current >= len(fat) or len(out) > len(fat):
                raise _CfbDamaged
            out.append(current)
            current = fat[current]
        return out

    def _read_chain(self, start: int, size: int) -> bytes:
        sectors = self._chain(start)
        if len(sectors) * self.sector_size < size:
            raise _CfbDamaged
        return b"".join(self._sector(i) for i in sectors)[:size]

    def read(self, name: str) -> bytes:
        """The whole stream ``name`` (KeyError when absent)."""
        entry_type, start, size = self.entries[name]
        if entry_type != 2:
            raise KeyError(name)
        if size >= self.mini_cutoff:
            return self._read_chain(start, size)
        chunks = []
        for index in self._chain(start, self.mini_fat):
            offset = index * 64
            if offset + 64 > len(self.mini_stream):
                raise _CfbDamaged
            chunks.append(self.mini_stream[offset : offset + 64])
        data = b"".join(chunks)
        if len(data) < size:
            raise _CfbDamaged
        return data[:size]


class _CfbDamaged(Exception):
    """The compound file's structure points outside the file or loops."""


def _check_ole(data: bytes, max_cells: int) -> _CompoundFile | Rejected:
    """Encrypted OOXML, a BIFF workbook (FILEPASS means encrypted), damaged, or another OLE document."""
    try:
        cfb = _CompoundFile(data)
        if "EncryptionInfo" in cfb.entries or "EncryptedPackage" in cfb.entries:
            return Rejected("encrypted", _ENCRYPTED_MSG)
        stream = "Workbook" if "Workbook" in cfb.entries else "Book"
        if stream not in cfb.entries:
            return Rejected(
                "not-a-workbook",
                "文件是 OLE 复合文档，但不是 Excel 工作簿（如 Word .doc 文件）。" + _RESAVE_HINT,
            )
        book_stream = cfb.read(stream)
        if _biff_has_filepass(book_stream[:1024]):
            return Rejected("encrypted", _ENCRYPTED_MSG)
    except (_CfbDamaged, struct.error, KeyError):
        return Rejected("truncated", _TRUNCATED_MSG)
    # calamine materialises every .xls sheet on open (and a bad DIMENSIONS record aborts the process):
    # measure the sheets from the BIFF records first.
    extents = extent.xls_sheet_extents(book_stream, max_cells=max_cells)
    if extents is None:
        return Rejected("truncated", "文件已损坏（Excel 97-2003 工作簿的记录不完整）。" + _RESAVE_HINT)
    too_big = extent.too_large(extents, max_cells)
    if too_big is not None:
        return Rejected("sheet-too-large", too_big + _RESAVE_HINT)
    return cfb


def _biff_has_filepass(head: bytes) -> bool:
    """FILEPASS (0x002F) follows the globals BOF of an encrypted BIFF8 stream; look at the first records."""
    offset = 0
    for _ in range(8):
        if offset + 4 > len(head):
            return False
        record, length = struct.unpack_from("<HH", head, offset)
        if record == 0x002F:
            return True
        offset += 4 + length
    return False


# -- loading with calamine ---------------------------------------------------------------------------


def _load(
    data: bytes,
    fmt: WorkbookFormat,
    bounds: Limits,
    eager: Iterable[str] | None,
    *,
    sha256: str,
    name: str | None,
    members: _Members | None,
) -> WorkbookCells | Rejected:
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        metadata = book.sheets_metadata
    except BaseException as exc:  # calamine panics surface as pyo3 PanicException (a BaseException)
        return _calamine_failure(exc)
    cells = WorkbookCells(
        format=fmt,
        sha256=sha256,
        size=len(data),
        name=name,
        book=book,
        metadata=metadata,
        max_cells=bounds.max_cells,
        members=members,
    )
    wanted = cells.sheet_names if eager is None else [sheet for sheet in eager if sheet in cells.sheet_names]
    for sheet in wanted:
        cells.rows(sheet)
        if sheet in cells.unreadable_sheets:
            return cells.unreadable_sheets[sheet]
    return cells


def _load_grid(book: CalamineWorkbook, meta: SheetMetadata, max_cells: int) -> _Grid | Rejected:
    """One sheet's values through calamine, or why they cannot be read."""
    if meta.typ != SheetTypeEnum.WorkSheet:
        return _Grid(0, 0, [])  # chart and dialog sheets hold no cells
    try:
        sheet = book.get_sheet_by_name(meta.name)
        start = sheet.start
        if start is None:
            return _Grid(0, 0, [])
        if sheet.height * sheet.width > max_cells:
            return Rejected("sheet-too-large", f"工作表“{meta.name}”数据区域过大，拒绝读取。" + _RESAVE_HINT)
        rows: list[list[CellValue]] = [
            [None if value == "" else value for value in line]
            for line in sheet.to_python(skip_empty_area=True)
        ]
    except BaseException as exc:
        return _calamine_failure(exc)
    return _Grid(start[0], start[1], rows)


def _calamine_failure(exc: BaseException) -> Rejected:
    if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit | MemoryError):
        raise exc
    if isinstance(exc, PasswordError):
        return Rejected("encrypted", _ENCRYPTED_MSG)
    if isinstance(exc, ZipError):
        return Rejected("truncated", "文件已损坏（压缩数据无法解压）。" + _RESAVE_HINT)
    # calamine's own text is English and names internal types (CalamineError, XmlError): not for a chief.
    return Rejected("unreadable", "无法读取工作簿内容，文件可能已损坏或不是标准的 Excel 格式。" + _RESAVE_HINT)
