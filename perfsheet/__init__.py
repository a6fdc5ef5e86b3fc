"""perfsheet: monthly budget-performance monitoring (预算绩效运行监控) through Excel.

The pipeline, one subpackage per stage, imports pointing only down (``tests/test_layers.py``):
domain rules (:mod:`perfsheet.model`, :mod:`perfsheet.rules`, :mod:`perfsheet.labels`) → goals
(:mod:`perfsheet.goals`) and the form contract (:mod:`perfsheet.form`) → templates
(:mod:`perfsheet.template`) → ingest (:mod:`perfsheet.ingest`) and mail (:mod:`perfsheet.mail`) →
the archive and ledger (:mod:`perfsheet.ledger`) → the workspace → collect, outgoing mail and
consolidation (:mod:`perfsheet.collect`, :mod:`perfsheet.outgoing`, :mod:`perfsheet.consolidate`) →
reports (:mod:`perfsheet.report`) → the monthly run (:mod:`perfsheet.monthly`) → the demo → the CLI.

The names below are the public API, each imported on first use (even the dataclasses of
:mod:`perfsheet.model` take ~20 ms), so that ``perfsheet --help`` starts in a blink and each command
loads only what it uses (``tests/test_cli_startup.py``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import PerfsheetError

# public name → module that defines it
_LAZY: dict[str, str] = {
    **dict.fromkeys(
        ("Department", "Indicator", "IndicatorReturn", "Issue", "Period", "Project", "Section", "Submission", "Target"),
        "model",
    ),
    "load_default": "goals.registry",
    "load_goals": "goals.registry",
    "save_goals": "goals.registry",
    "import_goals_document": "goals.document",
    "Workspace": "workspace",
    "init_workspace": "workspace",
    "period_status": "workspace",
    "counting_submissions": "workspace",
    "build_template": "template.build",
    "write_templates": "template.build",
    "fill_template": "template.build",
    "read_submission": "ingest.check",
    "check_returns": "ingest.batch",
    "write_feedback": "ingest.feedback",
    "submissions_to_frames": "ingest.frames",
    "collect": "collect",
    "consolidate": "consolidate.build",
    "Summary": "consolidate.summary",
    "write_reports": "report.files",
    "render_markdown": "report.narrative",
    "run_month": "monthly",
    "run_demo": "demo",
}

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .collect import collect
    from .consolidate.build import consolidate
    from .consolidate.summary import Summary
    from .demo import run_demo
    from .goals.document import import_goals_document
    from .goals.registry import load_default, load_goals, save_goals
    from .ingest.batch import check_returns
    from .ingest.check import read_submission
    from .ingest.feedback import write_feedback
    from .ingest.frames import submissions_to_frames
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
    from .monthly import run_month
    from .report.files import write_reports
    from .report.narrative import render_markdown
    from .template.build import build_template, fill_template, write_templates
    from .workspace import Workspace, counting_submissions, init_workspace, period_status


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
