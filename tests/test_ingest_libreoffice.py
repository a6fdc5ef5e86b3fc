"""A second real client: returns filled with openpyxl, re-saved by LibreOffice as .xlsx, .xls and .ods.

One soffice run per target format converts every file at once (startup is seconds). Each converted
return must read back to exactly the values written.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from ingest_helpers import RETURNS, good_values
from lo import convert, soffice
from template_helpers import PERIOD, sample_department

from perfsheet.form.values import submission_values
from perfsheet.ingest.check import read_return
from perfsheet.model import Department, Project, SubmissionStatus
from perfsheet.template.build import build_template, fill_template

pytestmark = pytest.mark.libreoffice


def varied_values(project: Project, k: int) -> dict[str, object]:
    """A valid return whose numbers differ per project (fractions, whole numbers, 定性 words)."""
    values = good_values(project)
    values["spend.to_date"] = (project.budget * Decimal("0.6") + Decimal(k) / 100).quantize(Decimal("0.0001"))
    values["spend.projected"] = project.budget - Decimal("0.01")
    values["goal.progress"] = f"第{k}个项目：按计划推进，完成率较好"
    values["contact.date"] = dt.date(2025, 7, 1 + k)
    for indicator in project.indicators:
        if indicator.target.is_qualitative:
            values[f"ind.{indicator.n}.actual"] = "部分达成"
            values[f"ind.{indicator.n}.likelihood"] = "有可能"
            values[f"ind.{indicator.n}.explanation"] = "下半年集中推进"
        elif indicator.target.unit == "%":
            values[f"ind.{indicator.n}.actual"] = (
                Decimal("0.04") if indicator.target.value < 1 else Decimal("87.5")
            )
    return values


@pytest.fixture(scope="module")
def converted(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Department, dict[str, dict[str, object]], dict[str, list[Path]]]:
    if soffice() is None:  # CI installs LibreOffice; a developer machine without it fails loudly
        pytest.fail("LibreOffice (soffice) is required for the second-client tests")
    department = sample_department()
    root = tmp_path_factory.mktemp("lo")
    sources: list[Path] = []
    written: dict[str, dict[str, object]] = {}
    for k, project in enumerate(department.projects, start=1):
        values = varied_values(project, k)
        path = root / "src" / f"return-{k}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(fill_template(build_template(department, project, PERIOD), values))
        sources.append(path)
        written[path.stem] = values
    for name in ("wps-percent-as-95.xlsx", "row-inserted.xlsx", "text-in-money.xlsx"):
        sources.append(Path(shutil.copy(RETURNS / name, root / "src" / name)))
    outputs = {fmt: convert(sources, fmt, root / fmt) for fmt in ("xlsx", "xls", "ods")}
    return department, written, outputs


def _expected_typed(values: dict[str, object]) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, value in values.items():
        if isinstance(value, Decimal):
            out[name] = value.normalize()
        else:
            out[name] = value
    return out


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_values_survive_libreoffice(
    converted: tuple[Department, dict[str, dict[str, object]], dict[str, list[Path]]], fmt: str
) -> None:
    department, written, outputs = converted
    for path in outputs[fmt]:
        if path.stem not in written:
            continue
        result = read_return(path, department=department, period=PERIOD)
        assert result.submission is not None, result.issues
        assert result.issues == [], (path.name, [(i.cell, i.code, i.value) for i in result.issues])
        assert result.submission.status is SubmissionStatus.VALID
        got = {
            k: (v.normalize() if isinstance(v, Decimal) else v)
            for k, v in submission_values(result.submission).items()
        }
        expected = _expected_typed(written[path.stem])
        for name, value in expected.items():
            assert got[name] == value, (fmt, path.name, name, got[name], value)


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_corpus_cases_after_libreoffice(
    converted: tuple[Department, dict[str, dict[str, object]], dict[str, list[Path]]], fmt: str
) -> None:
    department, _written, outputs = converted
    by_stem = {p.stem: p for p in outputs[fmt]}
    result = read_return(by_stem["wps-percent-as-95"], department=department, period=PERIOD)
    assert [(i.cell, i.code) for i in result.issues] == [("E21", "value-normalised")]
    result = read_return(by_stem["text-in-money"], department=department, period=PERIOD)
    assert [(i.cell, i.code) for i in result.issues] == [("D8", "not-a-number")]
    # A row inserted above the indicator table: read correctly where defined names survive (xlsx, ods);
    # .xls keeps no names we read, so the stale field map is detected instead of reading wrong cells.
    result = read_return(by_stem["row-inserted"], department=department, period=PERIOD)
    if fmt == "xls":
        assert [i.code for i in result.issues] == ["template-layout-changed"]
    else:
        assert result.issues == [], [(i.cell, i.code) for i in result.issues]
        assert result.submission is not None and result.submission.indicator(7).actual == 95
