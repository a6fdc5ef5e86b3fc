"""The worksheet split that lets each scan of a return read only its piece (issue 16): cells from
``<sheetData>``, merges and the rest from outside it, and no split at all when the part is unusual."""

from __future__ import annotations

from perfsheet.ingest.xmlparts import split_sheet_xml, xlsx_cells, xlsx_formula_cells, xlsx_merged_ranges

HEAD = b'<worksheet><dimension ref="A1:B2"/>'
DATA = b'<sheetData><row r="1"><c r="A1" t="n"><v>1</v></c><c r="B1"><f>A1*2</f><v>2</v></c></row></sheetData>'
TAIL = b'<mergeCells count="1"><mergeCell ref="A2:B2"/></mergeCells></worksheet>'


def test_a_plain_sheet_splits_at_its_sheet_data() -> None:
    cells, rest = split_sheet_xml(HEAD + DATA + TAIL)
    assert cells == DATA and rest == HEAD + TAIL
    assert set(xlsx_cells(cells, ["A1", "B1"])) == {"A1", "B1"}
    assert xlsx_formula_cells(cells) == frozenset({"B1"})
    assert [m[0] for m in xlsx_merged_ranges(rest)] == ["A2:B2"]


def test_unusual_parts_are_not_split() -> None:
    prefixed = HEAD + DATA.replace(b"sheetData", b"x:sheetData") + TAIL
    assert split_sheet_xml(prefixed) == (prefixed, prefixed)
    # A second <sheetData> (a hand-made file): both pieces stay whole, so no cell is missed.
    twice = HEAD + DATA + DATA.replace(b'r="A1" t="n"><v>1', b'r="A1" t="n"><v>9') + TAIL
    cells, rest = split_sheet_xml(twice)
    assert cells == rest == twice
    assert len(xlsx_cells(cells, ["A1"])["A1"]) == 2  # written twice: a contradiction ingest reports
    empty = HEAD + b"<sheetData/>" + TAIL
    assert split_sheet_xml(empty) == (b"", empty)
