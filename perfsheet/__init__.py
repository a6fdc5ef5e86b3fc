"""perfsheet: monthly budget-performance monitoring (预算绩效运行监控) through Excel.

The pipeline, one module per stage: goals registry (:mod:`perfsheet.registry`, :mod:`perfsheet.goalsdoc`)
→ templates (:mod:`perfsheet.template`) → mail and ledger (:mod:`perfsheet.mail`, :mod:`perfsheet.dispatch`,
:mod:`perfsheet.collect`, :mod:`perfsheet.ledger`) → ingest (:mod:`perfsheet.reader`, :mod:`perfsheet.ingest`)
→ consolidation (:mod:`perfsheet.consolidate`, :mod:`perfsheet.report`) → narrative
(:mod:`perfsheet.narrative`); :mod:`perfsheet.monthly` runs a month, :mod:`perfsheet.demo` the demo.

The names below are the public API; the heavier ones (pandas, xlsxwriter) are imported on first use so
that ``perfsheet --help`` and ``perfsheet goals show`` start quickly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from .errors import PerfsheetError
from .model import (
    Department,
    Indicator,
    IndicatorReturn,
    Issue,
    Period,
    Project,
    Section,
    Submission,
    Target,
)

# public name → module that defines it
_LAZY: dict[str, str] = {
    "load_default": "registry",
    "load_goals": "registry",
    "save_goals": "registry",
    "import_goals_document": "goalsdoc",
    "Workspace": "workspace",
    "init_workspace": "workspace",
    "build_template": "template",
    "write_templates": "template",
    "fill_template": "template",
    "read_submission": "ingest",
    "check_returns": "ingest",
    "write_feedback": "ingest",
    "submissions_to_frames": "ingest",
    "collect": "collect",
    "period_status": "ledger",
    "counting_submissions": "ledger",
    "consolidate": "consolidate",
    "Summary": "consolidate",
    "write_reports": "report",
    "render_markdown": "narrative",
    "run_month": "monthly",
    "run_demo": "demo",
}

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .collect import collect
    from .consolidate import Summary, consolidate
    from .demo import run_demo
    from .goalsdoc import import_goals_document
    from .ingest import check_returns, read_submission, submissions_to_frames, write_feedback
    from .ledger import counting_submissions, period_status
    from .monthly import run_month
    from .narrative import render_markdown
    from .registry import load_default, load_goals, save_goals
    from .report import write_reports
    from .template import build_template, fill_template, write_templates
    from .workspace import Workspace, init_workspace


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'perfsheet' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "Department",
    "Indicator",
    "IndicatorReturn",
    "Issue",
    "PerfsheetError",
    "Period",
    "Project",
    "Section",
    "Submission",
    "Summary",
    "Target",
    "Workspace",
    "__version__",
    "build_template",
    "check_returns",
    "collect",
    "consolidate",
    "counting_submissions",
    "fill_template",
    "import_goals_document",
    "init_workspace",
    "load_default",
    "load_goals",
    "period_status",
    "read_submission",
    "render_markdown",
    "run_demo",
    "run_month",
    "save_goals",
    "submissions_to_frames",
    "write_feedback",
    "write_reports",
    "write_templates",
]
