"""``perfsheet goals …`` and ``perfsheet init``: the goals registry and the workspace."""

from __future__ import annotations

from pathlib import Path

import click

from perfsheet.errors import UsageError
from perfsheet.goals.export import department_to_json
from perfsheet.targets import format_value, value_with_unit
from perfsheet.workspace import init_workspace, resolve_department

from ._common import Column, console, echo_json, fitted_table, goals_option, wide_option, workspace_option
from .goals_import import import_command


@click.group("goals")
def goals_group() -> None:
    """年度绩效目标：查看、导入（文档或目标工作簿）、导出为目标工作簿。"""


@goals_group.command("show")
@goals_option()
@workspace_option()
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（金额、指标值为数字）。")
@wide_option()
def show_command(goals_path: Path | None, workspace_dir: Path | None, as_json: bool, wide: bool) -> None:
    """显示年度项目和绩效指标（缺省为内置的 2025 年路南区司法局目标）。"""
    department = resolve_department(goals_path, workspace_dir)
    if as_json:
        echo_json(department_to_json(department))
        return
    columns = [
        Column("序号", justify="right"),
        Column("项目名称", wrap=True),
        Column("预算数（万元）", justify="right"),
        Column("指标数", priority=2, justify="right"),
        Column("责任科室", priority=2, wrap=True),
        Column("项目编码", priority=3),
        Column("支出计划（%）", priority=3),
    ]
    rows = [
        [
            str(index), project.name, f"{project.budget:.2f}", str(len(project.indicators)),
            project.section or "（未分配）", project.code, "/".join(format_value(p.percent) for p in project.plan),
        ]
        for index, project in enumerate(department.projects, start=1)
    ]
    rows.append(["", "合计", f"{department.total_budget:.2f}", str(department.indicator_count), "", "", ""])
    console.print(fitted_table(f"{department.year}年 {department.name} 预算项目绩效目标", columns, rows, wide=wide))


@goals_group.command("export")
@click.argument("workbook", metavar="工作簿", type=click.Path(dir_okay=False, path_type=Path))
@goals_option()
@workspace_option()
@click.option("--force", is_flag=True, help="工作簿已存在时覆盖它。")
def export_command(workbook: Path, goals_path: Path | None, workspace_dir: Path | None, force: bool) -> None:
    """把年度目标导出为 Excel 目标工作簿（项目、指标、部门整体目标、科室），供在 Excel 中修改。

    每列都有下拉列表或数据验证和填写提示，“填表说明”表逐列说明。改好后用 perfsheet goals import 工作簿.xlsx -o goals/年度.yaml 读回；读回的目标与导出的完全一致。
    """
    if workbook.suffix.lower() != ".xlsx":
        raise UsageError(f"目标工作簿应以 .xlsx 结尾：{workbook}")
    if workbook.exists() and not force:
        raise UsageError(f"{workbook} 已存在；如需覆盖请加 --force")
    from perfsheet.goals.workbook import write_goals_workbook  # its table reader only for this command

    department = resolve_department(goals_path, workspace_dir)
    write_goals_workbook(department, workbook)
    console.print(
        f"已导出 {department.year}年 {department.name}：{len(department.projects)} 个项目，"
        f"{department.indicator_count} 个指标 → {workbook}"
    )


@goals_group.command("next")
@click.option("--year", "year", type=int, required=True, help="下一年度，例如 2026。")
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="写出的目标工作簿（.xlsx）；缺省为工作区目标文件所在文件夹中的“<年度>-草稿.xlsx”（如 goals/2026-草稿.xlsx）。")
@workspace_option()
@click.option("--force", is_flag=True, help="工作簿已存在时覆盖它。")
def next_command(year: int, out: Path | None, workspace_dir: Path | None, force: bool) -> None:
    """按本年度目标起草下一年度目标工作簿：项目和指标照旧，项目编码为“待填01”等占位、金额为0，待办公室填写；
    本年度实际完成值（年终报表，没有时为12月监控表）写在“指标”表单独的“上年实际完成值（参考）”列中，读回时不读取该列。

    改好后用 perfsheet goals import 工作簿.xlsx -o goals/下一年度.yaml 读回；仍有占位编码或预算数为0时逐格提示（工作表!单元格），退出码 1。
    """
    from perfsheet.goals.nextyear import draft_next_year, draft_path
    from perfsheet.goals.workbook import write_goals_workbook
    from perfsheet.selfeval.run import evaluate_year
    from perfsheet.workspace import Workspace

    workspace = Workspace.open(workspace_dir)
    target = out if out is not None else workspace.inside(draft_path(workspace.goals_path.parent, year))
    if target.suffix.lower() != ".xlsx":
        raise UsageError(f"目标工作簿应以 .xlsx 结尾：{target}")
    if target.exists() and not force:
        raise UsageError(f"{target} 已存在；如需覆盖请加 --force")
    department = workspace.department
    if year <= department.year:
        raise UsageError(f"下一年度应晚于工作区的{department.year}年，收到{year}")
    evaluation = evaluate_year(workspace, department.year)
    actuals = {
        (p.code, i.n): value_with_unit(i.actual, i.unit)
        for p in evaluation.projects for i in p.indicators if i.actual is not None
    }
    draft = draft_next_year(department, year, actuals)
    write_goals_workbook(draft.department, target, references=draft.references)
    yaml_path = workspace.goals_path.parent / f"{year}.yaml"
    console.print(
        f"已起草 {year}年 {department.name}：{len(draft.department.projects)} 个项目，"
        f"{draft.department.indicator_count} 个指标（{len(draft.references)} 个指标附{department.year}年实际完成值）→ {target}\n"
        f"请在工作簿中填写各项目的项目编码和预算金额，核对指标值后读回：perfsheet goals import {target} -o {yaml_path}",
        highlight=False, soft_wrap=True,
    )


@click.command("init")
@click.argument("directory", required=False, metavar="[目录]", type=click.Path(file_okay=False, path_type=Path))
@goals_option()
def init_command(directory: Path | None, goals_path: Path | None) -> None:
    """创建工作区（缺省为 ./workbooks）：配置、年度目标、收发件与报表目录。

    已存在的 perfsheet.yaml 和目标文件不会被覆盖。
    """
    workspace = init_workspace(directory, goals_path)
    department = workspace.department
    console.print(f"已创建工作区：{workspace.root}")
    console.print(
        f"  {department.year}年 {department.name}：{len(department.projects)} 个项目，"
        f"{department.indicator_count} 个指标，预算合计 {department.total_budget:.2f} 万元"
    )
    console.print(f"  配置：{workspace.config_path}（请填写科长姓名和邮箱）")


goals_group.add_command(import_command)

COMMANDS: list[click.Command] = [init_command, goals_group]
