"""``perfsheet consolidate`` on a real workspace: templates filled, collected from a folder, consolidated."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from perfsheet.cli import main
from perfsheet.collect import collect
from perfsheet.model import Period
from perfsheet.template.build import build_template, fill_template
from perfsheet.workspace import Workspace, init_workspace

JUNE = Period(2025, 6)
SPEND = ("1.00", "3.00")  # the first two default projects (3.47 and 5.00 万元)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("cli")
    ws = init_workspace(root / "ws")
    drop = root / "drop"
    drop.mkdir()
    dept = ws.department
    for project, spend in zip(dept.projects[:2], SPEND, strict=True):
        values: dict[str, object] = {
            "budget.adjusted": float(project.budget), "spend.to_date": float(spend),
            "spend.projected": float(project.budget), "contact.name": "张三", "contact.phone": "0315-1234567",
            "contact.date": dt.date(2025, 7, 3), "contact.head": "李四",
        }
        for ind in project.indicators:
            value: object = "达成" if ind.target.is_qualitative or ind.target.value is None else float(ind.target.value)
            values.update({f"ind.{ind.n}.actual": value, f"ind.{ind.n}.projection": value,
                           f"ind.{ind.n}.likelihood": "确定能", f"ind.{ind.n}.deviation": "无偏差"})
        values["budget.explanation"] = "资金下半年拨付"
        (drop / f"{project.code}.xlsx").write_bytes(fill_template(build_template(dept, project, JUNE), values))
    collect(ws, JUNE, [str(drop)])
    return ws


def test_consolidate_json_and_files(workspace: Workspace) -> None:
    result = CliRunner().invoke(main, ["consolidate", "--period", "2025-06", "--workspace", str(workspace.root),
                                       "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    dept = workspace.department
    budgets = [dept.projects[0].budget, dept.projects[1].budget]
    spend = sum(float(s) for s in SPEND)
    assert data["totals"]["budget"] == pytest.approx(101.47)
    assert data["totals"]["spend_to_date"] == pytest.approx(spend)
    assert data["totals"]["execution_rate"] == pytest.approx(spend / float(sum(budgets)) * 100)
    by_code = {p["code"]: p for p in data["projects"]}
    first = by_code[dept.projects[0].code]
    assert first["execution_rate"] == pytest.approx(1 / 3.47 * 100)
    # Each project's own money, as its return holds it; null where no return counts.
    for project, spent in zip(dept.projects[:2], SPEND, strict=True):
        row = by_code[project.code]
        assert (row["budget"], row["adjusted_budget"], row["spend_to_date"], row["projected_spend"]) == (
            pytest.approx(float(project.budget)), pytest.approx(float(project.budget)), pytest.approx(float(spent)),
            pytest.approx(float(project.budget)))
    assert by_code[dept.projects[2].code]["spend_to_date"] is None
    assert first["light"] == "red"  # 28.8 % of 50 % → ratio 57.6
    assert by_code[dept.projects[1].code]["light"] == "green"  # 60 %
    missing = [p for p in data["projects"] if p["status"] == "missing"]
    assert len(missing) == 7 and all(p["execution_rate"] is None and p["light"] is None for p in missing)
    assert len(data["indicators"]) == 74
    reports = workspace.reports_dir(JUNE)
    names = sorted(p.name for p in reports.iterdir())
    assert names == sorted([
        "路南区司法局2025年6月监控表报送情况（内部）.docx", "路南区司法局2025年6月监控表报送情况（内部）.md",
        "路南区司法局2025年6月绩效运行监控情况说明.docx", "路南区司法局2025年6月绩效运行监控情况说明.md",
        "路南区司法局2025年6月绩效运行监控汇总表.xlsx", "路南区司法局2025年6月绩效监控一体化导入.xlsx",
        "路南区司法局2025年6月项目支出绩效运行监控表.xlsx",
    ])
    wb = openpyxl.load_workbook(reports / "路南区司法局2025年6月绩效运行监控汇总表.xlsx")
    overview = [r for r in wb["总览"].iter_rows(values_only=True) if r[0]]
    assert any(isinstance(r[0], str) and r[0].startswith("一、监控工作开展情况：") and "101.47万元" in r[0] for r in overview)
    text = (reports / "路南区司法局2025年6月绩效运行监控情况说明.md").read_text(encoding="utf-8")
    assert "资金下半年拨付" in text


def test_consolidate_is_idempotent_and_renders_a_table(workspace: Workspace) -> None:
    args = ["consolidate", "--period", "2025-06", "--workspace", str(workspace.root)]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "汇总表" in first.output and "未报送" in first.output
    reports = workspace.reports_dir(JUNE)
    before = {p.name: p.read_bytes() for p in reports.iterdir()}
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0
    assert {p.name: p.read_bytes() for p in reports.iterdir()} == before


def test_bad_period_and_workspace(tmp_path: Path) -> None:
    bad = CliRunner().invoke(main, ["consolidate", "--period", "2025-13", "--workspace", str(tmp_path)])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    none = CliRunner().invoke(main, ["consolidate", "--period", "2025-06", "--workspace", str(tmp_path / "nope")])
    assert none.exit_code == 2 and "工作区" in none.output
