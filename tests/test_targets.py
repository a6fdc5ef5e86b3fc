"""指标值 parsing: every form in the seed, word/full-width forms, and parse ∘ format round trips."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from perfsheet.model import Direction, Op, Target
from perfsheet.targets import KNOWN_UNITS, TargetParseError, format_target, parse_target


@pytest.mark.parametrize(
    ("raw", "op", "value", "unit"),
    [
        ("≥95%", Op.GE, "95", "%"),
        ("≤127.5元", Op.LE, "127.5", "元"),
        ("100%", Op.EQ, "100", "%"),
        ("2次", Op.EQ, "2", "次"),
        ("19万元", Op.EQ, "19", "万元"),
        ("≥1家", Op.GE, "1", "家"),
        ("≤0.05%", Op.LE, "0.05", "%"),
        ("＞＝90％", Op.GE, "90", "%"),
        ("≧90%", Op.GE, "90", "%"),
        ("<=5天", Op.LE, "5", "天"),
        ("＜3件", Op.LT, "3", "件"),
        (">2场", Op.GT, "2", "场"),
        ("不低于95%", Op.GE, "95", "%"),
        ("不少于30场", Op.GE, "30", "场"),
        ("不高于0.2%", Op.LE, "0.2", "%"),
        ("不超过10天", Op.LE, "10", "天"),
        ("达到100%", Op.EQ, "100", "%"),
        ("90%以上", Op.GE, "90", "%"),
        ("0.2%以下", Op.LE, "0.2", "%"),
        ("≥90百分比", Op.GE, "90", "%"),
        ("≥１５０次", Op.GE, "150", "次"),
        ("≥ 360 件", Op.GE, "360", "件"),
        ("≥150人次", Op.GE, "150", "人次"),
    ],
)
def test_parse_forms(raw: str, op: Op, value: str, unit: str) -> None:
    target = parse_target(raw)
    assert (target.op, target.value, target.unit, target.raw) == (op, Decimal(value), unit, raw)


@pytest.mark.parametrize("raw", ["化解社会矛盾", "法援案件评查", "通过市局考核", "签订合同符合法定要求", "社会稳定和谐"])
def test_text_without_number_is_qualitative(raw: str) -> None:
    target = parse_target(raw)
    assert target.op is Op.QUALITATIVE and target.value is None and target.direction is Direction.QUALITATIVE
    assert format_target(target) == raw


@pytest.mark.parametrize("raw", ["≥", "≥九十%", "不少于若干场"])
def test_operator_without_number_is_an_error(raw: str) -> None:
    with pytest.raises(TargetParseError):
        parse_target(raw)


def test_directions_and_comparison() -> None:
    assert parse_target("≥95%").direction is Direction.POSITIVE
    assert parse_target("≤0.2%").direction is Direction.NEGATIVE
    assert parse_target("100%").direction is Direction.EQUAL
    assert parse_target("≥95%").is_met_by(Decimal(95))
    assert not parse_target("≥95%").is_met_by(Decimal("94.9"))
    assert parse_target("≤0.2%").is_met_by(Decimal("0.2"))
    assert not parse_target("<0.2%").is_met_by(Decimal("0.2"))
    assert parse_target("2次").is_met_by(Decimal(2))


def _seed_cells(seed_text: str) -> list[str]:
    part2 = seed_text[seed_text.index("第二部分") :]
    return [line[1:].strip() for line in part2.splitlines() if line.startswith("\t") and line[1:].strip()]


def test_every_seed_cell_parses(seed_text: str) -> None:
    """No cell of Part 2 crashes the parser; every cell with an operator has a number and unit."""
    for cell in _seed_cells(seed_text):
        target = parse_target(cell)
        if cell[0] in "≥≤<>＞＜":
            assert target.value is not None and target.unit, cell
            assert parse_target(format_target(target)) == Target(format_target(target), target.op, target.value, target.unit)


def test_every_registry_target_round_trips(default_department) -> None:  # type: ignore[no-untyped-def]
    for project in default_department.projects:
        for indicator in project.indicators:
            target = indicator.target
            again = parse_target(format_target(target))
            assert (again.op, again.value, again.unit) == (target.op, target.value, target.unit)


_numeric_ops = st.sampled_from([Op.GE, Op.GT, Op.EQ, Op.LT, Op.LE])
_values = st.decimals(min_value=0, max_value=10**7, places=3, allow_nan=False, allow_infinity=False)


@given(op=_numeric_ops, value=_values, unit=st.sampled_from(("", *KNOWN_UNITS)))
def test_format_then_parse_round_trips(op: Op, value: Decimal, unit: str) -> None:
    target = Target(raw="", op=op, value=value, unit=unit)
    text = format_target(target)
    parsed = parse_target(text)
    assert (parsed.op, parsed.value, parsed.unit) == (op, value, unit)
    assert format_target(parsed) == text


@given(st.text(alphabet=st.characters(categories=["Lo"]), min_size=1, max_size=12))
@example("以上")  # a suffix operator with no number before it (found by hypothesis)
@example("良好以下")
def test_cjk_text_is_qualitative_and_kept(text: str) -> None:
    if any(text.startswith(w) for w in ("至少", "至多", "达到", "等于", "大于", "小于", "高于", "低于", "超过", "少于", "多于", "不")):
        return
    target = parse_target(text)
    assert target.raw == text
    assert target.op is Op.QUALITATIVE or target.value is not None
