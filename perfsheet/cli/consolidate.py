"""``perfsheet consolidate``: the period's summary workbook and narrative from the ledger."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from perfsheet.collect import refresh_ledger
from perfsheet.consolidate.summary import Summary
from perfsheet.model import Period
from perfsheet.monthly import check_period_year, write_period_reports
from perfsheet.report.narrative import pct
from perfsheet.workspace import Workspace

from ._common import (
    Column,
    console,
    echo_json,
    fitted_table,
    light_cell,
    period_option,
    report_collect_aftermath,
    wide_option,
    workspace_option,
)

# The light column says 未报送 / 有错误 where there is no light, so names, rates and lights always
# show; the plan, the status with its 逾期 and the section give way on a narrow terminal.
_COLUMNS = (
    Column("项目", wrap=True),
    Column("科室", priority=3, wrap=True),
    Column("执行率", justify="right"),
    Column("计划进度", priority=2, justify="right"),
    Column("预警"),
    Column("状态", priority=2),
)


def _render(summary: Summary, *, wide: bool) -> None:
    t = summary.totals
    rows = []
    for p in summary.projects.itertuples(index=False):
        rate = pct(p.execution_rate) if p.status == "valid" else "—"
        label = light_cell(p.light, otherwise=str(p.light_label))
        rows.append([str(p.name), str(p.section), rate, pct(p.plan_progress), label, str(p.status_label)])
    title = f"{summary.department}{summary.period.label}预算执行（序时进度 {float(t.time_progress):.1f}%）"
    console.print(fitted_table(title, _COLUMNS, rows, wide=wide))
    rate = "—" if t.execution_rate is None else f"{float(t.execution_rate):.1f}%"
    console.print(
        f"合计（只含已通过的 {t.projects_reported}/{t.projects} 个项目）：执行率 {rate}；"
        f"未报送 {t.projects_missing} 个，有错误 {t.projects_invalid} 个。",
        highlight=False,
    )


@click.command("consolidate")
@period_option()
@workspace_option()
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出汇总结果（比率为百分数，50.0 表示 50%）。")
@click.option(
    "--template-dir",
    "template_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="情况说明模板目录（缺省使用内置模板；目录中没有的模板仍用内置的）。",
)
@wide_option()
def consolidate_command(
    period: Period, workspace_dir: Path | None, as_json: bool, template_dir: Path | None, wide: bool
) -> None:
    """汇总本期有效报送的监控表：生成汇总表（Excel）和《绩效运行监控情况说明》（Markdown、Word）。

    文件写入工作区的 reports/<期间>/；未报送的项目显示为“未报送”，不计为 0。

    退出码：0 正常（可有未报送）；1 有报送的表格有错误；2 用法错误或工作区不可用。
    """
    workspace = Workspace.open(workspace_dir)
    check_period_year(workspace, period)
    # Reports must be right: what an edit of the goals or thresholds made stale is re-read first.
    refreshed = refresh_ledger(workspace, period)
    files = write_period_reports(workspace, period, template_dir=template_dir)
    summary = files.summary
    if as_json:
        echo_json(summary.to_json())
    else:
        _render(summary, wide=wide)
        console.print("\n".join(f"{label}：{path}" for label, path in files.labelled()), highlight=False)
    report_collect_aftermath(refreshed, json_on_stdout=as_json)
    t = summary.totals
    sys.exit(1 if t.projects_invalid else 0)


COMMANDS: list[click.Command] = [consolidate_command]
