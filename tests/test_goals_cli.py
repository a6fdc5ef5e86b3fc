"""``perfsheet goals show --json`` and ``perfsheet init`` on the embedded default, checked against
the seed text itself (not a hand copy)."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from conftest import SEED_TEXT
from goalsdoc_helpers import seed_cells_by_project

from perfsheet.workspace import Workspace

# Cells of the official form that are labels, not data.
LABELS = {
    "单位：万元", "项目编码", "项目名称", "预算规模及资金用途", "预算数", "其中：财政    资金", "其他资金",
    "资金支出计划（%）", "3月底", "6月底", "10月底", "12月底", "绩效目标", "一级指标", "二级指标",
    "三级指标", "绩效指标描述", "指标值", "指标值确定依据", "", " ",
}


def _perfsheet(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "perfsheet", *args], capture_output=True, text=True, encoding="utf-8", cwd=cwd, check=False
    )


def test_goals_show_json_reproduces_seed_part2(tmp_path: Path) -> None:
    result = _perfsheet("goals", "show", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout, parse_float=Decimal)
    tables = seed_cells_by_project(SEED_TEXT.read_text(encoding="utf-8"))
    assert data["department"] == "路南区司法局" and data["year"] == 2025
    assert len(data["projects"]) == len(tables) == 9
    assert sum(len(p["indicators"]) for p in data["projects"]) == 74
    assert sum(Decimal(str(p["budget"])) for p in data["projects"]) == Decimal("101.47")
    for (title, cells), project in zip(tables, data["projects"], strict=True):
        assert title.endswith(f"{project['name']}绩效目标表")
        data_cells = [c for c in cells if c not in LABELS]
        # Money cells of the seed ("5.00") equal the JSON numbers.
        money = [Decimal(c) for c in data_cells if c.replace(".", "").isdigit()]
        assert money[:2] == [Decimal(str(project["budget"])), Decimal(str(project["fiscal"]))]
        assert project["other"] == 0
        plan = [f"{v}%" for v in project["plan"].values()]
        after_labels = [c for c in cells[cells.index("12月底") + 1 :] if c.strip()]
        assert after_labels[: len(plan)] == plan
        assert list(project["plan"]) == ["3", "6", "10", "12"]
        joined = "\u0001".join(cells)
        for field in ("code", "name", "purpose", "goal"):
            assert project[field] in data_cells, (field, project[field])
        for n, ind in enumerate(project["indicators"], start=1):
            assert ind["n"] == n
            row = "\u0001".join([ind["level2"], ind["name"], ind["description"], ind["target"]["raw"], ind["basis"]])
            assert row in joined, (project["code"], n)
            assert ind["level1"] in cells
            target = ind["target"]
            if target["op"] != "定性":
                assert isinstance(target["value"], (int, Decimal)) and target["unit"] in target["raw"]
            else:
                assert target["value"] is None
        assert project["section"]


def test_goals_show_table_lists_every_project(tmp_path: Path) -> None:
    result = _perfsheet("goals", "show", "--wide", cwd=tmp_path)
    assert result.returncode == 0
    for _title, cells in seed_cells_by_project(SEED_TEXT.read_text(encoding="utf-8")):
        assert cells[cells.index("项目编码") + 1] in result.stdout
    assert "101.47" in result.stdout


def test_init_creates_the_workspace_and_keeps_edits(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    result = _perfsheet("init", str(root))
    assert result.returncode == 0, result.stderr
    for sub in ("goals/2025.yaml", "perfsheet.yaml", "outbox", "archive", "inbox", "feedback", "reports"):
        assert (root / sub).exists(), sub
    ws = Workspace.open(root)
    assert len(ws.department.projects) == 9 and ws.department.total_budget == Decimal("101.47")
    assert ws.department.project("13020225P008925100021").section == "社区矫正管理科"
    config = root / "perfsheet.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("陈刚", "周强"), encoding="utf-8")
    assert _perfsheet("init", str(root)).returncode == 0
    assert Workspace.open(root).department.section("社区矫正管理科").chief == "周强"  # type: ignore[union-attr]
    shown = json.loads(_perfsheet("goals", "show", "--json", "--workspace", str(root)).stdout)
    assert shown["sections"][4]["chief"] == "周强"


def test_init_and_demo_with_relative_folders_write_where_they_say(tmp_path: Path) -> None:
    # The README's `perfsheet init` uses ./workbooks: a relative root once wrote workbooks/workbooks/.
    assert _perfsheet("init", cwd=tmp_path).returncode == 0
    assert (tmp_path / "workbooks" / "perfsheet.yaml").is_file()
    assert not (tmp_path / "workbooks" / "workbooks").exists()
    result = _perfsheet("templates", "--period", "2025-06", "--workspace", "workbooks", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "workbooks" / "outbox" / "2025-06" / "templates").glob("*.xlsx"))) == 10
    result = _perfsheet("demo", "--out", "演示", cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    assert (tmp_path / "演示" / "workbooks" / "ledger.sqlite").is_file()


def test_goals_and_workspace_together_is_a_usage_error(tmp_path: Path) -> None:
    result = _perfsheet("goals", "show", "--goals", str(SEED_TEXT), "--workspace", str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_default_roster_matches_the_issue(default_department) -> None:  # type: ignore[no-untyped-def]
    sections = {p.name: p.section for p in default_department.projects}
    assert sections["2025年省级社区矫正专项补助资金"] == "社区矫正管理科"
    assert sections["2025年行政复议专项工作经费"] == "执法监督和复议应诉科"
    assert sections["2025年依法治区专项经费"] == "法治政研督查和宣教科（秘书科）"
    for name in ("2025年招商引资专项工作经费", "2025年中央政法纪检监察转移支付资金", "2025省级公检法司转移支付"):
        assert sections[name] == "办公室"
    for name in ("2025年政府法律顾问费", "2025年中央政法纪检监察转移支付资金（法律援助）", "2025省级公检法司转移支付（法律援助）"):
        assert sections[name] == "基层科"
    for section in default_department.sections:
        assert section.chief and section.email.endswith(".example")


def test_init_from_another_goals_file_keeps_names_as_data(tmp_path: Path) -> None:
    from perfsheet.goals.registry import load_default, save_goals

    dept = load_default()
    from dataclasses import replace

    other = replace(dept, name="测试局: 二处 #1", year=2026)
    goals = save_goals(other, tmp_path / "goals-2026.yaml")
    result = _perfsheet("init", str(tmp_path / "ws"), "--goals", str(goals))
    assert result.returncode == 0, result.stderr
    ws = Workspace.open(tmp_path / "ws")
    assert ws.config.department == "测试局: 二处 #1" and ws.config.year == 2026
    assert ws.config.office.email == "bangongshi@lunan-sfj.example"
    assert ws.department.project("13020225P008925100021").section == "社区矫正管理科"


def test_tables_fit_80_columns_with_names_before_codes(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "COLUMNS": "80"}
    result = subprocess.run(
        [sys.executable, "-m", "perfsheet", "goals", "show"], capture_output=True, text=True, encoding="utf-8",
        cwd=tmp_path, env=env, check=True,
    )
    from rich.cells import cell_len  # display width: a Chinese character takes two columns

    assert max(cell_len(line) for line in result.stdout.splitlines()) <= 80
    assert "2025年省级社区矫正专项补助资金" in result.stdout  # a whole name on one line, not 2 characters a line
    assert "--wide" in result.stdout


def test_goals_show_json_carries_an_indicators_own_weight(tmp_path: Path) -> None:
    """An indicator given its own 分值 in the goals YAML shows it in the JSON; the others show null."""
    from perfsheet.goals.registry import load_default

    text = (Path(__file__).parents[1] / "perfsheet" / "data" / "goals-2025.yaml").read_text(encoding="utf-8")
    first = load_default().projects[0].indicators[0]
    marker = f"    name: {first.name}\n"
    assert marker in text
    edited = text.replace(marker, marker + "    weight: 12.5\n", 1)
    goals = tmp_path / "2025.yaml"
    goals.write_text(edited, encoding="utf-8")
    result = _perfsheet("goals", "show", "--json", "--goals", str(goals))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    weights = [i["weight"] for p in data["projects"] for i in p["indicators"]]
    assert weights[0] == 12.5 and weights[1:] == [None] * (len(weights) - 1)
