"""``perfsheet selfeval``: the year's self-evaluation from a workspace's ledger (no workbook is read).

A project's full-year values come from its year-end form (``templates --period YYYY-自评``) when
one was received, else from the December return that stands for it (the ledger's counting rule):
1-12月执行数 is then the 全年执行数 and 截至12月完成值 the 实际完成值. The year-end form takes
precedence whenever it arrived, even with errors: the office asked for final values, and scoring
December's instead would hide that they are wrong. A project whose standing return has errors is
报送有错误 and, like one without a return, gets no score.
"""

from __future__ import annotations

from pathlib import Path

from perfsheet.ledger.store import FileRow
from perfsheet.model import Period
from perfsheet.monthly import standing_submissions
from perfsheet.selfeval.outputs import SelfEvalFiles, write_selfeval_outputs
from perfsheet.selfeval.score import Override, SelfEvaluation, self_evaluate
from perfsheet.workspace import Workspace, open_ledger

__all__ = ["evaluate_year", "selfeval_dir", "write_year_selfeval"]


def selfeval_dir(ws: Workspace, year: int) -> Path:
    return ws.inside(ws.root / "reports" / f"{year}-自评")


def evaluate_year(ws: Workspace, year: int) -> SelfEvaluation:
    """Score the year from the ledger: each project's year-end return, else its December return."""
    year_end = Period.year_end_of(year)
    with open_ledger(ws) as ledger:
        december_rows: list[FileRow] = ledger.rows(year_end.december)
        year_end_rows: list[FileRow] = ledger.rows(year_end)
    # self_evaluate keeps the last return given per project: the year-end ones come last and win.
    returns = standing_submissions(december_rows) + standing_submissions(year_end_rows)
    overrides = {code: {n: Override(score, reason) for n, (score, reason) in by_n.items()}
                 for code, by_n in ws.config.selfeval_overrides.items()}
    return self_evaluate(ws.department, year, returns, ws.config.selfeval, overrides)


def write_year_selfeval(ws: Workspace, year: int) -> tuple[SelfEvaluation, SelfEvalFiles]:
    evaluation = evaluate_year(ws, year)
    files = write_selfeval_outputs(evaluation, ws.department, selfeval_dir(ws, year), unit_name=ws.department.name,
                                   root=ws.root)
    return evaluation, files
