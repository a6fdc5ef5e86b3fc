"""How the ledger stores what ingest concluded: a Submission, its issues and the raw values of the
cells it flagged, as JSON text with exact decimal strings (never floats).

The encoding is the ledger's own (readers go through :func:`decode_submission`); it round-trips
every value exactly, so consolidation from the ledger equals consolidation from the workbooks.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from perfsheet.model import (
    IndicatorReturn,
    IndicatorValue,
    Issue,
    Period,
    Severity,
    Submission,
    SubmissionStatus,
)

__all__ = [
    "decode_issues",
    "decode_raw_values",
    "decode_submission",
    "encode_issues",
    "encode_raw_values",
    "encode_submission",
    "issue_from_record",
]


def _num(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _dec(text: object) -> Decimal | None:
    return None if text is None else Decimal(str(text))


def _ind_value(value: IndicatorValue) -> dict[str, str] | None:
    # Tagged, because a 定性 word and a number are both strings once in JSON.
    if value is None:
        return None
    if isinstance(value, Decimal):
        return {"n": str(value)}
    return {"s": value}


def _ind_value_back(data: object) -> IndicatorValue:
    if not isinstance(data, dict):
        return None
    if "n" in data:
        return Decimal(str(data["n"]))
    return str(data.get("s", ""))


def issue_from_record(raw: Mapping[str, Any]) -> Issue:
    """An Issue from its ``to_dict()`` form (as the ledger and the JSON reports hold it)."""
    return Issue(
        code=str(raw.get("code", "")),
        severity=Severity(raw.get("severity", "error")),
        message=str(raw.get("message", "")),
        sheet=str(raw.get("sheet", "")),
        cell=str(raw.get("cell", "")),
        field=str(raw.get("field", "")),
        value=str(raw.get("value", "")),
    )


def encode_issues(issues: Sequence[Issue]) -> str:
    return json.dumps([i.to_dict() for i in issues], ensure_ascii=False)


def decode_issues(text: str) -> tuple[Issue, ...]:
    return tuple(issue_from_record(raw) for raw in json.loads(text or "[]"))


def encode_submission(submission: Submission) -> str:
    """The typed values of a return (not its issues: the ledger row holds those once)."""
    record = {
        "project_code": submission.project_code,
        "period": str(submission.period),
        "status": str(submission.status),
        "budget_adjusted": _num(submission.budget_adjusted),
        "spend_to_date": _num(submission.spend_to_date),
        "spend_projected": _num(submission.spend_projected),
        "budget_adjusted_other": _num(submission.budget_adjusted_other),
        "spend_to_date_other": _num(submission.spend_to_date_other),
        "spend_projected_other": _num(submission.spend_projected_other),
        "goal_progress": submission.goal_progress,
        "budget_explanation": submission.budget_explanation,
        "contact_name": submission.contact_name,
        "contact_phone": submission.contact_phone,
        "contact_date": submission.contact_date.isoformat() if submission.contact_date else None,
        "contact_head": submission.contact_head,
        "indicators": [
            {
                "n": r.n,
                "actual": _ind_value(r.actual),
                "projection": _ind_value(r.projection),
                "likelihood": r.likelihood,
                "deviation": r.deviation,
                "explanation": r.explanation,
            }
            for r in submission.indicators
        ],
    }
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


def decode_submission(text: str, *, issues: tuple[Issue, ...], file: str, sha256: str) -> Submission:
    data = json.loads(text)
    contact_date = data.get("contact_date")
    return Submission(
        project_code=data["project_code"],
        period=Period.parse(data["period"]),
        budget_adjusted=_dec(data.get("budget_adjusted")),
        spend_to_date=_dec(data.get("spend_to_date")),
        spend_projected=_dec(data.get("spend_projected")),
        budget_adjusted_other=_dec(data.get("budget_adjusted_other")),
        spend_to_date_other=_dec(data.get("spend_to_date_other")),
        spend_projected_other=_dec(data.get("spend_projected_other")),
        goal_progress=data.get("goal_progress"),
        budget_explanation=data.get("budget_explanation"),
        contact_name=data.get("contact_name"),
        contact_phone=data.get("contact_phone"),
        contact_date=dt.date.fromisoformat(contact_date) if contact_date else None,
        contact_head=data.get("contact_head"),
        indicators=tuple(
            IndicatorReturn(
                n=int(r["n"]),
                actual=_ind_value_back(r.get("actual")),
                projection=_ind_value_back(r.get("projection")),
                likelihood=r.get("likelihood"),
                deviation=r.get("deviation"),
                explanation=r.get("explanation"),
            )
            for r in data.get("indicators", [])
        ),
        file=file,
        sha256=sha256,
        status=SubmissionStatus(data.get("status", "valid")),
        issues=issues,
    )


# Raw cell values (what a flagged cell held, for the feedback copy), tagged by type.


def _raw(value: object) -> list[object] | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return ["b", value]
    if isinstance(value, int):
        return ["i", str(value)]
    if isinstance(value, float):
        return ["f", repr(value)]
    if isinstance(value, dt.timedelta):
        return ["td", value.total_seconds()]
    # datetime before date: a datetime is a date too.
    if isinstance(value, dt.datetime):
        return ["dt", value.isoformat()]
    if isinstance(value, dt.date):
        return ["d", value.isoformat()]
    if isinstance(value, dt.time):
        return ["t", value.isoformat()]
    return ["s", str(value)]


def _raw_back(data: object) -> object:
    if not isinstance(data, list) or len(data) != 2:
        return None
    tag, value = data
    if tag == "b":
        return bool(value)
    if tag == "i":
        return int(str(value))
    if tag == "f":
        return float(str(value))
    if tag == "td":
        return dt.timedelta(seconds=float(str(value)))
    if tag == "dt":
        return dt.datetime.fromisoformat(str(value))
    if tag == "d":
        return dt.date.fromisoformat(str(value))
    if tag == "t":
        return dt.time.fromisoformat(str(value))
    return str(value)


def encode_raw_values(values: Mapping[str, object]) -> str:
    return json.dumps({k: _raw(v) for k, v in sorted(values.items())}, ensure_ascii=False)


def decode_raw_values(text: str) -> dict[str, object]:
    return {k: _raw_back(v) for k, v in json.loads(text or "{}").items()}
