"""Hand-built BIFF8 workbooks in an OLE compound file, for the extent tests.

``xls_file(sheets)`` returns the bytes of a minimal .xls that python-calamine opens: a globals
substream (BOF, BOUNDSHEET per sheet, EOF) and per sheet BOF, DIMENSIONS, the given cell records and
EOF. The DIMENSIONS record is written as asked, so a sheet can *declare* a range far larger than the
cells it holds (the shape of Apache POI's ``51535.xls``). ``record``/``number``/... build single
records, ``ole_file`` wraps any ``Workbook`` stream, so the tests can also corrupt either layer.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

_FREESECT = 0xFFFFFFFF
_ENDOFCHAIN = 0xFFFFFFFE
_FATSECT = 0xFFFFFFFD
_NOSTREAM = 0xFFFFFFFF
_SECTOR = 512


def record(typ: int, payload: bytes = b"") -> bytes:
    """One BIFF record: type u16, length u16, payload."""
    return struct.pack("<HH", typ, len(payload)) + payload


def bof(substream: int) -> bytes:
    """BIFF8 BOF: 0x0005 workbook globals, 0x0010 worksheet."""
    return record(0x0809, struct.pack("<HHHHII", 0x0600, substream, 0x0DBB, 0x07CC, 0x41, 0x06))


EOF = record(0x000A)


def dimensions(first_row: int, last_row_plus1: int, first_col: int, last_col_plus1: int) -> bytes:
    """BIFF8 DIMENSIONS (rwMic u32, rwMac u32, colMic u16, colMac u16, reserved u16)."""
    return record(0x0200, struct.pack("<IIHHH", first_row, last_row_plus1, first_col, last_col_plus1, 0))


def number(row: int, col: int, value: float, xf: int = 15) -> bytes:
    return record(0x0203, struct.pack("<HHHd", row, col, xf, value))


def rk_integer(row: int, col: int, value: int, xf: int = 15) -> bytes:
    """RK holding an integer (fX100 = 0, fInt = 1)."""
    return record(0x027E, struct.pack("<HHHI", row, col, xf, ((value << 2) | 2) & 0xFFFFFFFF))


def mulrk(row: int, first_col: int, values: Sequence[int], xf: int = 15) -> bytes:
    body = b"".join(struct.pack("<HI", xf, ((v << 2) | 2) & 0xFFFFFFFF) for v in values)
    return record(
        0x00BD, struct.pack("<HH", row, first_col) + body + struct.pack("<H", first_col + len(values) - 1)
    )


def label(row: int, col: int, text: str, xf: int = 15) -> bytes:
    """LABEL with an uncompressed (UTF-16) XLUnicodeString."""
    raw = text.encode("utf-16-le")
    return record(0x0204, struct.pack("<HHHHB", row, col, xf, len(text), 1) + raw)


def blank(row: int, col: int, xf: int = 15) -> bytes:
    return record(0x0201, struct.pack("<HHH", row, col, xf))


def mulblank(row: int, first_col: int, last_col: int, xf: int = 15) -> bytes:
    body = struct.pack("<H", xf) * (last_col - first_col + 1)
    return record(0x00BE, struct.pack("<HH", row, first_col) + body + struct.pack("<H", last_col))


def boolerr(row: int, col: int, value: bool, xf: int = 15) -> bytes:
    return record(0x0205, struct.pack("<HHHBB", row, col, xf, int(value), 0))


def row_record(row: int, first_col: int, last_col_plus1: int) -> bytes:
    return record(0x0208, struct.pack("<HHHHHHI", row, first_col, last_col_plus1, 0x00FF, 0, 0, 0x0100))


def formula(row: int, col: int, value: float, tokens: bytes = b"\x1e\x01\x00", xf: int = 15) -> bytes:
    """FORMULA with a cached number; default tokens are ``=1`` (ptgInt 1)."""
    head = struct.pack("<HHHdHI", row, col, xf, value, 0, 0)
    return record(0x0006, head + struct.pack("<H", len(tokens)) + tokens)


def shrfmla(first_row: int, last_row: int, first_col: int, last_col: int) -> bytes:
    """SHRFMLA (RefU range, reserved, cUse, empty formula)."""
    return record(0x04BC, struct.pack("<HHBBBBH", first_row, last_row, first_col, last_col, 0, 1, 0))


def array(first_row: int, last_row: int, first_col: int, last_col: int) -> bytes:
    return record(0x0221, struct.pack("<HHBBHIH", first_row, last_row, first_col, last_col, 0, 0, 0))


@dataclass
class Sheet:
    name: str
    # DIMENSIONS as (rwMic, rwMac, colMic, colMac) — "Mac" values are one past the last; None: none written
    dims: tuple[int, int, int, int] | None
    cells: list[bytes] = field(default_factory=list)
    visibility: int = 0


def boundsheet(offset: int, name: str, visibility: int = 0) -> bytes:
    raw = name.encode("utf-16-le")
    return record(0x0085, struct.pack("<IBBBB", offset, visibility, 0, len(name), 1) + raw)


def workbook_stream(sheets: Sequence[Sheet]) -> bytes:
    """The BIFF8 ``Workbook`` stream: globals, then one substream per sheet."""
    bodies = []
    for sheet in sheets:
        body = bof(0x0010)
        if sheet.dims is not None:
            body += dimensions(*sheet.dims)
        body += b"".join(sheet.cells) + EOF
        bodies.append(body)
    globals_len = len(bof(0x0005)) + len(EOF) + sum(len(boundsheet(0, s.name)) for s in sheets)
    offset = globals_len
    out = bof(0x0005)
    for sheet, body in zip(sheets, bodies, strict=True):
        out += boundsheet(offset, sheet.name, sheet.visibility)
        offset += len(body)
    out += EOF
    return out + b"".join(bodies)


def ole_file(stream: bytes, name: str = "Workbook") -> bytes:
    """A version-3 compound file holding one stream (padded to 4096 bytes so it is not in the mini stream)."""
    if len(stream) < 4096:
        stream += b"\x00" * (4096 - len(stream))
    n_stream = -(-len(stream) // _SECTOR)
    n_fat = 1
    while n_fat * (_SECTOR // 4) < n_fat + 1 + n_stream:
        n_fat += 1
    if n_fat > 109:
        raise ValueError("stream too large for this helper")
    fat: list[int] = [_FATSECT] * n_fat + [_ENDOFCHAIN]  # FAT sectors, then the directory sector
    first_stream = n_fat + 1
    fat += [first_stream + i + 1 for i in range(n_stream - 1)] + [_ENDOFCHAIN]
    fat += [_FREESECT] * (n_fat * (_SECTOR // 4) - len(fat))
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
    header += struct.pack("<HHHHH", 0x003E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
    header += struct.pack("<IIIIIIIII", 0, n_fat, n_fat, 0, 4096, _ENDOFCHAIN, 0, _ENDOFCHAIN, 0)
    difat = list(range(n_fat)) + [_FREESECT] * (109 - n_fat)
    header += struct.pack("<109I", *difat)
    assert len(header) == _SECTOR

    def entry(entry_name: str, typ: int, child: int, start: int, size: int) -> bytes:
        raw = (entry_name + "\x00").encode("utf-16-le")
        return (
            raw.ljust(64, b"\x00")
            + struct.pack("<HBB", len(raw), typ, 1)
            + struct.pack("<III", _NOSTREAM, _NOSTREAM, child)
            + b"\x00" * 16  # CLSID
            + struct.pack("<I", 0)  # state bits
            + b"\x00" * 16  # creation / modification times
            + struct.pack("<IQ", start, size)
        )

    directory = entry("Root Entry", 5, 1, _ENDOFCHAIN, 0) + entry(
        name, 2, _NOSTREAM, first_stream, len(stream)
    )
    directory = directory.ljust(_SECTOR, b"\x00")
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    return header + fat_bytes + directory + stream.ljust(n_stream * _SECTOR, b"\x00")


def xls_file(sheets: Sequence[Sheet]) -> bytes:
    return ole_file(workbook_stream(sheets))


def poi_like_sheets() -> list[Sheet]:
    """One sheet declaring 65,536 rows × 256 columns (like POI's 51535.xls), with cells at A1 and IV65536."""
    return [Sheet("Sheet1", (0, 65536, 0, 256), [number(0, 0, 1.0), number(65535, 255, 2.0)])]


def declared_only_sheets() -> list[Sheet]:
    """One sheet declaring 65,536 × 256 but holding only A1."""
    return [Sheet("Sheet1", (0, 65536, 0, 256), [number(0, 0, 1.0)])]
