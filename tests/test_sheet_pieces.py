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


def test_sheets_of_one_template_share_their_rest_and_a_second_sheet_data_is_still_seen() -> None:
    first = split_sheet_xml(HEAD + DATA + TAIL)
    other_cells = DATA.replace(b"<v>1</v>", b"<v>7</v>")
    second = split_sheet_xml(HEAD + other_cells + TAIL)
    assert second == (other_cells, HEAD + TAIL)
    assert second[1] is first[1]  # the same object: its remembered verdicts are found without hashing
    # The head and tail are known, but this one's cells hide a second <sheetData>: not split.
    hidden = HEAD + DATA[:-len(b"</sheetData>")] + b"<sheetData>" + DATA[len(b"<sheetData>"):] + TAIL
    assert split_sheet_xml(hidden) == (hidden, hidden)
    # Known head, another tail that holds a second <sheetData>: not split either.
    tail_twice = HEAD + DATA + b"<sheetData></sheetData>" + TAIL
    assert split_sheet_xml(tail_twice) == (tail_twice, tail_twice)
