"""The XML parts of xlsx and ods workbooks that calamine does not expose, read safely and fast.

Part of the ingest stage, below :mod:`perfsheet.ingest.reader` (which vetted every member first: no
DOCTYPE, bounded sizes, CRCs): defined names, sheet → member, formula cells, and the raw cell records
of a worksheet (type attribute, value text, inline text, merged ranges) that ingest compares with what
calamine made of them — a cell whose type contradicts its content, or a shared-string index that points
nowhere, must be an error, never silently read as something.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Collection, Iterator
from typing import Any, Final, NamedTuple, TypeVar
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET

from perfsheet.a1 import MAX_COL as _MAX_COL
from perfsheet.a1 import MAX_ROW as _MAX_ROW
from perfsheet.a1 import a1_to_rc, rc_to_a1

T = TypeVar("T")

__all__ = [
    "ContentMemo",
    "RawCell",
    "cell_contradiction",
    "has_forbidden_character",
    "has_non_xml_char",
    "is_xml_char",
    "ods_defined_names",
    "ods_formula_cells",
    "ods_oversized_table",
    "shared_string_count",
    "sheet_rows",
    "split_sheet_xml",
    "xlsx_cells",
    "xlsx_defined_names",
    "xlsx_formula_cells",
    "xlsx_merged_ranges",
    "xlsx_record_problems",
    "xlsx_sheet_parts",
]

# XML parsed with defusedxml where a parser runs at all; DOCTYPEs were refused before.

_NS_TABLE: Final = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


def _parse(xml: bytes | None) -> Element | None:
    if not xml:
        return None
    try:
        return SafeET.fromstring(xml)
    except Exception:  # defusedxml raises its own errors and ParseError; a bad part means "no data"
        return None


# The workbook part is read on every ingest, so it is scanned with regular expressions instead of an
# XML parser (defusedxml costs ~0.3 ms here). That is safe because no XML parser runs on it and its
# prolog was vetted (no DOCTYPE, so no entities beyond the five predefined ones and character refs).
_ATTR_RE: Final = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_DEFINED_NAME_RE: Final = re.compile(r"<(?:\w+:)?definedName\b([^>]*?)(?:/>|>([^<]*)</(?:\w+:)?definedName>)")
_NAME_ATTR_RE: Final = re.compile(r"""(?<![\w:.-])name\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SHEET_TAG_RE: Final = re.compile(r"<(?:\w+:)?sheet\b([^>]*?)/?>")
_RELATIONSHIP_RE: Final = re.compile(r"<(?:\w+:)?Relationship\b([^>]*?)/?>")


def _attributes(text: str) -> dict[str, str]:
    """Attributes of one start tag, keyed by local name (prefixes dropped), entities decoded."""
    return {
        key.rpartition(":")[2]: _unescape(double if double or not single else single)
        for key, double, single in _ATTR_RE.findall(text)
    }


def _unescape(text: str) -> str:
    return html.unescape(text) if "&" in text else text


def _decode(xml: bytes | None) -> str:
    if not xml:
        return ""
    try:
        return xml.decode("utf-16" if xml[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8")
    except UnicodeDecodeError:
        return ""


class ContentMemo:
    """Results of pure functions of XML parts, keyed by the parts' bytes themselves: a dict lookup hashes
    a bytes object once (the hash is kept on the object, and members read again are the same objects)
    and confirms a hit by comparing the bytes, so no digest is computed and no collision can mislead.
    Bounded in entries and in the bytes its keys hold; full, it starts over."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self._found: dict[Any, Any] = {}
        self._bytes = 0
        self._max_entries = max_entries
        self._max_bytes = max_bytes

    def get(self, key: Any) -> Any:
        return self._found.get(key)

    def clear(self) -> None:
        self._found.clear()
        self._bytes = 0

    def put(self, key: Any, value: Any, size: int) -> None:
        if size > self._max_bytes // 8:
            return  # one entry never takes more than an eighth of the memory
        if len(self._found) >= self._max_entries or self._bytes + size > self._max_bytes:
            self._found.clear()
            self._bytes = 0
        self._found[key] = value
        self._bytes += size


_PARSED = ContentMemo(max_entries=1024, max_bytes=64 << 20)


def _by_content(fn: Callable[..., T]) -> Callable[..., T]:
    """Memoise a pure parse of XML parts by the parts' content: a collect reads hundreds of returns of
    one template, whose workbook.xml, relationships and sheet tails are the same bytes. Results are
    copied out (callers own what they get)."""

    @functools.wraps(fn)
    def parse(*parts: bytes | None) -> T:
        key = (fn.__name__, parts)
        found: T | None = _PARSED.get(key)
        if found is None:
            found = fn(*parts)
            _PARSED.put(key, found, sum(len(part) for part in parts if part))
        return _fresh(found)

    return parse


def _fresh(value: T) -> T:
    """A copy of the containers of a parse result (their items are strings and tuples: immutable)."""
    if isinstance(value, dict):
        return dict(value)  # type: ignore[return-value]
    if isinstance(value, list):
        return list(value)  # type: ignore[return-value]
    if isinstance(value, tuple):
        return tuple(_fresh(item) for item in value)  # type: ignore[return-value]
    return value


@_by_content
def xlsx_defined_names(workbook_xml: bytes | None) -> tuple[dict[str, str], tuple[str, ...]]:
    """Workbook-scoped names → reference text, and the names defined more than once (a file Excel
    writes never repeats one; which of two copies a reader takes is arbitrary, so the caller must
    not pick one)."""
    names: dict[str, str] = {}
    repeated: list[str] = []
    for attrs_text, body in _DEFINED_NAME_RE.findall(_decode(workbook_xml)):
        if "localSheetId" in attrs_text:
            continue
        match = _NAME_ATTR_RE.search(attrs_text)
        name = _unescape(match.group(1) or match.group(2)) if match else ""
        if name and not name.startswith("_xlnm."):
            if name in names:
                repeated.append(name)
            else:
                names[name] = _unescape(body).strip()
    return names, tuple(dict.fromkeys(repeated))


@_by_content
def xlsx_sheet_parts(workbook_xml: bytes | None, rels_xml: bytes | None) -> dict[str, str]:
    """Sheet name → zip member of its XML, via the workbook relationships."""
    targets: dict[str, str] = {}
    for attrs_text in _RELATIONSHIP_RE.findall(_decode(rels_xml)):
        attrs = _attributes(attrs_text)
        target = attrs.get("Target", "")
        targets[attrs.get("Id", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    parts: dict[str, str] = {}
    for attrs_text in _SHEET_TAG_RE.findall(_decode(workbook_xml)):
        attrs = _attributes(attrs_text)
        if attrs.get("id") in targets:
            parts[attrs.get("name", "")] = targets[attrs["id"]]
    return parts


# <f> is the first child of <c> in the schema (f, v, is), so a formula cell is a cell start tag directly
# followed by <f>. Returns hold a handful of formulas among hundreds of cells, so find the <f> tags
# (one C-speed scan) and look back to their cell's r="…" instead of matching every cell.
_F_TAG_RE: Final = re.compile(rb"<(?:\w+:)?f[\s/>]")
# An r attribute as any XML writer may spell it: either quote, spaces around "=", lower-case letters.
_R_ATTR_RE: Final = re.compile(rb"""\sr\s*=\s*["']\$?([A-Za-z]{1,3})\$?([0-9]{1,7})["']""")


def xlsx_formula_cells(sheet_xml: bytes) -> frozenset[str]:
    """A1 addresses of the cells with an ``<f>`` element (shared-formula children included)."""
    if len(sheet_xml) < _REMEMBER_FROM or not sheet_xml.startswith(b"<sheetData"):
        return _formula_cells(sheet_xml)
    # Row by row, remembered: a cell and its <f> are in one row, and most rows repeat the template's.
    found: set[str] = set()
    for row in sheet_rows(sheet_xml):
        cells = _FORMULA_ROWS.get(row)
        if cells is None:
            cells = _formula_cells(row)
            _FORMULA_ROWS.put(row, cells, len(row))
        found |= cells
    return frozenset(found)


def _formula_cells(sheet_xml: bytes) -> frozenset[str]:
    found: set[str] = set()
    for match in _F_TAG_RE.finditer(sheet_xml):
        tag_start = sheet_xml.rfind(b"<", 0, match.start())
        # The previous tag must be the cell's start tag: "<c" or "<x:c" followed by attributes.
        head = sheet_xml[tag_start : match.start()]
        name_end = len(head.split(None, 1)[0]) if head.strip() else 0
        if head[1:name_end].rsplit(b":", 1)[-1] != b"c":
            continue
        ref = _R_ATTR_RE.search(head)
        if ref is not None:
            found.add(ref.group(1).decode("ascii").upper() + ref.group(2).decode("ascii").lstrip("0"))
    return frozenset(found)


def _ods_range_to_excel(address: str) -> str:
    """``$'监控表'.$F$14`` / ``$监控表.$F$14`` → ``监控表!$F$14`` (single cells and ranges)."""
    parts = []
    for piece in address.split(":"):
        sheet, _, cell = piece.rpartition(".")
        sheet = sheet.lstrip("$")
        if sheet.startswith("'") and sheet.endswith("'"):
            sheet = sheet[1:-1].replace("''", "'")
        parts.append((sheet, cell))
    first_sheet = parts[0][0]
    quoted = (
        first_sheet if re.fullmatch(r"[\w.]+", first_sheet) else "'" + first_sheet.replace("'", "''") + "'"
    )
    cells = ":".join(cell for _sheet, cell in parts)
    return f"{quoted}!{cells}" if first_sheet else cells


def ods_defined_names(content_xml: bytes | None) -> dict[str, str]:
    root = _parse(content_xml)
    if root is None:
        return {}
    names: dict[str, str] = {}
    for element in root.iter(f"{_NS_TABLE}named-range"):
        name = element.get(f"{_NS_TABLE}name", "")
        address = element.get(f"{_NS_TABLE}cell-range-address", "")
        if name and address:
            names[name] = _ods_range_to_excel(address)
    return names


_ODS_TOKEN_RE: Final = re.compile(rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)\b([^>]*?)(/?)>")
_ODS_REPEAT_RE: Final = re.compile(rb'number-(?:rows|columns)-repeated="([0-9]{1,10})"')
_ODS_NAME_RE: Final = re.compile(rb'table:name="([^"]*)"')


def ods_oversized_table(content_xml: bytes, max_cells: int) -> str | None:
    """The name of the first table whose cells that hold something span more than ``max_cells``, or None.

    An ods file repeats rows and cells (``number-rows-repeated``): a 1 KB file can describe a value in
    30,000 × 1,024 cells, which calamine materialises (about 2 GB) before anything could bound it. Cells
    with neither a value type nor text cost nothing there, so only cells that hold something count.
    """
    name = ""
    row_index, max_row, max_col = 0, -1, -1
    row_repeat = col_index = 0
    in_row_held = -1  # last column of the current row that holds something
    for match in _ODS_TOKEN_RE.finditer(content_xml):
        closing, tag, attrs, empty = match.groups()
        if tag == b"table":
            if closing:
                if max_row >= 0 and (max_row + 1) * (max_col + 1) > max_cells:
                    return name
            else:
                found = _ODS_NAME_RE.search(attrs)
                name = html.unescape(found.group(1).decode("utf-8", "replace")) if found else ""
                row_index, max_row, max_col = 0, -1, -1
            continue
        if tag == b"table-row":
            if closing:
                if in_row_held >= 0:
                    max_row = max(max_row, row_index + row_repeat - 1)
                    max_col = max(max_col, in_row_held)
                row_index += row_repeat
            else:
                repeat = _ODS_REPEAT_RE.search(attrs)
                row_repeat = int(repeat.group(1)) if repeat else 1
                col_index, in_row_held = 0, -1
                if empty:
                    row_index += row_repeat
            continue
        if closing:
            continue
        repeat = _ODS_REPEAT_RE.search(attrs)
        cols = int(repeat.group(1)) if repeat else 1
        holds = b"value-type" in attrs or (
            not empty and b"<text:" in content_xml[match.end() : content_xml.find(b"</table:", match.end())]
        )
        if holds:
            in_row_held = col_index + cols - 1
        col_index += cols
    if max_row >= 0 and (max_row + 1) * (max_col + 1) > max_cells:
        return name
    return None


def ods_formula_cells(content_xml: bytes | None, sheet: str) -> frozenset[str]:
    """Walk the sheet's rows/cells honouring ``number-*-repeated`` to give formula cells A1 addresses."""
    root = _parse(content_xml)
    if root is None:
        return frozenset()
    found: set[str] = set()
    for table in root.iter(f"{_NS_TABLE}table"):
        if table.get(f"{_NS_TABLE}name") != sheet:
            continue
        row_index = 0
        for row in _ods_rows(table):
            repeat_rows = min(int(row.get(f"{_NS_TABLE}number-rows-repeated", "1") or 1), _MAX_ROW)
            col_index = 0
            for cell in row:
                if cell.tag not in (f"{_NS_TABLE}table-cell", f"{_NS_TABLE}covered-table-cell"):
                    continue
                repeat_cols = min(int(cell.get(f"{_NS_TABLE}number-columns-repeated", "1") or 1), _MAX_COL)
                if cell.get(f"{_NS_TABLE}formula") is not None:
                    for r in range(row_index, min(row_index + repeat_rows, row_index + 1000)):
                        for c in range(col_index, min(col_index + repeat_cols, col_index + 1000)):
                            if r < _MAX_ROW and c < _MAX_COL:
                                found.add(rc_to_a1(r, c))
                col_index += repeat_cols
            row_index += repeat_rows
    return frozenset(found)


def _ods_rows(table: Element) -> Iterator[Element]:
    """Rows of a table, including those inside row groups and header-row blocks, in document order."""
    for child in table:
        if child.tag == f"{_NS_TABLE}table-row":
            yield child
        elif child.tag in (
            f"{_NS_TABLE}table-row-group",
            f"{_NS_TABLE}table-header-rows",
            f"{_NS_TABLE}table-rows",
        ):
            yield from _ods_rows(child)


# -- raw cell records -----------------------------------------------------------------------------


class RawCell(NamedTuple):
    """One ``<c>`` element as written: what the file claims, before any reader interprets it (a tuple:
    dozens are made per return)."""

    type: str  # the t attribute; "n" when absent
    value: str | None  # the <v> text as written (character references not decoded)
    inline: str | None  # the <is> element's <t> texts joined, as written
    formula: bool


_CELL_RE: Final = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_V_RE: Final = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>([^<]*)</(?:\w+:)?v>")
_IS_RE: Final = re.compile(rb"<(?:\w+:)?is\b[^>]*>(.*?)</(?:\w+:)?is>", re.S)
_T_TEXT_RE: Final = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>([^<]*)</(?:\w+:)?t>")
_T_ATTR_RE: Final = re.compile(rb'\st="([^"]*)"')
_CELL_R_RE: Final = _R_ATTR_RE
_MERGE_RE: Final = re.compile(rb"""<(?:\w+:)?mergeCell\b[^>]*?\sref\s*=\s*["']([^"']+)["']""")
_PLAIN_MERGE_RE: Final = re.compile(rb'<mergeCell ref="([^"]+)"')
_SI_RE: Final = re.compile(rb"<(?:\w+:)?si[\s>/]")


def xlsx_cells(sheet_xml: bytes, wanted: Collection[str]) -> dict[str, list[RawCell]]:
    """The ``<c>`` records of the ``wanted`` A1 cells (normalised, ``F14``), each as often as it occurs:
    a cell written twice is a contradiction in itself. (Ingest judges a return's records row by row,
    through :func:`xlsx_record_problems`, which reads the whole part with this when it must.)

    Excel, WPS, LibreOffice and every writer perfsheet knows write ``<c r="…"`` without a namespace
    prefix and with ``r`` first, so the wanted cells are found with literal scans; a sheet with any
    other cell start tag (a prefix, ``r`` later, other whitespace) is parsed cell by cell (slower,
    same result).
    """
    want = frozenset(wanted)
    xml = sheet_xml
    found: dict[str, list[RawCell]] = {}
    # The regular-expression engine skips the cells nobody asked for; Python sees only the wanted ones.
    for match in _wanted_cells_re(want).finditer(xml):
        a1 = match.group(1).decode("ascii")
        tag_end = xml.find(b">", match.end())
        if tag_end < 0:
            continue
        attrs = xml[match.end() : tag_end]  # after r="…": the same record in another cell reads the same
        if attrs.endswith(b"/"):
            body = b""
        else:
            close = xml.find(b"</c>", tag_end)
            body = xml[tag_end + 1 : close] if close >= 0 else b""
        found.setdefault(a1, []).append(_record(attrs, body))
    if _only_literal_cell_starts(xml):
        return found
    found = {}
    for element in _CELL_RE.finditer(xml):
        attrs = element.group(1)
        ref = _CELL_R_RE.search(attrs)
        if ref is None:
            continue
        a1 = ref.group(1).decode("ascii").upper() + ref.group(2).decode("ascii").lstrip("0")
        if a1 in want:
            found.setdefault(a1, []).append(_raw_cell(attrs, element.group(2) or b""))
    return found


# Literal first, so that re's fast prefix search does the scanning.
_CELL_START_RE: Final = re.compile(rb'<c r="[A-Z]{1,3}[1-9][0-9]{0,6}"')
_ANY_CELL_START_RE: Final = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
# "<c" that does not start a literal cell tag (also <col, <color in rich text: then the count decides).
_OTHER_C_RE: Final = re.compile(rb'<c(?! r="[A-Z]{1,3}[1-9][0-9]{0,6}")')


def _record(attrs: bytes, body: bytes) -> RawCell:
    if len(attrs) + len(body) > _RECORD_MEMO_BYTES:
        return _raw_cell(attrs, body)  # a long text: no other return repeats it
    key = (attrs, body)
    raw = _RAW_CELLS.get(key)
    if raw is None:
        raw = _raw_cell(attrs, body)
        if len(_RAW_CELLS) >= _RAW_CELLS_MAX:
            _RAW_CELLS.clear()
        _RAW_CELLS[key] = raw
    return raw


def xlsx_record_problems(cells_xml: bytes, wanted: Collection[str], shared_count: int) -> dict[str, str]:
    """The wanted cells (normalised A1) whose record is written twice or contradicts itself
    (:func:`cell_contradiction`, against a shared-string table of ``shared_count`` entries) → why, in
    Chinese. The cells of a return differ from its template's in a few rows: each row's verdict is
    remembered by its bytes (with the wanted cells and the table size), so only changed rows are read."""
    want = frozenset(wanted)
    if len(cells_xml) >= _REMEMBER_FROM and cells_xml.startswith(b"<sheetData"):
        by_row = _record_problems_by_row(cells_xml, want, shared_count)
        if by_row is not None:
            return by_row
    problems: dict[str, str] = {}
    for a1, found in xlsx_cells(cells_xml, want).items():
        why = _WRITTEN_TWICE if len(found) > 1 else cell_contradiction(found[0], shared_count)
        if why is not None:
            problems[a1] = why
    return problems


_WRITTEN_TWICE: Final = "单元格在文件中重复出现"
# Row bytes, wanted cells and shared-string count → (the wanted cells the row writes, their problems).
_ROW_VERDICTS = ContentMemo(max_entries=65536, max_bytes=16 << 20)


def _record_problems_by_row(xml: bytes, want: frozenset[str], shared_count: int) -> dict[str, str] | None:
    """:func:`xlsx_record_problems` row by row (:func:`sheet_rows`); None when a row is not plainly
    written (a cell start tag of another spelling, a record not closed inside its row).

    Same result as the whole-part scan: no wanted start tag, and no ``>`` or ``</c>`` it looks for, can
    span a cut after ``</row>``, and every cell start tag is literal in the whole exactly when it is in
    each row; a cell written in two rows is counted across them."""
    pattern = _wanted_cells_re(want)
    written: dict[str, int] = {}
    problems: dict[str, str] = {}
    for row in sheet_rows(xml):
        key = (row, want, shared_count)
        verdict: tuple[tuple[str, ...], tuple[tuple[str, str], ...]] | None = _ROW_VERDICTS.get(key)
        if verdict is None:
            records = _row_records(row, pattern)
            if records is None:
                return None  # not plainly written: the whole part is read
            verdict = (
                tuple(a1 for a1, _raw in records),
                tuple((a1, why) for a1, raw in records if (why := cell_contradiction(raw, shared_count))),
            )
            _ROW_VERDICTS.put(key, verdict, len(row))
        for a1 in verdict[0]:
            written[a1] = written.get(a1, 0) + 1
        for a1, why in verdict[1]:
            problems.setdefault(a1, why)
    for a1, count in written.items():
        if count > 1:
            problems[a1] = _WRITTEN_TWICE
    return problems


def _row_records(row: bytes, pattern: re.Pattern[bytes]) -> tuple[tuple[str, RawCell], ...] | None:
    if not _only_literal_cell_starts(row):
        return None
    records: list[tuple[str, RawCell]] = []
    for match in pattern.finditer(row):
        tag_end = row.find(b">", match.end())
        if tag_end < 0:
            return None
        attrs = row[match.end() : tag_end]
        if attrs.endswith(b"/"):
            body = b""
        else:
            close = row.find(b"</c>", tag_end)
            if close < 0:
                return None
            body = row[tag_end + 1 : close]
        records.append((match.group(1).decode("ascii"), _record(attrs, body)))
    return tuple(records)


# Records read before (attributes after r, body) → RawCell: the returns of one template repeat most of
# their input records (empty cells, the same choices); a record is a few dozen bytes.
_RAW_CELLS: dict[tuple[bytes, bytes], RawCell] = {}
_RAW_CELLS_MAX: Final = 16384
_RECORD_MEMO_BYTES: Final = 1024  # records up to this long are remembered: at most 16 MiB of them


def _only_literal_cell_starts(xml: bytes) -> bool:
    """Whether every cell start tag of the sheet, however spelt (a prefix, other whitespace), is the
    literal ``<c r="F14"`` form :func:`xlsx_cells` scans for: then no cell was missed. Usually decided
    by two scans that find nothing; otherwise all start tags are counted both ways."""
    if b":c" not in xml and _OTHER_C_RE.search(xml) is None:
        return True
    return len(_CELL_START_RE.findall(xml)) == len(_ANY_CELL_START_RE.findall(xml))


@functools.lru_cache(maxsize=512)
def _wanted_cells_re(wanted: frozenset[str]) -> re.Pattern[bytes]:
    """``<c r="F14"`` for exactly the wanted cells (one pattern per project form, kept). The references
    are grouped by column (``F(?:14|15)``), so the engine tries a cell's rows only when its column is
    wanted."""
    by_column: dict[str, list[str]] = {}
    for a1 in sorted(wanted):
        column = a1.rstrip("0123456789")
        by_column.setdefault(column, []).append(a1[len(column) :])
    branches = [
        re.escape(column.encode("ascii", "replace"))
        + b"(?:" + b"|".join(re.escape(row.encode("ascii", "replace")) for row in rows) + b")"
        for column, rows in by_column.items()
    ]
    # The closing quote makes each branch match its whole reference (F1 never matches inside F14).
    return re.compile(rb'<c r="(' + (b"|".join(branches) or b"(?!)") + rb')"')


def _raw_cell(attrs: bytes, body: bytes) -> RawCell:
    if body.startswith(b"<v>") and body.endswith(b"</v>") and body.count(b"<") == 2:
        # The common record, <c r="F14" s="3" t="s"><v>12</v></c>, without a regular expression.
        at = attrs.find(b' t="')
        kind_text = attrs[at + 4 : attrs.find(b'"', at + 4)].decode("utf-8", "replace") if at >= 0 else "n"
        return RawCell(type=kind_text, value=body[3:-4].decode("utf-8", "replace"), inline=None, formula=False)
    kind = _T_ATTR_RE.search(attrs)
    if not body or (body.startswith(b"<is><t>") and body.endswith(b"</t></is>") and body.count(b"<") == 4):
        # An empty styled cell, or the inline string openpyxl writes (<is><t>text</t></is>): the
        # expressions below would find no <v>, this one <t> text and no <f>.
        return RawCell(
            type=kind.group(1).decode("utf-8", "replace") if kind else "n",
            value=None,
            inline=body[7:-9].decode("utf-8", "replace") if body else None,
            formula=False,
        )
    value = _V_RE.search(body)
    inline = _IS_RE.search(body) if b"is" in body else None
    return RawCell(
        type=kind.group(1).decode("utf-8", "replace") if kind else "n",
        value=value.group(1).decode("utf-8", "replace") if value else None,
        inline=b"".join(_T_TEXT_RE.findall(inline.group(1))).decode("utf-8", "replace") if inline else None,
        formula=b"f" in body and _F_TAG_RE.search(body) is not None,
    )


def split_sheet_xml(sheet_xml: bytes) -> tuple[bytes, bytes]:
    """A worksheet part as (its ``<sheetData>`` element, everything else).

    Cells, their formulas and their row references live in ``<sheetData>``; merges, validations and
    their long input messages (most of a template's bytes, written as character references) come
    after it. Each scan of a return's sheet looks only at the piece its records live in, so no scan
    pays for the other three quarters. A sheet with a prefixed or repeated ``sheetData`` is not
    split (both pieces are the whole part: slower, same result).

    The returns of one template share everything but their cells: a head and tail seen before (and
    found free of a second ``<sheetData``) give the same "everything else" object as before, found by
    comparison, so the verdicts remembered for it are found without hashing it again.
    """
    start = sheet_xml.find(b"<sheetData")
    end = sheet_xml.find(b"</sheetData>", start) if start >= 0 else -1
    if start >= 0 and end >= 0 and b":sheetData" not in sheet_xml[:start]:
        stop = end + len(b"</sheetData>")
        head, tail = sheet_xml[:start], sheet_xml[stop:]
        known = _KNOWN_RESTS.get((len(head), len(tail)))
        # start is the first "<sheetData" and none can straddle "</sheetData>": a known tail leaves
        # only the cells to look through for a second one.
        if known is not None and known.startswith(head) and known.endswith(tail):
            if sheet_xml.find(b"<sheetData", start + 1, stop) < 0:
                return sheet_xml[start:stop], known
        elif sheet_xml.find(b"<sheetData", start + 1) < 0:
            rest = head + tail
            _remember_rest(len(head), len(tail), rest)
            return sheet_xml[start:stop], rest
    if start < 0 or end < 0 or b":sheetData" in sheet_xml[:start] or sheet_xml.find(b"<sheetData", start + 1) >= 0:
        empty_data = start >= 0 and end < 0 and sheet_xml.find(b"<sheetData/>", start) == start
        if empty_data and sheet_xml.count(b"<sheetData") == 1:
            return b"", sheet_xml
        return sheet_xml, sheet_xml
    end += len(b"</sheetData>")
    return sheet_xml[start:end], sheet_xml[:start] + sheet_xml[end:]


# (len(head), len(tail)) → head + tail of sheets split lately, bounded in bytes (a rest over 1 MiB is
# not kept: no template has one).
_KNOWN_RESTS: dict[tuple[int, int], bytes] = {}
_KNOWN_RESTS_MAX_BYTES: Final = 32 << 20
_known_rests_bytes = 0


def _remember_rest(head_length: int, tail_length: int, rest: bytes) -> None:
    global _known_rests_bytes
    if len(rest) > 1 << 20:
        return
    if _known_rests_bytes + len(rest) > _KNOWN_RESTS_MAX_BYTES:
        _KNOWN_RESTS.clear()
        _known_rests_bytes = 0
    _KNOWN_RESTS[(head_length, tail_length)] = rest
    _known_rests_bytes += len(rest)


@_by_content
def xlsx_merged_ranges(sheet_xml: bytes) -> list[tuple[str, int, int, int, int]]:
    """``<mergeCell ref="H8:I9">`` → (ref, top, left, bottom, right), 0-based and inclusive."""
    ranges: list[tuple[str, int, int, int, int]] = []
    if b"mergeCell" not in sheet_xml:
        return ranges
    plain = b":mergeCell" not in sheet_xml and sheet_xml.count(b"<mergeCell ") == sheet_xml.count(b'<mergeCell ref="')
    pattern = _PLAIN_MERGE_RE if plain else _MERGE_RE
    for match in pattern.finditer(sheet_xml):
        ref = match.group(1).decode("ascii", "replace")
        first, _, last = ref.partition(":")
        try:
            top, left = a1_to_rc(first)
            bottom, right = a1_to_rc(last or first)
        except ValueError:
            continue
        ranges.append((ref, min(top, bottom), min(left, right), max(top, bottom), max(left, right)))
    return ranges


def shared_string_count(sst_xml: bytes | None) -> int:
    """How many entries the shared-string table really has (its count attributes may say anything)."""
    if not sst_xml:
        return 0
    if b":si" not in sst_xml:  # every writer but a few uses no prefix: count at C speed
        return sst_xml.count(b"<si>") + sst_xml.count(b"<si ") + sst_xml.count(b"<si/>")
    return len(_SI_RE.findall(sst_xml))


_NUMBER_RE: Final = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_CHAR_REF_RE: Final = re.compile(r"&#(x[0-9A-Fa-f]+|[0-9]+);")
_ERROR_LITERALS: Final = frozenset({
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!",
    "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#CONNECT!", "#BUSY!",
})
_DATE_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:T[0-9:.]+)?Z?")


def is_xml_char(code: int) -> bool:
    """Whether XML 1.0 allows the character (Excel and LibreOffice refuse a file with any other)."""
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


# The characters is_xml_char refuses, as one class (a text is searched at C speed): C0 controls but
# TAB, LF and CR, surrogates, U+FFFE and U+FFFF (a str holds nothing above U+10FFFF). Written as the
# forbidden ranges, not as the complement of the allowed ones, which takes 10 ms to compile.
_NOT_XML_CHAR_RE: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def has_non_xml_char(text: str) -> bool:
    """Whether a text holds a character XML 1.0 forbids (see :func:`is_xml_char`)."""
    return _NOT_XML_CHAR_RE.search(text) is not None


# The same characters written raw: C0 controls but TAB/LF/CR (found by deleting every other byte, at
# C speed), U+FFFE/U+FFFF and UTF-8-encoded surrogates.
_CONTROL_BYTES: Final = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_NOT_CONTROL_BYTES: Final = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
_SURROGATE_RE: Final = re.compile(rb"\xed[\xa0-\xbf]")


def has_forbidden_character(xml: bytes, pieces: tuple[bytes, bytes] | None = None) -> bool:
    """Whether an XML part (UTF-8) holds a character XML 1.0 forbids, raw or as a reference. Excel and
    LibreOffice refuse such a file; calamine reads it, so without this check the two would disagree.

    A worksheet is judged by its two pieces from :func:`split_sheet_xml` (``pieces``, when the caller
    has them), its cells and the rest (the validations and their input messages: most of the part, and
    the same in every return of one template). The cuts are at tag boundaries, which split no reference
    and no UTF-8 sequence, so the two verdicts together are the verdict on the whole; each piece's is
    remembered by its content (:func:`_clean`).
    """
    cells, rest = pieces if pieces is not None else split_sheet_xml(xml)
    if cells is rest or cells == xml:  # not split: one piece
        return not _clean(xml)
    return not _clean(cells) or not _clean(rest)


# The pieces found free of forbidden characters in this process: a collect reads hundreds of returns
# of one template, whose sheets differ only in their cells.
_CLEAN_PIECES = ContentMemo(max_entries=65536, max_bytes=32 << 20)
_FORMULA_ROWS = ContentMemo(max_entries=65536, max_bytes=16 << 20)
_REMEMBER_FROM = 4096  # smaller pieces are scanned faster than they are kept


def _clean(piece: bytes) -> bool:
    if len(piece) < _REMEMBER_FROM:
        return not _scan_forbidden(piece)
    if _CLEAN_PIECES.get(piece):
        return True
    if piece.startswith(b"<sheetData"):
        # The cells of a return differ from the template's in a few rows: each row is judged (and
        # remembered) on its own, so only the rows the chief changed are scanned. A cut after
        # </row> splits no reference and no UTF-8 sequence.
        return all(_clean_row(row) for row in sheet_rows(piece))
    if _scan_forbidden(piece):
        return False
    _CLEAN_PIECES.put(piece, True, len(piece))
    return True


_last_split: list[tuple[bytes, list[bytes]]] = []


def sheet_rows(cells_piece: bytes) -> list[bytes]:
    """A ``<sheetData>`` piece cut after each ``</row>`` (tag boundaries: no reference, no UTF-8
    sequence and no start tag is split), for checks that judge, and remember, row by row. The last
    piece's cut is kept: the checks of one file ask for it one after the other."""
    if _last_split and _last_split[0][0] is cells_piece:
        return _last_split[0][1]
    rows = cells_piece.split(b"</row>")
    _last_split[:] = [(cells_piece, rows)]
    return rows


def _clean_row(row: bytes) -> bool:
    if _CLEAN_PIECES.get(row):
        return True
    if _scan_forbidden(row):
        return False
    _CLEAN_PIECES.put(row, True, len(row))
    return True


def _scan_forbidden(xml: bytes) -> bool:
    if xml.translate(None, _NOT_CONTROL_BYTES):
        return True
    if (b"\xef\xbf" in xml and (b"\xef\xbf\xbe" in xml or b"\xef\xbf\xbf" in xml)) or (
        b"\xed" in xml and _SURROGATE_RE.search(xml)
    ):
        return True
    return b"&#" in xml and _forbidden_reference(xml)


# The references that may name a character XML 1.0 forbids, as a superset the regular-expression engine
# tests in one step per "&#": a leading zero or hex ("&#0…", "&#x…"), one or two decimal digits,
# 55…–57… (the surrogates 55,296–57,343), 6553… (U+FFFE, U+FFFF) or seven digits and more. Every
# other decimal reference (openpyxl writes each CJK character as one, thousands per sheet) is allowed;
# the candidates (usually none) are decoded and checked one by one.
_NOT_SURELY_ALLOWED_REF_RE: Final = re.compile(rb"&#(?:[^1-9]|[1-9][0-9]?;|5[5-7]|6553|[0-9]{7})")
_REF_AT_RE: Final = re.compile(rb"&#([xX][0-9A-Fa-f]+|[0-9]+);")


def _forbidden_reference(xml: bytes) -> bool:
    for candidate in _NOT_SURELY_ALLOWED_REF_RE.finditer(xml):
        ref = _REF_AT_RE.match(xml, candidate.start())
        if ref is None:
            continue  # "&#" that starts no reference (the XML is broken elsewhere; not this check's job)
        digits = ref.group(1)
        code = int(digits[1:], 16) if digits[:1] in (b"x", b"X") else int(digits)
        if not is_xml_char(code):
            return True
    return False


def _bad_char_ref(text: str | None) -> bool:
    if not text or "&#" not in text:
        return False
    for ref in _CHAR_REF_RE.findall(text):
        try:
            code = int(ref[1:], 16) if ref[0] == "x" else int(ref)
        except ValueError:
            return True
        if not is_xml_char(code):
            return True
    return False


def cell_contradiction(cell: RawCell, shared_count: int) -> str | None:
    """Why a cell's record contradicts itself (type against content), in Chinese; None when sound.

    Excel writes each type with exactly one kind of content: a shared-string cell an index into the
    table, a number cell a finite decimal, an inline-string cell an ``<is>``, an error cell one of the
    error literals. Anything else is a damaged or hand-edited file whose value no two readers agree on.
    """
    value = None if cell.value is None else html.unescape(cell.value).strip()
    if _bad_char_ref(cell.value) or _bad_char_ref(cell.inline):
        return "含有 Excel 不允许的控制字符"
    kind = cell.type
    if kind == "s":
        if cell.inline is not None or value is None or not value.isdigit() or int(value) >= shared_count:
            return f"共享字符串编号“{value or ''}”无效"
        return None
    if kind == "inlineStr":
        return None if cell.inline is not None and cell.value is None else "文本单元格内容与类型不符"
    if cell.inline is not None:
        return f"类型为“{kind}”的单元格含有文本"
    if value is None:
        return None  # an empty, styled cell
    if kind == "n":
        if not _NUMBER_RE.fullmatch(value) or float(value) in (float("inf"), float("-inf")):
            return f"数字“{value}”无效"
        return None
    if kind == "b":
        return None if value in ("0", "1") else f"逻辑值“{value}”无效"
    if kind == "e":
        return None if value in _ERROR_LITERALS else f"错误值“{value}”无效"
    if kind == "str":
        return None
    if kind == "d":
        return None if _DATE_RE.fullmatch(value) else f"日期“{value}”无效"
    return f"未知的单元格类型“{kind}”"
