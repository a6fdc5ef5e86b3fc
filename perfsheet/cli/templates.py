"""``perfsheet templates``: write the month's monitoring templates (one .xlsx per project)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import click

from perfsheet.errors import UsageError
from perfsheet.labels import FORM_MONTHLY, FORM_YEAR_END
from perfsheet.model import Department, Period, Project
from perfsheet.outgoing.templates import write_period_templates
from perfsheet.rules import require_goals_year
from perfsheet.template.build import select_projects, write_templates
from perfsheet.workspace import Workspace, default_config, resolve_department, uses_workspace

from ._common import (
    Column,
    console,
    echo_json,
    fitted_table,
    goals_option,
    period_option,
    wide_option,
    workspace_option,
)

PASSWORD_ENV = "PERFSHEET_TEMPLATE_PASSWORD"


@click.command("templates")
@period_option(required=False)
@click.option(
    "--selfeval",
    "selfeval",
    is_flag=True,
    help="生成年度自评用的年终报表（全年执行数、实际完成值、偏差原因分析及改进措施），即期间 <年度>-自评。",
)
@click.option("--year", "year", type=int, metavar="年度", help="与 --selfeval 同用：年度，缺省为目标年度。")
@goals_option()
@workspace_option()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="输出目录；缺省为工作区的 outbox/<期间>/templates/，不使用工作区时为 ./templates-<期间>。",
)
@click.option("--project", "project_code", metavar="项目编码", help="只生成该项目编码的模板。")
@click.option("--section", "section", metavar="科室", help="只生成该科室负责的项目的模板。")
@click.option(
    "--password",
    "ask_password",
    is_flag=True,
    help=f"为工作表保护设置密码（运行时提示输入；也可用环境变量 {PASSWORD_ENV}）。缺省不设密码。",
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出生成的模板（项目、文件）。")
@wide_option()
def templates_command(
    period: Period | None,
    selfeval: bool,
    year: int | None,
    goals_path: Path | None,
    workspace_dir: Path | None,
    out_dir: Path | None,
    project_code: str | None,
    section: str | None,
    ask_password: bool,
    as_json: bool,
    wide: bool,
) -> None:
    """生成月度绩效运行监控表模板：每个项目一个受保护、带数据验证的 .xlsx 文件，另加一张部门整体监控表。

    不指定 --goals/--workspace 时，若 ./workbooks（或当前目录）是工作区则使用它，否则使用内置的 2025 年目标。
    加 --selfeval（可配 --year）生成年终报表：各科室填写全年最终数，收回后其数值优先于12月监控表用于年度自评。
    """
    _check_options(goals_path, workspace_dir, period, selfeval=selfeval, year=year)
    password = os.environ.get(PASSWORD_ENV) or None
    if ask_password:
        password = click.prompt("工作表保护密码", hide_input=True, confirmation_prompt=True) or None
    wanted = _Wanted(period, year, out_dir, project_code, section, password)
    use_workspace = uses_workspace(goals_path, workspace_dir)
    written = _write_in_workspace(workspace_dir, wanted) if use_workspace else _write_standalone(goals_path, wanted)
    projects = select_projects(written.department, project=project_code, section=section)
    if as_json:
        echo_json([
            {"code": p.code, "name": p.name, "section": p.section, "indicators": len(p.indicators), "file": str(path)}
            for p, path in zip(projects, written.paths, strict=True)
        ])
    else:
        _print_written(written, projects, password is not None, wide=wide)


def _check_options(
    goals_path: Path | None, workspace_dir: Path | None, period: Period | None, *, selfeval: bool, year: int | None
) -> None:
    if goals_path is not None and workspace_dir is not None:
        raise UsageError("--goals 与 --workspace 只能指定一个")
    if selfeval and period is not None:
        raise UsageError("--selfeval 与 --period 只能指定一个（年终报表的期间为 <年度>-自评）")
    if year is not None and not selfeval:
        raise UsageError("--year 只与 --selfeval 同用；月度模板请用 --period")
    if not selfeval and period is None:
        raise UsageError("缺少必需的选项 --period（例如 --period 2025-06）；生成年终报表请用 --selfeval")


class _Wanted(NamedTuple):
    """What the clerk asked for: the period (None: the year-end form of ``year``), where, which."""

    period: Period | None
    year: int | None
    out_dir: Path | None
    project: str | None
    section: str | None
    password: str | None

    def period_for(self, department: Department) -> Period:
        period = self.period or Period.year_end_of(self.year or department.year)
        require_goals_year(department, period)
        return period


class _Written(NamedTuple):
    department: Department
    period: Period
    target: Path
    paths: list[Path]


def _write_in_workspace(workspace_dir: Path | None, wanted: _Wanted) -> _Written:
    workspace = Workspace.open(workspace_dir)
    period = wanted.period_for(workspace.department)
    target = wanted.out_dir if wanted.out_dir is not None else workspace.templates_dir(period)
    # The same call `perfsheet send` makes, so both write the same bytes.
    paths = write_period_templates(
        workspace, period, out_dir=target, project=wanted.project, section=wanted.section, password=wanted.password
    )
    return _Written(workspace.department, period, target, list(paths))


def _write_standalone(goals_path: Path | None, wanted: _Wanted) -> _Written:
    """Without a workspace: the goals file (or the built-in goals) and the default configuration."""
    department, config = resolve_department(goals_path, None), default_config()
    period = wanted.period_for(department)
    target = wanted.out_dir if wanted.out_dir is not None else Path(f"templates-{period}")
    paths = write_templates(
        department,
        period,
        target,
        project=wanted.project,
        section=wanted.section,
        password=wanted.password,
        office_contact=config.office.contact_line,
        deadline=config.deadline(period),
        rules=config.monitoring,
        thresholds=config.thresholds,
    )
    return _Written(department, period, target, list(paths))


def _print_written(written: _Written, projects: Sequence[Project], protected: bool, *, wide: bool) -> None:
    columns = [
        Column("项目名称", wrap=True),
        Column("指标数", justify="right"),
        Column("责任科室", priority=2, wrap=True),
        Column("文件", priority=3, wrap=True),
        Column("项目编码", priority=3),
    ]
    rows = [
        [p.name, str(len(p.indicators)), p.section or "（未分配）", path.name, p.code]
        for p, path in zip(projects, written.paths, strict=True)
    ]
    period = written.period
    what = FORM_YEAR_END if period.year_end else f"{FORM_MONTHLY}模板"
    console.print(fitted_table(f"{period.label} {what}（{len(written.paths)} 个）", columns, rows, wide=wide))
    console.print(f"输出目录：{written.target.resolve()}" + ("（已设置保护密码）" if protected else ""), highlight=False)


COMMANDS: list[click.Command] = [templates_command]
