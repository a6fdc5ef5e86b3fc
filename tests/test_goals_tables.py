"""The table reader on small documents written inline: money in its many spellings, targets from split
columns, where each problem is, and the synonym table as the one place a new spelling goes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from perfsheet.goals import vocabulary
from perfsheet.goals.cells import TableBlock, read_blocks, text_blocks
from perfsheet.goals.document import GoalsImport, read_goals_document
from perfsheet.model import Op


def _doc(tmp_path: Path, money: str, header: str, rows: list[str], *, extra: str = "", name: str = "表.md") -> GoalsImport:
    lines = [
        "单位名称：测试局", "（2024年度）", "", "| 项目名称 | 测试项目 | 项目编码 | T001 |", "| --- | --- | --- | --- |",
        money, "| 资金支出计划 | 6月底50% | 12月底100% |", extra, header, *rows,
    ]
    path = tmp_path / name
    path.write_text("\n".join(line for line in lines if line), encoding="utf-8")
    return read_goals_document(path)


HEADER = "| 一级指标 | 二级指标 | 三级指标 | 指标值 |"
ROW = "| 产出指标 | 数量指标 | 培训人数 | ≥100人 |"


@pytest.mark.parametrize(
    ("money", "budget", "fiscal", "other"),
    [
        ("| 资金总额 | 250万 | 财政拨款 | 200万 | 其他资金 | 50万 |", "250", "200", "50"),
        ("| 资金总额（元） | 3,309,840.00 | 财政拨款（元） | 3,309,840.00 |", "330.984", "330.984", "0"),
        ("| 当年资金总额 | 10000万元 | 其中：财政拨款 | 9000万元 | 上年结转 | 1000万元 |", "10000", "9000", "1000"),
        ("| 预算数 | 2279.048 万元 | 其中：财政资金 | 2279.048 万元 | 其他资金 | |", "2279.048", "2279.048", "0"),
        ("| 年度资金总额 | 12 | 财政拨款 | 10 | 自有资金 | 1.5 | 上年结转 | 0.5 |", "12", "10", "2.0"),
        ("| 项目资金 | 120000元 |", "12.00", "12.00", "0"),
    ],
)
def test_money_spellings(tmp_path: Path, money: str, budget: str, fiscal: str, other: str) -> None:
    result = _doc(tmp_path, money, HEADER, [ROW])
    (project,) = result.department.projects
    assert (project.budget, project.fiscal, project.other) == (Decimal(budget), Decimal(fiscal), Decimal(other))
    assert result.problems == ()


def test_split_target_columns_and_direction(tmp_path: Path) -> None:
    header = "| 一级指标 | 二级指标 | 三级指标 | 计算符号 | 指标值 | 度量单位 | 指标方向 | 权重 | 备注 |"
    rows = [
        "| 产出指标 | 数量指标 | 培训人次 | ≥ | 1200 | 人/次 | 正向 | 10 | |",
        "|  | 质量指标 | 差错率 |  | 2 | % | 反向 | 10 | |",
        "|  | 时效指标 | 完成时限 | ≤ | 2024年10月31日 |  |  | 10 | |",
        "| 效益指标 | 社会效益指标 | 社会影响 | 定性 | 明显提升 |  |  | 10 | |",
        "|  |  | 覆盖率 | 大于等于 | 90 | % |  | 10 | |",
    ]
    result = _doc(tmp_path, "| 资金总额 | 10 |", header, rows)
    targets = [(i.target.raw, i.target.op) for i in result.department.projects[0].indicators]
    assert targets == [
        ("≥1200人/次", Op.GE), ("≤2%", Op.LE), ("2024年10月31日前", Op.QUALITATIVE), ("明显提升", Op.QUALITATIVE),
        ("≥90%", Op.GE),
    ]
    assert [i.level1 for i in result.department.projects[0].indicators] == ["产出指标"] * 3 + ["效益指标"] * 2


def test_unreadable_values_stay_visible_with_their_place(tmp_path: Path) -> None:
    rows = [ROW, "|  |  | 完成率 | ≥九成 |", "|  |  | 工作日 | 3个工作日内完成 |", "|  |  | 空值 |  |"]
    result = _doc(tmp_path, "| 资金总额 | 五十万 |", HEADER, rows)
    where = {p.code: p.where for p in result.problems}
    assert set(where) == {"money-unreadable", "target-unreadable", "target-qualitative-number", "target-empty", "project-no-budget"}
    path = tmp_path / "表.md"
    assert where["target-unreadable"] == f"{path}:9" and where["money-unreadable"] == f"{path}:5"
    raws = [i.target.raw for i in result.department.projects[0].indicators]
    assert raws == ["≥100人", "【请核对】≥九成", "3个工作日内完成", ""]
    assert result.department.projects[0].budget == 0 and result.exit_code == 1


def test_plan_problems_fall_back_to_the_default(tmp_path: Path) -> None:
    path = tmp_path / "计划.md"
    path.write_text(
        "单位名称：测试局\n（2024年度）\n| 项目名称 | 甲 |\n| --- | --- |\n| 资金总额 | 1 |\n"
        "| 资金支出计划 | 6月底 | 3月底 |\n|  | 50% | 100% |\n" + HEADER + "\n" + ROW + "\n",
        encoding="utf-8",
    )
    result = read_goals_document(path)
    assert {p.code for p in result.problems} >= {"plan-invalid"}
    assert [(p.month, p.percent) for p in result.department.projects[0].plan] == [(3, 25), (6, 50), (10, 75), (12, 100)]


def test_tab_separated_lines_are_rows(tmp_path: Path) -> None:
    text = "填报单位：测试局\n（2023年）\n项目名称\t丙项目\n资金总额\t8\n一级指标\t二级指标\t三级指标\t指标值\n产出指标\t数量指标\t场次\t≥3场\n"
    blocks = text_blocks(text)
    (table,) = [b for b in blocks if isinstance(b, TableBlock)]
    assert [c.text for c in table.rows[0]] == ["项目名称", "丙项目"]
    path = tmp_path / "tab.txt"
    path.write_text(text, encoding="utf-8")
    d = read_goals_document(path).department
    assert (d.name, d.year, d.projects[0].indicators[0].target.raw) == ("测试局", 2023, "≥3场")


def test_html_rowspan_and_colspan_are_expanded(tmp_path: Path) -> None:
    page = tmp_path / "t.html"
    page.write_text(
        "<p>（2022年度）</p><table><tr><td>一级指标</td><td>二级指标</td><td>三级指标</td><td>指标值</td></tr>"
        "<tr><td rowspan=2>产出指标</td><td>数量指标</td><td>甲</td><td>1次</td></tr>"
        "<tr><td colspan=2>乙</td><td>2次</td></tr></table>",
        encoding="utf-8",
    )
    (table,) = [b for b in read_blocks(page) if isinstance(b, TableBlock)]
    assert [c.text for c in table.rows[2]] == ["产出指标", "乙", "乙", "2次"]
    assert table.rows[2][0].origin == table.rows[1][0].origin and table.rows[2][1].origin == table.rows[2][2].origin


def test_every_synonym_is_one_entry_of_the_vocabulary() -> None:
    for role, words in vocabulary.COLUMN_SYNONYMS.items():
        for word in words:
            assert vocabulary.column_role(word) == role, word
    for role, words in vocabulary.LABEL_SYNONYMS.items():
        for word in words:
            assert vocabulary.label_role(word) == (role, None), word
    assert vocabulary.label_role("填报单位（盖章）：某局") == ("unit_name", "某局")
    assert vocabulary.label_role("资金总额：") == ("budget", None)
    assert vocabulary.column_role("中期指标值") == "ignore" and vocabulary.column_role("年度指标值") == "target"


def test_flat_table_with_code_and_budget_columns(tmp_path: Path) -> None:
    path = tmp_path / "flat.md"
    path.write_text(
        "填报单位：测试局\n（2024年度）\n"
        "| 项目编码 | 项目名称 | 资金总额（万元） | 一级指标 | 二级指标 | 三级指标 | 指标值 |\n| --- | --- | --- | --- | --- | --- | --- |\n"
        "| A1 | 甲 | 10 | 产出指标 | 数量指标 | 场次 | ≥3场 |\n"
        "| A1 | 甲 | 10 | 效益指标 | 社会效益指标 | 覆盖 | 100% |\n"
        "| B2 | 乙 | 5.5 | 产出指标 | 数量指标 | 人数 | ≥20人 |\n",
        encoding="utf-8",
    )
    d = read_goals_document(path).department
    assert [(p.code, p.name, p.budget, len(p.indicators)) for p in d.projects] == [
        ("A1", "甲", Decimal(10), 2), ("B2", "乙", Decimal("5.5"), 1),
    ]


def test_a_note_that_mentions_the_table_is_no_title(tmp_path: Path) -> None:
    result = _doc(tmp_path, "| 资金总额 | 10 |", HEADER, [ROW], extra="注：本绩效目标表金额单位为万元，指标见下表。\n")
    assert len(result.department.projects) == 1 and result.department.projects[0].name == "测试项目"
    assert result.problems == ()
