"""What ingest remembers between files of one process never changes a verdict.

A collect reads hundreds of returns of one template, so the container checks remember members that
passed them (by compressed bytes, CRC and sizes) and the reader remembers sheet grids (by the members
their values depend on). Each test opens a sound file first, so the memory is warm, then a file that
shares bytes with it but must be judged on its own.
"""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
import zlib
from pathlib import Path

from ingest_helpers import good_values
from template_helpers import PERIOD, sample_department

from perfsheet.form.layout import compute_layout
from perfsheet.ingest.check import read_submission
from perfsheet.ingest.reader import Rejected, WorkbookCells, open_workbook
from perfsheet.template.build import build_template, fill_template

EVIL_XML = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'


def _filled() -> bytes:
    department = sample_department()
    project = department.projects[0]
    return fill_template(build_template(department, project, PERIOD), good_values(project))


def _rewrite(data: bytes, edit: dict[str, bytes | None], add: dict[str, bytes] | None = None) -> bytes:
    """The workbook with members replaced (``None``: left out) and added, deflated as zipfile does."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename in edit:
                content = edit[info.filename]
                if content is not None:
                    target.writestr(info.filename, content)
            else:
                target.writestr(info, source.read(info.filename))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def _member_span(data: bytes, name: str) -> tuple[int, int]:
    """Offset and length of a member's compressed bytes in the file (after its local header)."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    start = info.header_offset + 30 + int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little")
    start += int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    return start, info.compress_size


def test_bytes_that_passed_as_a_binary_part_are_checked_again_as_xml() -> None:
    data = _filled()
    as_binary = open_workbook(_rewrite(data, {}, {"xl/media/blob.bin": EVIL_XML}))
    assert isinstance(as_binary, WorkbookCells)  # a binary part is only verified, never parsed
    as_xml = open_workbook(_rewrite(data, {}, {"xl/media/blob.xml": EVIL_XML}))
    assert isinstance(as_xml, Rejected) and as_xml.code == "xml-entities", as_xml


def test_a_damaged_copy_of_a_remembered_member_is_rejected() -> None:
    data = _filled()
    assert isinstance(open_workbook(data), WorkbookCells)
    start, size = _member_span(data, "xl/worksheets/sheet2.xml")
    # One flipped bit in the compressed bytes of a member every return of the template shares.
    flipped = bytearray(data)
    flipped[start + size // 2] ^= 0x10
    damaged = open_workbook(bytes(flipped))
    assert isinstance(damaged, Rejected) and damaged.code in ("truncated", "unreadable"), damaged
    # The same bytes under a central directory whose CRC says otherwise.
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet2.xml")
    wrong_crc = (info.CRC ^ 1).to_bytes(4, "little")
    patched = bytearray(data)
    offset = data.find(b"PK\x01\x02")
    while offset >= 0:
        name_len = int.from_bytes(data[offset + 28 : offset + 30], "little")
        if data[offset + 46 : offset + 46 + name_len] == b"xl/worksheets/sheet2.xml":
            patched[offset + 16 : offset + 20] = wrong_crc
            break
        offset = data.find(b"PK\x01\x02", offset + 4)
    assert offset >= 0
    rejected = open_workbook(bytes(patched))
    assert isinstance(rejected, Rejected) and rejected.code == "truncated", rejected


def test_a_remembered_grid_follows_the_bytes_of_its_sheet() -> None:
    data = _filled()
    first = open_workbook(data)
    assert isinstance(first, WorkbookCells)
    meta = first.key_values("_perfsheet")
    label = str(PERIOD).encode()
    archive = zipfile.ZipFile(io.BytesIO(data))
    parts = [name for name in archive.namelist() if name.startswith("xl/worksheets/") and label in archive.read(name)]
    assert parts, "the hidden sheet names the period as its text"
    part = parts[-1]
    sheet = archive.read(part)
    other = open_workbook(_rewrite(data, {part: sheet.replace(label, b"2025-07")}))
    assert isinstance(other, WorkbookCells)
    assert other.key_values("_perfsheet")["period"] == "2025-07"
    again = open_workbook(data)
    assert isinstance(again, WorkbookCells) and again.key_values("_perfsheet") == meta


def test_a_return_read_warm_is_judged_as_read_cold(tmp_path: Path) -> None:
    data = _filled()
    department = sample_department()
    path = tmp_path / "return.xlsx"
    path.write_bytes(data)
    cold_submission, cold_issues = read_submission(path, department=department, period=PERIOD)
    warm_submission, warm_issues = read_submission(path, department=department, period=PERIOD)
    assert cold_submission is not None and warm_submission is not None
    assert cold_submission == warm_submission and cold_issues == warm_issues
    # A deflate stream of the same content under another compression level is other bytes: read anew.
    relevel = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for info in relevel.infolist():
            target.writestr(info.filename, relevel.read(info.filename))
    assert zlib.crc32(out.getvalue()) != zlib.crc32(data)
    path.write_bytes(out.getvalue())
    other_submission, other_issues = read_submission(path, department=department, period=PERIOD)
    assert other_submission is not None
    same_file = dataclasses.replace(other_submission, sha256=cold_submission.sha256, file=cold_submission.file)
    assert same_file == cold_submission and other_issues == cold_issues


def _cells_piece(rows: list[bytes]) -> bytes:
    return b"<sheetData>" + b"".join(rows) + b"</sheetData>"


def _row(n: int, text: bytes = b"&#24180;&#20221;", ref: str | None = None, formula: bool = False) -> bytes:
    cell = (ref or f"B{n}").encode()
    body = b"<f>1+1</f><v>2</v>" if formula else b"<is><t>" + text + b"</t></is>"
    kind = b"" if formula else b' t="inlineStr"'
    return b'<row r="%d"><c r="A%d" s="1"%s>%s</c><c r="%s"><v>%d</v></c></row>' % (n, n, kind, body, cell, n)


def test_rows_remembered_clean_do_not_hide_a_changed_row() -> None:
    from perfsheet.ingest.xmlparts import has_forbidden_character, xlsx_formula_cells

    rows = [_row(n) for n in range(1, 80)]
    clean = _cells_piece(rows)
    assert len(clean) > 4096
    assert not has_forbidden_character(clean) and not has_forbidden_character(clean)
    for bad in (b"&#1;", b"\x01", b"&#xFFFE;", b"\xef\xbf\xbf"):
        changed = _cells_piece([*rows[:40], _row(41, b"&#24180;" + bad), *rows[41:]])
        assert has_forbidden_character(changed), bad
    assert xlsx_formula_cells(clean) == frozenset()
    with_formula = _cells_piece([*rows[:40], _row(41, formula=True), *rows[41:]])
    assert xlsx_formula_cells(with_formula) == {"A41"}
    assert xlsx_formula_cells(clean) == frozenset()  # the row read before is still formula-free


def test_rows_remembered_near_do_not_hide_a_far_reference() -> None:
    from perfsheet.ingest.reader import _within_first_999_rows_and_zz

    rows = [_row(n) for n in range(1, 80)]
    assert _within_first_999_rows_and_zz(_cells_piece(rows))
    for far in ("AAA41", "B1041"):
        assert not _within_first_999_rows_and_zz(_cells_piece([*rows[:40], _row(41, ref=far), *rows[41:]])), far
    odd = _row(41).replace(b'<c r="B41"', b"<c r='B41'")
    assert not _within_first_999_rows_and_zz(_cells_piece([*rows[:40], odd, *rows[41:]]))


def test_record_problems_judged_row_by_row_are_those_of_the_whole_part() -> None:
    from ingest_helpers import RETURNS

    from perfsheet.ingest.xmlparts import split_sheet_xml, xlsx_record_problems

    checked = found = 0
    for path in sorted(RETURNS.glob("*.xlsx")):
        archive = zipfile.ZipFile(path)
        for name in archive.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            cells, _rest = split_sheet_xml(archive.read(name))
            if len(cells) < 4096:
                continue
            refs = [m.decode() for m in re.findall(rb'<c r="([A-Z]+[0-9]+)"', cells)]
            wanted = [*refs[::3], "ZZ999"]
            # Every fifth row's values made unreadable (a number "x", a shared string "x"): problems to find.
            damaged = re.sub(rb'(<c r="[A-Z]+[0-9]*[05]"[^>]*>)<v>[^<]*</v>', rb"\1<v>x</v>", cells)
            for piece in (cells, damaged):
                by_row = xlsx_record_problems(piece, wanted, 3)
                whole = xlsx_record_problems(b" " + piece, wanted, 3)  # not a <sheetData> piece: whole part
                assert by_row == whole, (path.name, name)
                found += len(by_row)
            checked += 1
    assert checked >= 30
    assert found >= 30


def test_a_cell_written_in_two_rows_is_seen_twice() -> None:
    from perfsheet.ingest.xmlparts import xlsx_record_problems

    rows = [_row(n) for n in range(1, 80)]
    piece = _cells_piece(rows)
    assert xlsx_record_problems(piece, ["B41"], 0) == {}
    twice = _cells_piece([*rows[:60], _row(61, ref="B41"), *rows[61:]])
    assert xlsx_record_problems(twice, ["B41"], 0) == {"B41": "单元格在文件中重复出现"}
    # A record left open in its row: the rows cannot be judged alone, the whole part is.
    broken = twice.replace(b'<c r="B41"><v>41</v></c>', b'<c r="B41"><v>41</v>', 1)
    assert xlsx_record_problems(broken, ["B41"], 0) == xlsx_record_problems(b" " + broken, ["B41"], 0)


def _with_relationship_target(data: bytes, old: bytes, new: bytes) -> bytes:
    rels = zipfile.ZipFile(io.BytesIO(data)).read("xl/_rels/workbook.xml.rels")
    assert old in rels
    return _rewrite(data, {"xl/_rels/workbook.xml.rels": rels.replace(old, new)})


def test_member_names_that_differ_only_in_case_make_the_file_tampered(tmp_path: Path) -> None:
    # calamine finds members ignoring ASCII case, zipfile does not: which copy is read is ambiguous.
    data = _filled()
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    department = sample_department()
    path = tmp_path / "case.xlsx"
    path.write_bytes(_rewrite(data, {}, {"XL/worksheets/sheet1.xml": sheet.replace(b"<v>", b"<v>9", 1)}))
    for _ in range(2):  # cold, then warm: the same answer
        submission, issues = read_submission(path, department=department, period=PERIOD)
        assert submission is not None and "template-tampered" in {i.code for i in issues}, issues


def test_a_sheet_found_through_a_target_in_other_case_is_checked(tmp_path: Path) -> None:
    # The relationship names the main sheet in upper case; calamine reads it, so must the checks.
    department = sample_department()
    project = department.projects[0]
    layout = compute_layout(project)
    anchor = layout.fields["spend.to_date"].anchor
    data = _filled()
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    with_formula = re.sub(rb'(<c r="' + anchor.encode() + rb'"[^>]*>)', rb"\1<f>1+1</f>", sheet, count=1)
    assert with_formula != sheet
    formula_file = _rewrite(data, {"xl/worksheets/sheet1.xml": with_formula})
    upper = _with_relationship_target(formula_file, b'Target="/xl/worksheets/sheet1.xml"', b'Target="/XL/worksheets/sheet1.xml"') \
        if b'Target="/xl/worksheets/sheet1.xml"' in zipfile.ZipFile(io.BytesIO(formula_file)).read("xl/_rels/workbook.xml.rels") \
        else _with_relationship_target(formula_file, b'Target="worksheets/sheet1.xml"', b'Target="WORKSHEETS/sheet1.xml"')
    for variant in (formula_file, upper):
        path = tmp_path / "formula.xlsx"
        path.write_bytes(variant)
        _submission, issues = read_submission(path, department=department, period=PERIOD)
        assert "formula-in-input" in {i.code for i in issues}, issues


def test_members_compressed_otherwise_are_never_remembered() -> None:
    # bzip2/lzma members are read through zipfile, which checks more than the memory's key holds.
    data = _filled()
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            # One member calamine never reads, compressed with LZMA (calamine reads no LZMA part).
            method = zipfile.ZIP_LZMA if info.filename == "docProps/app.xml" else zipfile.ZIP_DEFLATED
            target.writestr(info.filename, source.read(info.filename), compress_type=method)
    lzma = out.getvalue()
    assert isinstance(open_workbook(lzma), WorkbookCells)
    info = zipfile.ZipFile(io.BytesIO(lzma)).getinfo("docProps/app.xml")
    # The local header's name no longer matches the central directory's: zipfile refuses the member.
    name_at = info.header_offset + 30
    broken = bytearray(lzma)
    broken[name_at] = ord("X")
    assert isinstance(open_workbook(bytes(broken)), Rejected)
