"""perfsheet: monthly budget-performance monitoring (预算绩效运行监控) through Excel.

The pipeline, one module per stage: goals registry (:mod:`perfsheet.registry`, :mod:`perfsheet.goalsdoc`)
→ templates (:mod:`perfsheet.template`) → mail and ledger (:mod:`perfsheet.mail`, :mod:`perfsheet.ledger`)
→ ingest (:mod:`perfsheet.reader`, :mod:`perfsheet.ingest`) → consolidation (:mod:`perfsheet.consolidate`,
:mod:`perfsheet.report`) → narrative (:mod:`perfsheet.narrative`).
"""

from __future__ import annotations

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
    "Target",
    "__version__",
]
