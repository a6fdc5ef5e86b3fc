"""Shared helpers of the CLI commands: consoles, common options, JSON output."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from perfsheet.errors import UsageError
from perfsheet.model import Period

if TYPE_CHECKING:
    from perfsheet.collect import CollectResult

# Piped output (CI logs, a clerk redirecting to a file) gets a wide fixed width instead of rich's 80
# columns, so tables of Chinese names stay readable rather than truncated.
_PIPE_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
console = Console(highlight=False, width=_PIPE_WIDTH)
console_err = Console(stderr=True, highlight=False, width=_PIPE_WIDTH)

F = TypeVar("F", bound=Callable[..., Any])


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        # JSON numbers: integers stay integers, the rest become floats (money has 2–4 decimals).
        exponent = value.as_tuple().exponent
        is_whole = isinstance(exponent, int) and exponent >= 0
        return int(value) if is_whole else float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps_json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)


def echo_json(data: object) -> None:
    click.echo(dumps_json(data))


SMTP_PASSWORD_ENV = "PERFSHEET_SMTP_PASSWORD"
IMAP_PASSWORD_ENV = "PERFSHEET_IMAP_PASSWORD"


def password_from_env_or_prompt(env: str, prompt: str) -> str:
    """A password from the environment variable ``env`` or a hidden prompt — never from an option,
    so it does not end up in shell history or a process list. The prompt goes to stderr (stdout may be
    JSON)."""
    value = os.environ.get(env)
    if value:
        return value
    try:
        return str(click.prompt(prompt, hide_input=True, err=True))
    except click.Abort:
        raise UsageError(f"未提供密码：请设置环境变量 {env} 或在提示时输入") from None


class PeriodType(click.ParamType):  # type: ignore[type-arg]
    """``YYYY-MM`` → :class:`Period`; a bad value is a usage error with a Chinese message (exit 2)."""

    name = "年-月"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> Period:
        if isinstance(value, Period):
            return value
        try:
            return Period.parse(str(value))
        except ValueError as exc:
            raise UsageError(str(exc)) from None


PERIOD = PeriodType()


def period_option(required: bool = True) -> Callable[[F], F]:
    return click.option(
        "--period", "period", type=PERIOD, required=required, metavar="年-月", help="监控期间（年-月），例如 2025-06；年度自评的年终报表为 2025-自评。"
    )


def goals_option() -> Callable[[F], F]:
    return click.option(
        "--goals",
        "goals_path",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="年度绩效目标文件（YAML）；缺省时使用工作区或内置的 2025 年默认目标。",
    )


def workspace_option() -> Callable[[F], F]:
    return click.option(
        "--workspace",
        "workspace_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="工作区目录（缺省为 ./workbooks；当前目录本身有 perfsheet.yaml 时为当前目录）。",
    )


def note_stale_ledger(count: int, period: Period) -> None:
    """Tell the clerk that the ledger's results predate an edit of the goals or the thresholds."""
    if count:
        console_err.print(
            f"[yellow]提示[/]：台账中有 {count} 份监控表是按修改前的目标、预警阈值或旧版本程序校验的，"
            f"以下状态可能尚未反映修改；请运行 perfsheet run --period {period} 重新校验。",
            highlight=False,
        )


def report_collect_aftermath(result: CollectResult, *, json_on_stdout: bool = False) -> None:
    """What collect or refresh did beside the new files: rows re-read, files not checked, unreadable mail.

    ``collect``, ``run`` and ``consolidate`` all print these the same way, so a clerk reads one wording.
    With ``json_on_stdout`` every line goes to stderr, so stdout stays one JSON document.
    """
    if result.reingested:
        (console_err if json_on_stdout else console).print(
            f"已按当前的目标、预警阈值和程序版本重新校验 {result.reingested} 份监控表（收到的原文件未改动）。",
            highlight=False,
        )
    for failure in result.failures:
        console_err.print(f"[yellow]未能校验[/]：{failure}", highlight=False)
    for entry in result.unreadable:
        kept = "，已原样归档" if entry.sha256 else ""
        console_err.print(f"[yellow]无法读取的邮件[/]：{entry.source}：{entry.reason}{kept}。其余邮件照常收集。", highlight=False)


def sources_option(help_text: str) -> Callable[[F], F]:
    """``--from SOURCE`` (repeatable) plus sources listed after the options, as a person types them:
    ``--from a.eml b.eml`` and ``收件箱/*.eml`` both work (the shell expands the pattern)."""

    def decorate(func: F) -> F:
        func = click.argument("more_sources", nargs=-1, metavar="[来源]...")(func)
        return click.option("--from", "sources", multiple=True, metavar="来源", help=help_text)(func)

    return decorate


def all_sources(sources: tuple[str, ...], more: tuple[str, ...], *, required: bool) -> tuple[str, ...]:
    """The --from sources and the listed ones, in order, each once."""
    combined = tuple(dict.fromkeys((*sources, *more)))
    if required and not combined:
        raise UsageError("请指定来源：--from 文件夹/邮件文件/imaps://…，或直接把来源列在命令后")
    return combined


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a terminal table: ``priority`` 1 always shows; higher numbers drop first when the
    table would not fit the terminal (``--wide`` shows them all). ``wrap`` columns may fold onto more
    lines; they are planned at their longest cell, so a name is not broken while a column of lower
    priority can make room, unless ``fit`` says how narrow a column of long text may become."""

    header: str
    priority: int = 1
    wrap: bool = False
    justify: Literal["left", "right", "center"] = "left"
    fit: int | None = None  # a wrap column of long text (messages, paths): planned at most this wide


NARROW_CAPTION = "（窗口较窄，部分列未显示；加 --wide 显示全部列，或 --json 输出全部数据）"


# A table cell: a str is shown as it is (names, file names and typed values may hold [brackets], never
# read as markup); a Text is a cell the program styled itself (see :func:`styled`).
Cell = str | Text


def styled(text: str, style: str) -> Text:
    """A cell in a colour: the text stays literal whatever it holds."""
    return Text(text, style=style)


def _plain(cell: Cell) -> Text:
    return cell if isinstance(cell, Text) else Text(cell)


def _cell_width(cell: Cell) -> int:
    """Display width of a cell's widest line (a Chinese character takes two columns)."""
    from rich.cells import cell_len

    return max((cell_len(line) for line in _plain(cell).plain.splitlines()), default=0)


def _table_width(widths: Sequence[int]) -> int:
    # rich's default box: a border left of every column and one at the right, one space either side.
    return sum(widths) + 3 * len(widths) + 1


def fitted_table(
    title: str, columns: Sequence[Column], rows: Iterable[Sequence[Cell]], *, wide: bool
) -> Table:
    """A rich table that fits the terminal: codes and figures never wrap, names wrap only when even
    the priority-1 columns are wider than the terminal, and columns of lower priority (higher number;
    the rightmost of equals first) are left out until the rest fits — all of them with ``wide``."""
    body = [list(row) for row in rows]
    planned = []
    for i, column in enumerate(columns):
        longest = max([_cell_width(column.header), *(_cell_width(row[i]) for row in body)])
        planned.append(min(longest, column.fit) if column.fit and column.wrap else longest)
    shown = list(range(len(columns)))
    if not wide:
        drop_order = sorted((i for i, c in enumerate(columns) if c.priority > 1), key=lambda i: (-columns[i].priority, -i))
        for i in drop_order:
            if _table_width([planned[j] for j in shown]) <= console.size.width:
                break
            shown.remove(i)
    table = Table(title=title or None, expand=False)
    for i in shown:
        column = columns[i]
        if column.wrap:
            table.add_column(column.header, overflow="fold", justify=column.justify)
        else:
            table.add_column(column.header, no_wrap=True, justify=column.justify)
    for row in body:
        table.add_row(*(_plain(row[i]) for i in shown))
    if len(shown) < len(columns):
        table.caption = NARROW_CAPTION
        # A caption wraps to its table's width: keep it on one line, as wide as the terminal allows.
        table.min_width = min(_cell_width(NARROW_CAPTION), console.size.width)
    return table


_LIGHT_STYLE = {"red": "bold red", "yellow": "bold yellow", "green": "green"}


def light_cell(light: object, otherwise: str = "—") -> Cell:
    """A light as the tables show it: 红灯 / 黄灯 / 绿灯 in its colour, ``otherwise`` when there is none."""
    from perfsheet.labels import LIGHT_LABELS

    if isinstance(light, str) and light in _LIGHT_STYLE:
        return styled(LIGHT_LABELS[light], _LIGHT_STYLE[light])
    return otherwise


def wide_option() -> Callable[[F], F]:
    return click.option("--wide", is_flag=True, help="显示全部列（缺省按终端宽度省略次要列）。")
