"""部门整体 monitoring: Part 1's department-wide targets get their own form beside the projects', its
return is ingested and consolidated, and every output shows it (issue 13)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
from python_calamine import CalamineWorkbook

from perfsheet.consolidate.build import consolidate
from perfsheet.form.fields import project_fields
from perfsheet.goals.registry import load_default
from perfsheet.ingest.check import read_submission
from perfsheet.model import OVERALL_CODE, Period, SubmissionStatus
from perfsheet.report.bureau import OVERALL_SHEET, build_monitoring_forms
from perfsheet.report.narrative import render_markdown
from perfsheet.report.workbook import build_summary_workbook
from perfsheet.template.build import build_template, fill_template, write_templates

PERIOD = Period(2025, 6)
# What the office types for the six targets of the 2025 goals, by position (≥90%, ≤0.2%, ≥30场, ≥5万册,
# ≥150次, ≥95%): about half the year's quantities, the rates as targeted.
ACTUALS = (Decimal(92), Decimal("0.1"), 14, Decimal("2.6"), 80, Decimal(96))
PROJECTIONS = (Decimal(92), Decimal("0.15"), 30, Decimal(5), 150, Decimal(96))


def _overall_return(tmp_path: Path) -> Path:
    department = load_default()
    overall = department.overall
    assert overall is not None
    values: dict[str, object] = {
        "goal.progress": "部门整体目标按计划推进",
        "contact.name": "王敏", "contact.phone": "0315-2881000", "contact.date": dt.date(2025, 7, 3),
    }
    for n, (actual, projection) in enumerate(zip(ACTUALS, PROJECTIONS, strict=True), start=1):
        values |= {f"ind.{n}.actual": actual, f"ind.{n}.projection": projection,
                   f"ind.{n}.likelihood": "确定能", f"ind.{n}.deviation": "无偏差"}
    path = tmp_path / "部门整体.xlsx"
    path.write_bytes(fill_template(build_template(department, overall, PERIOD), values))
    return path


def test_templates_write_one_overall_form_beside_the_projects(tmp_path: Path) -> None:
    department = load_default()
    paths = write_templates(department, PERIOD, tmp_path)
    assert len(paths) == len(department.projects) + 1
    overall = [p for p in paths if p.name.endswith(f"_{OVERALL_CODE}.xlsx")]
    assert len(overall) == 1
    # Read with a second reader: the targets are the rows, and no money is asked.
    book = openpyxl.load_workbook(overall[0])
    meta = {row[0].value: row[1].value for row in book["_perfsheet"].iter_rows() if row[0].value}
    fields = {key[len("field:"):] for key in meta if str(key).startswith("field:")}
    assert not any(name.startswith(("budget.", "spend.")) for name in fields)
    assert {f"ind.{n}.actual" for n in range(1, 7)} <= fields
    texts = {str(c.value) for row in book["监控表"].iter_rows() for c in row if c.value is not None}
    assert "路南区司法局2025年部门整体绩效运行监控表（截至2025年6月）" in texts
    for target in department.department_targets:
        assert target.name in texts and target.target.raw in texts


def test_the_overall_return_is_valid_and_consolidated(tmp_path: Path) -> None:
    department = load_default()
    submission, issues = read_submission(_overall_return(tmp_path), department=department, period=PERIOD)
    assert submission is not None and submission.status is SubmissionStatus.VALID, issues
    assert submission.project_code == OVERALL_CODE
    assert len(project_fields(department.project(OVERALL_CODE))) == 1 + 5 * 6 + 4

    summary = consolidate(department, [submission], PERIOD)
    assert summary.overall_status == "valid" and summary.overall_progress == "部门整体目标按计划推进"
    assert summary.overall is not None
    assert [float(v) for v in summary.overall["actual"]] == [float(a) for a in ACTUALS]
    assert list(summary.overall["light"]) == ["green"] * 6  # every projection meets its target
    # The department's targets are not project indicators: the 74 stay 74.
    assert summary.totals.indicators == department.indicator_count
    assert summary.to_json()["overall"]["status"] == "valid"

    # The summary workbook's 部门整体 sheet, read by calamine: one row per target with its actual.
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(build_summary_workbook(summary))).get_sheet_by_name("部门整体")
    rows = sheet.to_python()
    by_name = {row[1]: row for row in rows[1:7]}
    assert by_name["局机关及司法所举办活动"][3] == 14 and by_name["法律咨询"][4] == 150

    forms = openpyxl.load_workbook(io.BytesIO(build_monitoring_forms(summary, department, unit_name="路南区司法局")))
    assert forms.sheetnames[-1] == OVERALL_SHEET
    texts = {str(c.value) for row in forms[OVERALL_SHEET].iter_rows() for c in row if c.value is not None}
    assert "部门整体绩效运行监控表（截至2025年6月）" in texts and "再犯罪率" in texts

    markdown = render_markdown(summary, department)
    assert "- 局机关及司法所举办活动（≥30场）：截至6月完成14场，全年预计30场，完成可能性为“确定能”。" in markdown


def test_a_missing_overall_return_marks_the_report_a_draft() -> None:
    department = load_default()
    summary = consolidate(department, [], PERIOD)
    assert summary.overall_status == "missing"
    markdown = render_markdown(summary, department)
    assert "（初稿）" in markdown and "部门整体绩效目标" in markdown
    assert "- 满意率（≥95%）：部门整体监控表未报送。" in markdown


def test_perfsheet_yaml_assigns_the_overall_form_like_a_project() -> None:
    from perfsheet.goals.registry import Roster, apply_roster

    default = load_default()
    assert default.overall is not None and default.overall.section == "办公室"  # perfsheet.yaml's default
    department = apply_roster(default, Roster((), {OVERALL_CODE: "社区矫正管理科"}))
    overall = department.overall
    assert overall is not None and overall.section == "社区矫正管理科"
    assert overall in department.projects_of("社区矫正管理科")  # its chief is sent and reminded of it
    assert overall not in department.projects  # never counted as a budget project


def _with_providers(ws_root: Path, block: str) -> None:
    config = ws_root / "perfsheet.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "\n" + block, encoding="utf-8")


def test_sections_that_provide_overall_targets_are_named_and_copied(demo_ws: object) -> None:
    """perfsheet.yaml's overall_targets: the section filing the 部门整体 form is told whom to ask for
    which target, and those chiefs receive the mail too (read back with Python's email package)."""
    import email
    import email.policy

    from perfsheet.demo import DEMO_PERIOD
    from perfsheet.outgoing.mails import prepare_send
    from perfsheet.workspace import Workspace

    assert isinstance(demo_ws, Workspace)
    _with_providers(demo_ws.root, "overall_targets:\n  再犯罪率: 社区矫正管理科\n  法律咨询: 基层科\n  满意率: 办公室\n")
    ws = Workspace.open(demo_ws.root)
    chiefs = {s.name: s for s in ws.department.sections}
    mails = {m.section: m for m in prepare_send(ws, DEMO_PERIOD)}
    office = mails["办公室"]
    assert OVERALL_CODE in office.projects
    assert f"  · 再犯罪率：社区矫正管理科，{chiefs['社区矫正管理科'].chief}科长" in office.body
    assert f"  · 法律咨询：基层科，{chiefs['基层科'].chief}科长" in office.body
    copied = {(chiefs[n].chief, chiefs[n].email) for n in ("社区矫正管理科", "基层科")}
    assert set(office.cc) == copied  # the office itself is the recipient, never listed twice
    assert all(not m.cc for s, m in mails.items() if s != "办公室")
    from perfsheet.outgoing.delivery import to_message

    parsed = email.message_from_bytes(to_message(ws, office).as_bytes(), policy=email.policy.default)
    (chief, *others) = parsed["To"].addresses
    assert chief.addr_spec == chiefs["办公室"].email
    assert {(a.display_name, a.addr_spec) for a in others} == copied


def test_overall_targets_must_name_known_targets_and_sections(demo_ws: object) -> None:
    from click.testing import CliRunner

    from perfsheet.cli import main
    from perfsheet.workspace import Workspace

    assert isinstance(demo_ws, Workspace)
    root = demo_ws.root
    original = (root / "perfsheet.yaml").read_text(encoding="utf-8")
    _with_providers(root, "overall_targets:\n  再犯罪律: 社区矫正管理科\n")
    result = CliRunner().invoke(main, ["status", "--period", "2025-06", "--workspace", str(root)])
    assert result.exit_code == 2
    assert "“再犯罪律”不是目标文件中的部门整体目标，是否应为“再犯罪率”" in result.output
    assert "Traceback" not in result.output
    (root / "perfsheet.yaml").write_text(original, encoding="utf-8")
    _with_providers(root, "overall_targets:\n  再犯罪率: 宣传科\n")
    result = CliRunner().invoke(main, ["status", "--period", "2025-06", "--workspace", str(root)])
    assert result.exit_code == 2 and "部门整体目标“再犯罪率”的科室“宣传科”不在 sections 中" in result.output
    assert "perfsheet.yaml:" in result.output  # file:line
