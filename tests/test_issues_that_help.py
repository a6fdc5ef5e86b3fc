"""Issues that help the chief: a blank template is one issue, a value typed in 元 says so, and one
cell never gets two contradictory issues."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from ingest_helpers import good_values

from perfsheet.goals.registry import load_default
from perfsheet.ingest.check import read_submission
from perfsheet.model import Period
from perfsheet.template.build import build_template, fill_template

DEPARTMENT = load_default()
PERIOD = Period(2025, 6)
PROJECT = DEPARTMENT.projects[1]


def _check(tmp_path: Path, values: dict[str, object] | None) -> list[tuple[str, str, str]]:
    template = build_template(DEPARTMENT, PROJECT, PERIOD)
    path = tmp_path / "return.xlsx"
    path.write_bytes(fill_template(template, values) if values is not None else template)
    _submission, issues = read_submission(path, department=DEPARTMENT, period=PERIOD)
    return [(i.cell, i.code, i.message) for i in issues]


def test_an_untouched_template_is_one_issue(tmp_path: Path) -> None:
    issues = _check(tmp_path, None)
    assert [code for _cell, code, _m in issues] == ["return-empty"]
    assert "表格未填写" in issues[0][2] or "空白模板" in issues[0][2]
    # One value typed is a return with gaps, listed cell by cell as before.
    partial = _check(tmp_path, {"spend.to_date": Decimal("1")})
    assert "return-empty" not in {c for _cell, c, _m in partial} and len(partial) > 5


def test_a_value_typed_in_yuan_gets_the_hint(tmp_path: Path) -> None:
    values = good_values(PROJECT)
    values["spend.to_date"] = PROJECT.budget * 10000  # 元 where the form asks 万元
    values["spend.projected"] = PROJECT.budget * 10000
    issues = {code: message for _cell, code, message in _check(tmp_path, values)}
    # Said once, as what it is (tests/test_money_units.py has the cases), not as an excess over the budget.
    assert "换算为万元" in issues["money-in-yuan"] and "spend-exceeds-budget" not in issues
    # An ordinary excess (a typo of a few percent) gets no such hint.
    values = good_values(PROJECT)
    values["spend.to_date"] = PROJECT.budget + 1
    values["spend.projected"] = PROJECT.budget + 1
    issues = {code: message for _cell, code, message in _check(tmp_path, values)}
    assert "换算为万元" not in issues["spend-exceeds-budget"]


def test_a_too_long_explanation_is_not_also_missing(tmp_path: Path) -> None:
    values = good_values(PROJECT)
    values["ind.1.likelihood"] = "有可能"  # asks for an explanation…
    values["ind.1.explanation"] = "原因" * 200  # …which is given, but too long
    issues = _check(tmp_path, values)
    cell_issues = [(cell, code) for cell, code, _m in issues if code in ("text-too-long", "explanation-required")]
    assert [code for _cell, code in cell_issues] == ["text-too-long"]


def test_titles_never_repeat_the_year() -> None:
    import io

    import openpyxl

    for project in DEPARTMENT.projects:
        book = openpyxl.load_workbook(io.BytesIO(build_template(DEPARTMENT, project, PERIOD)))
        title = str(book["监控表"]["A1"].value)
        assert "2025年2025" not in title and title.count("2025") == 2, title  # the name's year, and 截至2025年6月
        assert title.startswith("2025")


def test_messages_name_cells_as_the_form_prints_them(tmp_path: Path) -> None:
    values = good_values(PROJECT)
    values["spend.to_date"] = PROJECT.budget + 1
    values["spend.projected"] = PROJECT.budget + 2
    values["ind.1.actual"] = "很多"
    messages = {code: message for _cell, code, message in _check(tmp_path, values)}
    assert "1-6月执行数" in messages["spend-exceeds-budget"] and "累计执行数" not in messages["spend-exceeds-budget"]
    assert "截至6月完成值" in messages["not-a-number"]


def test_template_number_formats_match_the_rest() -> None:
    import io

    import openpyxl

    from perfsheet.form.fields import project_fields
    from perfsheet.form.layout import COL_TIME_PROGRESS, ROW_MONEY, compute_layout

    money_cells = 0
    for project in DEPARTMENT.projects:
        sheet = openpyxl.load_workbook(io.BytesIO(build_template(DEPARTMENT, project, PERIOD)))["监控表"]
        assert sheet.cell(row=ROW_MONEY + 1, column=COL_TIME_PROGRESS + 1).number_format == "0.0%"
        layout = compute_layout(project)
        for spec in project_fields(project):
            if spec.indicator is not None and spec.unit in ("万元", "元") and spec.name.endswith(".actual"):
                assert sheet[layout.fields[spec.name].anchor].number_format == "0.00##", spec.name
                money_cells += 1
    assert money_cells >= 1


def test_help_sheet_has_no_tall_blank_rows() -> None:
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(build_template(DEPARTMENT, PROJECT, PERIOD)))
    sheet = book["填表说明"]
    heights = [sheet.row_dimensions[r].height or 15 for r in range(1, sheet.max_row + 1)]
    # One row per line of text: a row is at most a few wrapped lines tall (it was 246 pt).
    assert max(heights) <= 60, heights
    assert sheet.max_row > 20


def test_help_sheet_rows_are_sized_to_their_one_line() -> None:
    """Each row of 填表说明 holds one printed line, so the rows of text are all one height: a line the
    layout's estimate thought too long for its row once got two lines' height and left uneven gaps."""
    import io

    import openpyxl

    from perfsheet.xlsxutil import lines_needed

    for period in (PERIOD, Period.year_end_of(2025)):
        sheet = openpyxl.load_workbook(io.BytesIO(build_template(DEPARTMENT, PROJECT, period)))["填表说明"]
        width = sheet.column_dimensions["A"].width
        texts = [(r, str(sheet.cell(r, 1).value or "")) for r in range(1, sheet.max_row + 1)]
        body = [(r, t) for r, t in texts if not t.startswith(("一、", "二、", "三、", "四、", "五、")) and t != "填表说明"]
        assert all(lines_needed(t, width) == 1 for _r, t in body), [t for _r, t in body if lines_needed(t, width) > 1]
        assert len({sheet.row_dimensions[r].height for r, _t in body}) == 1
        # Nothing lost where a line was broken: the rows read on as the paragraph they come from.
        joined = "".join(t.strip() for _r, t in texts)
        sentence = ("预算执行偏差原因及改进措施：预算执行偏慢或尚未支出时，说明原因和下一步加快执行的措施。" if not period.year_end
                    else "预算执行偏差原因及改进措施：全年预算未执行完时，说明原因和改进措施。")
        assert sentence in joined
        # No row starts with closing punctuation or is a stub of a few characters.
        assert not [t for _r, t in body if t.strip()[:1] in "，。；：、）”"]
        assert min(len(t.strip()) for _r, t in body) >= 6
