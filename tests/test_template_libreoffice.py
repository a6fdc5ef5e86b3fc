"""Templates opened by a second client: LibreOffice headless converts them to PDF, .ods and .xls.

The .ods/.xls copies are kept under ``tests/data/converted/`` (git-ignored) for ingest's tests; they
can also be made anywhere with ``template_helpers.converted_templates(tmp_dir)``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lo import convert, soffice
from python_calamine import CalamineWorkbook
from template_helpers import (
    PERIOD,
    converted_templates,
    default_department,
    png_dark_fraction,
)

from perfsheet.form.layout import COL_BUDGET_ADJUSTED, ROW_MONEY_FISCAL
from perfsheet.form.meta import SHEET_HELP, SHEET_MAIN, SHEET_META
from perfsheet.template.build import template_filename

pytestmark = pytest.mark.libreoffice

CONVERTED_DIR = Path(__file__).parent / "data" / "converted"
DEPT = default_department()


@pytest.fixture(scope="session")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    if soffice() is None:
        pytest.fail("LibreOffice (soffice) is required: apt-get install libreoffice-calc-nogui")
    result = converted_templates(tmp_path_factory.mktemp("templates"), formats=("pdf", "ods", "xls"))
    CONVERTED_DIR.mkdir(parents=True, exist_ok=True)
    for fmt in ("xlsx", "ods", "xls"):
        for path in result[fmt]:
            shutil.copyfile(path, CONVERTED_DIR / path.name)
    return result


def _pdf_pages(pdf: Path, *, layout: bool = True) -> list[str]:
    mode = ["-layout"] if layout else ["-raw"]  # raw keeps a wrapped cell's lines together
    text = subprocess.run(
        ["pdftotext", *mode, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def _pdfinfo(pdf: Path) -> str:
    return subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "99", str(pdf)], capture_output=True, text=True, check=True
    ).stdout


def test_one_file_per_project(converted: dict[str, list[Path]]) -> None:
    names = [p.name for p in converted["xlsx"]]
    assert names == [template_filename(DEPT, p, PERIOD) for p in DEPT.monitored]
    assert len(names) == 10  # the 2025 default: nine projects and the 部门整体 form


def test_pdf_at_most_two_a4_pages_one_wide(converted: dict[str, list[Path]]) -> None:
    for project, pdf in zip(DEPT.monitored, converted["pdf"], strict=True):
        info = _pdfinfo(pdf)
        pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
        assert 2 <= pages <= 2, (pdf.name, pages)  # 监控表 on one page + 填表说明
        sizes = re.findall(r"^Page\s+(\d+) size:\s+([\d.]+) x ([\d.]+) pts \(A4\)", info, re.M)
        assert len(sizes) == pages, info
        width, height = float(sizes[0][1]), float(sizes[0][2])
        assert width > height, "监控表 prints landscape"
        texts = _pdf_pages(pdf)
        main = texts[0]
        # One page wide: the first and the last column of the form are on the same page.
        assert "一级指标" in main and "原因说明及改进措施" in main
        flat = re.sub(r"\s+", "", _pdf_pages(pdf, layout=False)[0])
        assert project.name in flat
        for indicator in project.indicators:
            assert re.sub(r"\s+", "", indicator.name) in flat, (pdf.name, indicator.name)
        assert "填表说明" in texts[-1]


def test_rendered_page_is_not_blank(converted: dict[str, list[Path]], tmp_path: Path) -> None:
    pdf = converted["pdf"][0]
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            "-png",
            str(pdf),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    fraction = png_dark_fraction((tmp_path / "page.png").read_bytes())
    assert 0.01 < fraction < 0.6, fraction  # text and borders, but not a black page


def test_ods_and_xls_keep_the_template(converted: dict[str, list[Path]]) -> None:
    for fmt in ("ods", "xls"):
        for project, path in zip(DEPT.monitored, converted[fmt], strict=True):
            book = CalamineWorkbook.from_path(str(path))
            assert {SHEET_MAIN, SHEET_HELP, SHEET_META} <= set(book.sheet_names), path.name
            meta = {
                row[0]: row[1] for row in book.get_sheet_by_name(SHEET_META).to_python() if row and row[0]
            }
            assert meta["project_code"] == project.code and meta["period"] == str(PERIOD)
            asked = 5 if project.overall else 12  # money tree, progress, budget explanation, contact
            assert sum(1 for key in meta if str(key).startswith("field:")) == asked + 5 * len(project.indicators)
            rows = book.get_sheet_by_name(SHEET_MAIN).to_python()
            cells = {str(v) for row in rows for v in row if v != ""}
            assert project.code in cells and project.name in cells
            # LibreOffice computed the locked 财政资金 row: the pre-filled total less the 其他资金 row.
            if project.overall:
                continue  # its money rows hold a note: the projects' returns give the money
            fiscal = rows[ROW_MONEY_FISCAL][COL_BUDGET_ADJUSTED]
            assert fiscal == pytest.approx(float(project.budget - project.other)), (path.name, fiscal)


def test_docs_example_is_a_rendered_page() -> None:
    png = (Path(__file__).parent.parent / "docs" / "template-example.png").read_bytes()
    assert 0.01 < png_dark_fraction(png) < 0.6


def test_convert_helper_runs_many_files_at_once(tmp_path: Path, converted: dict[str, list[Path]]) -> None:
    outputs = convert(converted["xlsx"][:2], "ods", tmp_path)
    assert [p.suffix for p in outputs] == [".ods", ".ods"] and all(p.stat().st_size > 0 for p in outputs)
