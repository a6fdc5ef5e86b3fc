"""The ingest key: everything an ingest result depends on besides the file's bytes.

perfsheet's version, the template schema, the budget-light edges whose lights ask for an explanation,
the monitoring rules and the registry entry of the file's project. The ledger stores the key with each
result; when the key computed now differs, the result is stale and ingest runs again from the
archive, so an edit of the goals or the thresholds reaches every stored result.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from perfsheet._version import __version__
from perfsheet.form.meta import SCHEMA_VERSION
from perfsheet.model import Department, Project
from perfsheet.rules import MonitoringRules, Thresholds

__all__ = ["IngestKeys", "project_digest"]


def project_digest(department: Department, project: Project) -> str:
    """sha256 of what a return of ``project`` is checked against and what its feedback copy shows:
    the project as registered (its section included) and the department's name. An indicator's own
    分值 (``weight``) is left out: only the self-evaluation scores with it, so editing it re-reads nothing."""
    if any(i.weight is not None for i in project.indicators):
        project = replace(project, indicators=tuple(replace(i, weight=None) for i in project.indicators))
    canonical = f"{department.name}\n{department.year}\n{project!r}"
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class IngestKeys:
    """The current ingest key per project code of one registry and thresholds (computed once)."""

    def __init__(self, department: Department, thresholds: Thresholds, rules: MonitoringRules | None = None) -> None:
        prefix = f"v{__version__};schema{SCHEMA_VERSION}"
        rules = rules or MonitoringRules()
        judged = f"{prefix};{thresholds.ingest_fingerprint(rules)};{rules.ingest_fingerprint()}"
        self._by_code = {p.code: f"{judged};project:{project_digest(department, p)}" for p in department.monitored}
        # A file of no known project depends only on which projects exist (a goals edit may add its
        # project), not on the thresholds: nothing of it is judged.
        codes = "\n".join(sorted(self._by_code))
        codes_digest = hashlib.sha256(f"{department.year}\n{codes}".encode()).hexdigest()
        self._unknown = f"{prefix};codes:{codes_digest}"

    def __call__(self, project_code: str | None) -> str:
        """The key of a result for a file of ``project_code`` (None: rejected, project unknown)."""
        if project_code is None:
            return self._unknown
        return self._by_code.get(project_code, self._unknown)
