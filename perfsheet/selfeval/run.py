"""``perfsheet selfeval``: the year's self-evaluation from a workspace's ledger (no workbook is read).

The December return that stands for each project (the ledger's counting rule) is its full-year
return: 1-12月执行数 is the 全年执行数 and 截至12月完成值 the 实际完成值. A project whose December return
has errors is 报送有错误 and, like one without a return, gets no score.
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
    """Score the year from the ledger's December returns."""
    december = str(Period(year, 12))
    with open_ledger(ws) as ledger:
        rows: list[FileRow] = [r for r in ledger.rows() if r.period == december]
    returns = standing_submissions(rows)
    overrides = {code: {n: Override(score, reason) for n, (score, reason) in by_n.items()}
                 for code, by_n in ws.config.selfeval_overrides.items()}
    return self_evaluate(ws.department, year, returns, ws.config.selfeval, overrides)


def write_year_selfeval(ws: Workspace, year: int) -> tuple[SelfEvaluation, SelfEvalFiles]:
    evaluation = evaluate_year(ws, year)
    files = write_selfeval_outputs(evaluation, ws.department, selfeval_dir(ws, year), unit_name=ws.department.name,
                                   root=ws.root)
    return evaluation, files
