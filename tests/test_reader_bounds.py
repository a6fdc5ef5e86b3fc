"""Bounds that bound before memory is spent: a tiny .ods that repeats a value over millions of cells is
refused without materialising them (calamine would spend ~2 GB on 30,000 × 1,024), while the trailing
styled-empty rows and columns every LibreOffice file carries cost nothing and are read normally.

The peak memory is measured in a fresh interpreter (VmHWM of /proc/self/status, which exec resets;
ru_maxrss would carry the pytest worker's peak across fork and exec), so nothing else in the run
counts towards it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from perfsheet.ingest.reader import Rejected, WorkbookCells, open_workbook

_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)
_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
)


def _ods(path: Path, rows: int, cols: int, *, holds_value: bool) -> Path:
    """One table: a 5 in A1, then ``rows`` repeated rows of ``cols`` repeated cells, each holding 1
    (``holds_value``) or only a style, as LibreOffice writes formatting down to the sheet's end."""
    repeated = (
        f'<table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="{cols}"/>'
        if holds_value
        else f'<table:table-cell table:style-name="ce1" table:number-columns-repeated="{cols}"/>'
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_NS} office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="监控表"><table:table-row>'
        '<table:table-cell office:value-type="float" office:value="5"><text:p>5</text:p></table:table-cell>'
        f'</table:table-row><table:table-row table:number-rows-repeated="{rows}">{repeated}</table:table-row>'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", _MANIFEST, zipfile.ZIP_DEFLATED)
    return path


_HWM = """
def peak_mib():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
"""

_PROBE = _HWM + """
import json, sys
from perfsheet.ingest.reader import open_workbook
result = open_workbook(sys.argv[1])
print(json.dumps({"code": getattr(result, "code", None),
                  "rss_mib": peak_mib()}))
"""


def _open_in_fresh_process(path: Path) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", _PROBE, str(path)], capture_output=True, text=True,
                          timeout=120, check=True)
    return json.loads(done.stdout)


@pytest.mark.parametrize(("rows", "cols"), [(2_000, 1_000), (30_000, 1_024), (1_048_575, 1_024)])
def test_repeated_values_are_refused_before_memory_is_spent(tmp_path: Path, rows: int, cols: int) -> None:
    path = _ods(tmp_path / "bomb.ods", rows, cols, holds_value=True)
    assert path.stat().st_size < 2_000
    probe = _open_in_fresh_process(path)
    assert probe["code"] == "sheet-too-large"
    assert float(str(probe["rss_mib"])) < 256, probe


def test_styled_empty_rows_to_the_sheet_end_are_read_normally(tmp_path: Path) -> None:
    path = _ods(tmp_path / "styled.ods", 1_048_575, 1_024, holds_value=False)
    book = open_workbook(path)
    assert isinstance(book, WorkbookCells), book
    assert book.value("监控表", "A1") == 5.0
    assert float(str(_open_in_fresh_process(path)["rss_mib"])) < 256


def test_a_refusal_names_the_sheet(tmp_path: Path) -> None:
    result = open_workbook(_ods(tmp_path / "bomb.ods", 30_000, 1_024, holds_value=True))
    assert isinstance(result, Rejected) and "监控表" in result.message


# -- the Done-when cases of the reliability sweep, end to end ------------------------------------------

_CHECK_PROBE = _HWM + """
import json, sys
from perfsheet.cli import main
try:
    main(["check", sys.argv[1], "--json"], standalone_mode=False)
    code = 0
except SystemExit as exc:
    code = exc.code
print(json.dumps({"exit": code, "rss_mib": peak_mib()}),
      file=sys.stderr)
"""


def test_poi_shaped_xls_is_refused_by_check_under_256_mib(tmp_path: Path) -> None:
    """A 5 KB .xls whose one sheet spans 65,536 × 256 (Apache POI's 51535.xls has this shape; calamine
    spends over 500 MiB opening it) is refused by ``perfsheet check`` before calamine sees it."""
    sys.path.insert(0, str(Path(__file__).parent))
    import xls_helpers

    path = tmp_path / "51535-like.xls"
    path.write_bytes(xls_helpers.xls_file(xls_helpers.poi_like_sheets()))
    assert path.stat().st_size < 50_000
    done = subprocess.run([sys.executable, "-c", _CHECK_PROBE, str(path)], capture_output=True, text=True,
                          timeout=120, check=False)
    stats = json.loads(done.stderr.strip().splitlines()[-1])
    assert float(stats["rss_mib"]) < 256, stats
    assert stats["exit"] != 0
    assert "sheet-too-large" in done.stdout and "65536" in done.stdout, done.stdout


def test_return_with_an_empty_last_row_and_styled_cells_to_xfd_is_read_normally(tmp_path: Path) -> None:
    """What LibreOffice 5 and some editors save: ``<row r="1048576"/>`` and styled empty cells out to XFD
    on a real filled return — the values are read exactly as without them."""
    import io

    from template_helpers import sample_department

    from perfsheet.ingest.check import read_submission
    from perfsheet.model import Period
    from perfsheet.template.build import build_template, fill_template

    sys.path.insert(0, str(Path(__file__).parent))
    from ingest_helpers import good_values

    department = sample_department()
    project = department.projects[0]
    period = Period(2025, 6)
    filled = fill_template(build_template(department, project, period), good_values(project))
    source, target = zipfile.ZipFile(io.BytesIO(filled)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b'<row r="5000"><c r="XFD5000" s="1"/></row>'
                                    b'<row r="1048576"/></sheetData>')
            out.writestr(info, data)
    (tmp_path / "plain.xlsx").write_bytes(filled)
    (tmp_path / "padded.xlsx").write_bytes(target.getvalue())
    plain, plain_issues = read_submission(tmp_path / "plain.xlsx", department=department, period=period)
    padded, padded_issues = read_submission(tmp_path / "padded.xlsx", department=department, period=period)
    assert plain is not None and padded is not None, padded_issues
    assert padded_issues == plain_issues == []
    assert padded.spend_to_date == plain.spend_to_date and padded.indicators == plain.indicators
    assert b'<row r="1048576"/>' in zipfile.ZipFile(io.BytesIO(target.getvalue())).read("xl/worksheets/sheet1.xml")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_a_file_larger_than_its_stated_size_is_read_to_its_end_up_to_the_limit() -> None:
    # /proc files report size 0 and hold more: the reader sizes its buffer from the open file, and a
    # file that turns out longer (one that grew while read) is read on, so nothing is cut off unseen.
    found = open_workbook("/proc/self/status")
    assert isinstance(found, Rejected) and found.code == "not-a-workbook"
    assert "文本" in found.message  # judged on its content, which was read
    small = open_workbook("/proc/self/status", max_bytes=16)
    assert isinstance(small, Rejected) and small.code == "file-too-large"
