"""The cell normaliser: table-driven cases for each rule, and hypothesis properties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfsheet.form.fields import FieldSpec, Kind
from perfsheet.ingest.normalise import normalise, suggest_choice
from perfsheet.model import LIKELIHOOD_CHOICES, QUALITATIVE_CHOICES, Period

MONEY = FieldSpec("spend.to_date", "1-X月执行数", Kind.MONEY, "万元")
PERCENT = FieldSpec("ind.1.actual", "截至本月完成值", Kind.PERCENT, "%")
COUNT = FieldSpec("ind.2.actual", "截至本月完成值", Kind.COUNT, "件")
YUAN = FieldSpec("ind.3.actual", "截至本月完成值", Kind.DECIMAL, "元")
DAYS = FieldSpec("ind.4.actual", "截至本月完成值", Kind.DECIMAL, "天")
LIKELIHOOD = FieldSpec("ind.1.likelihood", "完成目标可能性", Kind.CHOICE, choices=LIKELIHOOD_CHOICES)
QUALITATIVE = FieldSpec("ind.5.actual", "截至本月完成值", Kind.QUALITATIVE, choices=QUALITATIVE_CHOICES)
DATE = FieldSpec("contact.date", "填报日期", Kind.DATE)
PHONE = FieldSpec("contact.phone", "联系电话", Kind.PHONE, min_length=7, max_length=20)
NAME = FieldSpec("contact.name", "填报人", Kind.TEXT, max_length=20)
JUNE = Period(2025, 6)


def codes(spec: FieldSpec, raw: object) -> tuple[object, list[str]]:
    result = normalise(spec, raw, "F14", period=JUNE)
    return result.value, [issue.code for issue in result.issues]


@pytest.mark.parametrize(
    ("spec", "raw", "value", "issue_codes"),
    [
        (MONEY, 1.5, Decimal("1.5"), []),
        (MONEY, 3, Decimal(3), []),
        (MONEY, "1.5", Decimal("1.5"), ["value-normalised"]),
        (MONEY, "１．５", Decimal("1.5"), ["value-normalised"]),
        (MONEY, " 1.5 ", Decimal("1.5"), ["value-normalised"]),
        (MONEY, "1,234.5", Decimal("1234.5"), ["value-normalised"]),
        (MONEY, "1，234", Decimal("1234"), ["value-normalised"]),
        (MONEY, "1,2", None, ["not-a-number"]),  # not a group of three: no guess
        (MONEY, "1.2万元", Decimal("1.2"), ["value-normalised"]),
        (MONEY, "1.2万", Decimal("1.2"), ["value-normalised"]),
        (MONEY, "12000元", Decimal("1.2"), ["value-normalised"]),
        (MONEY, "0.1亿", Decimal("1000"), ["value-normalised"]),
        (MONEY, "95%", None, ["not-a-number"]),
        (MONEY, "约1.5", None, ["not-a-number"]),
        (MONEY, -1, None, ["out-of-range"]),
        (MONEY, True, None, ["not-a-number"]),
        (MONEY, dt.date(2025, 1, 1), None, ["not-a-number"]),
        (MONEY, "", None, []),
        (MONEY, None, None, []),
        (PERCENT, 0.95, Decimal(95), []),  # the normal case: a fraction from a percent cell
        (PERCENT, 1, Decimal(100), []),
        (PERCENT, 0, Decimal(0), []),
        (PERCENT, 95, Decimal(95), ["value-normalised"]),  # WPS: bare 95 stored
        (PERCENT, 150, None, ["out-of-range"]),
        (PERCENT, "95%", Decimal(95), []),  # typed as text, meant as the number would be
        (PERCENT, "９５％", Decimal(95), ["value-normalised"]),
        (PERCENT, "95百分比", Decimal(95), []),  # as clear as 95 in the % cell: no notice
        (PERCENT, "95", Decimal(95), ["value-normalised"]),
        (PERCENT, "0", Decimal(0), ["value-normalised"]),
        (PERCENT, "0.95", None, ["percent-ambiguous"]),  # 0.95 % or 95 %? an error, not a guess
        (PERCENT, "1", None, ["percent-ambiguous"]),
        (PERCENT, "120%", None, ["out-of-range"]),
        (PERCENT, "95万", None, ["not-a-number"]),
        (COUNT, 12.0, Decimal(12), []),
        (COUNT, 12.5, None, ["out-of-range"]),
        (COUNT, "12件", Decimal(12), ["value-normalised"]),
        (COUNT, "12次", None, ["not-a-number"]),
        (COUNT, "1.2万件", Decimal(12000), ["value-normalised"]),
        (YUAN, "1.2万元", Decimal(12000), ["value-normalised"]),
        (YUAN, "127.5元", Decimal("127.5"), ["value-normalised"]),
        (DAYS, "10天", Decimal(10), ["value-normalised"]),
        (DAYS, "10元", None, ["not-a-number"]),
        (LIKELIHOOD, "确定能", "确定能", []),
        (LIKELIHOOD, " 确定能 ", "确定能", ["value-normalised"]),
        (LIKELIHOOD, "能", None, ["not-in-list"]),
        (LIKELIHOOD, 1, None, ["not-in-list"]),
        (QUALITATIVE, "完成", None, ["not-in-list"]),
        (QUALITATIVE, "部分达成", "部分达成", []),
        (DATE, dt.date(2025, 7, 5), dt.date(2025, 7, 5), []),
        (DATE, dt.datetime(2025, 7, 5, 0, 0), dt.date(2025, 7, 5), []),
        (DATE, 45843, dt.date(2025, 7, 5), ["value-normalised"]),
        (DATE, "2025/7/5", dt.date(2025, 7, 5), ["value-normalised"]),
        (DATE, "2025-07-05", dt.date(2025, 7, 5), ["value-normalised"]),
        (DATE, "2025.7.5", dt.date(2025, 7, 5), ["value-normalised"]),
        (DATE, "2025年7月5日", dt.date(2025, 7, 5), ["value-normalised"]),
        (DATE, "２０２５年７月５日", dt.date(2025, 7, 5), ["value-normalised"]),
        (DATE, "20250705", dt.date(2025, 7, 5), ["value-normalised"]),
        (DATE, "2025/2/30", None, ["date-invalid"]),
        (DATE, "2025-7/5", None, ["date-invalid"]),
        (DATE, "下周一", None, ["date-invalid"]),
        (DATE, 12, None, ["date-invalid"]),
        (DATE, dt.date(2025, 5, 31), None, ["out-of-range"]),
        (DATE, dt.date(2025, 8, 30), None, ["out-of-range"]),  # 60 days after 6-30 is 8-29
        (DATE, dt.date(2025, 8, 29), dt.date(2025, 8, 29), []),
        (PHONE, 13800138000.0, "13800138000", []),
        (PHONE, "１３８００１３８０００", "13800138000", ["value-normalised"]),
        (PHONE, "12345", None, ["out-of-range"]),
        (PHONE, "1" * 21, None, ["text-too-long"]),
        (NAME, "陈刚", "陈刚", []),
        (NAME, " 陈刚", "陈刚", ["value-normalised"]),
        (NAME, "长" * 21, None, ["text-too-long"]),
        (NAME, "   ", None, []),
    ],
)
def test_rules(spec: FieldSpec, raw: object, value: object, issue_codes: list[str]) -> None:
    assert codes(spec, raw) == (value, issue_codes)


def test_warning_says_before_and_after() -> None:
    result = normalise(MONEY, "1.2万元", "D8")
    (issue,) = result.issues
    assert issue.cell == "D8" and issue.value == "1.2万元" and issue.severity == "warning"
    assert "“1.2万元”已按“1.2”读取" in issue.message


def test_not_in_list_suggests_but_never_maps() -> None:
    result = normalise(LIKELIHOOD, "能", "G12")
    assert result.value is None
    assert "是否应为“确定能”" in result.issues[0].message
    assert suggest_choice("可能", LIKELIHOOD_CHOICES) == "有可能"
    assert suggest_choice("部分完成", QUALITATIVE_CHOICES) == "部分达成"
    assert suggest_choice("xyz", QUALITATIVE_CHOICES) is None


FULLWIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")
amounts = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)


@given(amounts)
def test_money_text_forms_agree(amount: Decimal) -> None:
    """A 万元 amount typed as a number, as text, full-width, with 万元, or in 元 reads the same."""
    expected = normalise(MONEY, float(amount)).value
    assert expected == amount.normalize() or expected == amount
    plain = format(amount, "f")
    grouped = f"{amount:,.2f}"
    for text in (plain, plain.translate(FULLWIDTH), f" {plain} ", plain + "万元", grouped):
        value, found = codes(MONEY, text)
        assert value == amount and found == ["value-normalised"], text
    value, found = codes(MONEY, format(amount * 10000, "f") + "元")
    assert value == amount and found == ["value-normalised"]


@given(st.integers(min_value=0, max_value=10000).map(lambda n: Decimal(n) / 100))
def test_percent_fraction_and_text_agree(percent: Decimal) -> None:
    """A percent stored as a fraction, or typed as "p%", gives p alike, without a notice; a bare
    1 < p ≤ 100 gives p with a warning (it was read as a percent)."""
    assert codes(PERCENT, float(percent / 100)) == (percent, [])
    assert codes(PERCENT, f"{percent}%") == (percent, [])
    if percent > 1:
        assert codes(PERCENT, float(percent)) == (percent, ["value-normalised"])


@given(st.one_of(st.text(max_size=30), st.floats(allow_nan=True), st.integers(), st.booleans(), st.dates()))
def test_never_raises_and_errors_have_no_value(raw: object) -> None:
    for spec in (MONEY, PERCENT, COUNT, YUAN, LIKELIHOOD, QUALITATIVE, DATE, PHONE, NAME):
        result = normalise(spec, raw, "F14", period=JUNE)
        errors = [i for i in result.issues if i.severity == "error"]
        assert len(errors) <= 1
        if errors:
            assert result.value is None and len(result.issues) == 1
        for issue in result.issues:
            assert issue.message.startswith("监控表!F14：")


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_date_text_forms_agree(day: dt.date) -> None:
    for text in (
        f"{day.year}/{day.month}/{day.day}",
        day.isoformat(),
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.year}.{day.month}.{day.day}",
    ):
        assert normalise(DATE, text).value == day
    serial = (day - dt.date(1899, 12, 30)).days
    assert normalise(DATE, serial).value == day


@given(
    st.one_of(
        st.floats(min_value=-10, max_value=1e16),
        st.sampled_from(["确定能", "有可能", "能", " 陈刚", "陈刚", "长" * 25, "达成"]),
        st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2025, 12, 31)),
    )
)
def test_fast_path_agrees_with_full_path(raw: object) -> None:
    from perfsheet.ingest.normalise import _normalise_full

    for spec in (MONEY, PERCENT, COUNT, YUAN, LIKELIHOOD, QUALITATIVE, DATE, NAME):
        assert normalise(spec, raw, "F14", period=JUNE) == _normalise_full(spec, raw, "F14", JUNE)
