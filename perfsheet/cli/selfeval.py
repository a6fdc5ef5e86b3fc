"""``perfsheet selfeval``: the year-end 绩效自评 (scored 自评表 and 自评报告) from the ledger."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from perfsheet.errors import UsageError
from perfsheet.selfeval.outputs import STATUS_WORDS
from perfsheet.selfeval.run import write_year_selfeval
from perfsheet.selfeval.score import SelfEvaluation
from perfsheet.workspace import Workspace

from ._common import console, echo_json, workspace_option


@click.command("selfeval")
@click.option("--year", "year", type=int, required=True, help="自评年度，例如 2025（读取该年的年终报表，没有时读12月的监控表）。")
@workspace_option()
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出各项目得分（两位小数）。")
def selfeval_command(year: int, workspace_dir: Path | None, as_json: bool) -> None:
    """年度绩效自评：按各项目的年终报表（没有时按12月监控表）的全年执行数和实际完成值计分，生成《项目支出绩效自评表》
    和《绩效自评报告》（Markdown、Word），写入 reports/<年度>-自评/。

    没有年终报表也没有12月监控表的项目显示“未报送”，报表有错误的显示“报送有错误”，均不计分，也不计入部门得分。

    须补充或核对的问题（缺少的偏差原因、预算执行偏差原因、未填的完成值、与权重不符的分值等）逐条列出（项目：说明），
    也写入自评报告的“存在的问题及原因”；--json 输出中每个项目另列同样的问题（问题代码、指标序号和说明）。

    退出码：0 全部项目已评分；1 有项目未评分或有须补充的说明；2 用法错误或工作区不可用。
    """
    workspace = Workspace.open(workspace_dir)
    if year != workspace.department.year:
        raise UsageError(f"工作区的年度绩效目标是{workspace.department.year}年的，不能对{year}年自评")
    evaluation, files = write_year_selfeval(workspace, year)
    if as_json:
        echo_json(evaluation.to_json())
    else:
        _print_scores(evaluation, workspace.department.name)
        console.print("\n".join(f"{label}：{path}" for label, path in files.labelled()), highlight=False)
    incomplete = len(evaluation.scored) < len(evaluation.projects) or any(p.issues for p in evaluation.projects)
    sys.exit(1 if incomplete else 0)


def _print_scores(evaluation: SelfEvaluation, department: str) -> None:
    """The projects' scores, the department's, and every problem to resolve (project: message)."""
    table = Table(title=f"{department}{evaluation.year}年度绩效自评")
    for name in ("项目", "预算执行", "总分", "等级", "待补充"):
        table.add_column(name, overflow="fold")
    for p in evaluation.projects:
        total = p.total
        table.add_row(p.name, "—" if p.budget_score is None else f"{p.budget_score:.2f}",
                      "—" if total is None else f"{total:.2f}",
                      evaluation.rules.grade(total) if total is not None else STATUS_WORDS[p.status],
                      str(len(p.issues)))
    console.print(table)
    total = evaluation.total
    console.print(f"部门得分：{'—' if total is None else f'{total:.2f}'}（{len(evaluation.scored)}/"
                  f"{len(evaluation.projects)} 个项目已评分）", highlight=False)
    count = sum(len(p.issues) for p in evaluation.projects)
    if count:
        console.print(f"待补充或核对的问题（{count} 条）：", highlight=False)
        for p in evaluation.projects:
            for issue in p.issues:
                console.print(Text(f"  {p.name}：{issue.message}"), highlight=False, soft_wrap=True)


COMMANDS: list[click.Command] = [selfeval_command]
