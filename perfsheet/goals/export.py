"""The goals registry as JSON-ready data (``perfsheet goals show --json``)."""

from __future__ import annotations

from typing import Any

from perfsheet.model import Department, Target

__all__ = ["department_to_json", "target_to_json"]


def target_to_json(target: Target) -> dict[str, Any]:
    return {"raw": target.raw, "op": str(target.op), "value": target.value, "unit": target.unit}


def department_to_json(department: Department) -> dict[str, Any]:
    """Plain data with Decimals kept (the CLI's JSON encoder writes them as numbers)."""
    return {
        "department": department.name,
        "year": department.year,
        "sections": [
            {"name": s.name, "chief": s.chief, "email": s.email, "duties": s.duties} for s in department.sections
        ],
        "department_targets": [
            {"name": t.name, "target": target_to_json(t.target)} for t in department.department_targets
        ],
        "total_budget": department.total_budget,
        "projects": [
            {
                "code": p.code,
                "name": p.name,
                "section": p.section,
                "budget": p.budget,
                "fiscal": p.fiscal,
                "other": p.other,
                "purpose": p.purpose,
                "goal": p.goal,
                "plan": {str(pt.month): pt.percent for pt in p.plan},
                "indicators": [
                    {
                        "n": i.n,
                        "level1": i.level1,
                        "level2": i.level2,
                        "name": i.name,
                        "description": i.description,
                        "target": target_to_json(i.target),
                        "basis": i.basis,
                        "weight": i.weight,  # its own 分值 in the self-evaluation; null: shares its 一级's
                    }
                    for i in p.indicators
                ],
            }
            for p in department.projects
        ],
    }
