"""Cell value normaliser: turn what a person typed into the typed value of a field, or an issue.

Ingest calls :func:`normalise` once per input cell with the cell's raw value as python-calamine gives
it (float, int, str, bool, date/datetime, or ``""``/``None`` for empty). The field's
:class:`~perfsheet.fields.FieldSpec` decides what is expected. Every change of what the person typed
is reported as a ``value-normalised`` warning with before → after; anything that would need a guess is
an error. Nothing here is silently mapped.

Rules (the contract the tests pin down):

* Text numbers: full-width digits and punctuation are folded (NFKC), surrounding and inner spaces
  dropped, thousands separators ``,`` and ``，`` accepted only in valid groups of three
  (``1,234.5``; ``1,2`` is not a number). A trailing unit is accepted when it fits the cell:
  ``元 万元 万 亿 亿元`` convert into the cell's money unit (``1.2万元`` in a 万元 cell is 1.2,
  ``12000元`` is 1.2; ``万``/``亿`` alone are multipliers), the cell's own unit (``12件``) is dropped,
  and ``% ％ 百分比`` only in a percent cell. Any other unit is ``not-a-number``.
* Percent cells (target unit %) report a percent (95 means 95 %). A *number* cell value v is read
  as the percent-formatted cell displays it: 0 ≤ v ≤ 1 is a stored fraction (0.95 → 95, no warning);
  1 < v ≤ 100 is a bare percent typed where a fraction was expected (WPS, or validation stripped) and
  becomes v with a warning; v > 100 or v < 0 is ``out-of-range``. A *text* value with ``%``/``百分比``
  is that percent (warning). A *text* bare number t is read as a percent when t = 0 or 1 < t ≤ 100
  (warning). **Ambiguous** (``percent-ambiguous`` error): a text bare number 0 < t ≤ 1, because
  nothing tells whether "0.5" means 0.5 % or 50 % (a text cell has no percent format to go by).
* Count cells (件 次 …) must hold a whole number; 12.0 is 12, 12.5 is ``out-of-range``.
* Dates: date cells as they are; a number is an Excel serial (1900 system) converted with a warning
  when it falls in 2000–2099; text ``2025/6/30``, ``2025-06-30``, ``2025.6.30``, ``2025年6月30日``,
  ``20250630`` (optionally followed by a 00:00 time) is converted with a warning. Anything else, or an
  impossible day, is ``date-invalid``; a date outside the period's window is ``out-of-range``.
* Lists (完成目标可能性, 偏差原因, 定性 达成/部分达成/未达成): exact choice after trimming spaces.
  A near miss ("能", "完成") is ``not-in-list`` with a suggestion; it is never mapped.
* Text: surrounding spaces trimmed (warning); longer than the spec's limit is ``text-too-long``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

from perfsheet.form.fields import PHONE_MAX, PHONE_MIN, FieldSpec, Kind, date_window
from perfsheet.form.issues import display_value, make_issue
from perfsheet.model import CHOICE_SPELLINGS, Issue, Period

__all__ = ["Normalised", "clean_decimal", "normalise", "suggest_choice"]

TypedValue = Decimal | str | dt.date | None

_HUNDRED = Decimal(100)
_WAN = Decimal(10000)
_HUGE = Decimal(10) ** 15  # beyond any amount on a form; also keeps Decimal context limits away
_YUAN_PER = {"元": Decimal(1), "万元": _WAN, "亿元": Decimal(10) ** 8}
_MULTIPLIER = {"万": _WAN, "亿": Decimal(10) ** 8}
_PERCENT_SUFFIXES = frozenset({"%", "百分比"})
# One number with an optional unit after it; commas are checked separately (groups of three).
_NUMBER_RE = re.compile(r"^([+-]?(?:[\d,]+(?:\.\d+)?|\.\d+))([^\d.,+-]*)$")
_GROUPED_RE = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_DATE_RES = (
    re.compile(
        r"^(\d{4})\s*([-/.年])\s*(\d{1,2})\s*([-/.月])\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"
    ),
    re.compile(r"^(\d{4})()(\d{2})()(\d{2})$"),
)
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 with Excel's 1900 leap-year bug folded in
_SERIAL_MIN, _SERIAL_MAX = 36526, 73050  # 2000-01-01 .. 2099-12-31

# Words people type for a choice; used only to suggest, never to map.
_SYNONYMS: dict[str, str] = {
    "能": "确定能",
    "确定": "确定能",
    "肯定能": "确定能",
    "可以": "确定能",
    "能完成": "确定能",
    "可能": "有可能",
    "不能": "完全不可能",
    "不可能": "完全不可能",
    "无": "无偏差",
    "没有": "无偏差",
    "没有偏差": "无偏差",
    "无偏差原因": "无偏差",
    "经费": "经费保障",
    "制度": "制度保障",
    "人员": "人员保障",
    "硬件": "硬件条件保障",
    "完成": "达成",
    "已完成": "达成",
    "达到": "达成",
    "已达成": "达成",
    "部分完成": "部分达成",
    "未完成": "未达成",
    "没有完成": "未达成",
    "未达到": "未达成",
}


@dataclass(frozen=True, slots=True)
class Normalised:
    """The typed value of one cell (None when empty or wrong) and the issues found on the way."""

    value: TypedValue
    issues: tuple[Issue, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(i.severity == "error" for i in self.issues)


def clean_decimal(value: Decimal) -> Decimal:
    """A Decimal without exponent noise: 95.00 → 95, 1.50 → 1.5 (never 1E+2)."""
    if value == value.to_integral_value() and abs(value) < _HUGE:
        return value.quantize(Decimal(1))
    return value.normalize()


def suggest_choice(text: str, choices: tuple[str, ...]) -> str | None:
    """The choice a person probably meant by ``text``, or None: a known synonym, then a close match."""
    synonym = _SYNONYMS.get(text)
    if synonym in choices:
        return synonym
    contained = [c for c in choices if text and (text in c or c in text)]
    if len(contained) == 1:
        return contained[0]
    close = difflib.get_close_matches(text, choices, n=1, cutoff=0.5)
    return close[0] if close else None


def _fold(text: str) -> str:
    """Full-width digits, letters and punctuation to ASCII (NFKC); ideographic space to space."""
    return unicodedata.normalize("NFKC", text)


class _Norm:
    """Normalisation of one cell: collects issues while turning the raw value into a typed one."""

    def __init__(self, spec: FieldSpec, cell: str, raw: object, period: Period | None) -> None:
        self.spec, self.cell, self.raw, self.period = spec, cell, raw, period
        self.issues: list[Issue] = []

    def error(self, code: str, **kw: object) -> Normalised:
        # A cell in error gets only its error: a "read as …" warning would be moot.
        self.issues = [i for i in self.issues if i.code != "value-normalised"]
        self.issues.append(make_issue(code, self.spec, self.cell, self.raw, period=self.period, **kw))
        return Normalised(None, tuple(self.issues))

    def changed(self, after: object, detail: str) -> None:
        self.issues.append(
            make_issue("value-normalised", self.spec, self.cell, self.raw, after=after, detail=detail, period=self.period)
        )

    def done(self, value: TypedValue) -> Normalised:
        return Normalised(value, tuple(self.issues))

    # -- numbers -------------------------------------------------------------------------------

    def number(self) -> Normalised:
        raw, spec = self.raw, self.spec
        if isinstance(raw, (bool, dt.date, dt.time, dt.timedelta)):
            return self.error("not-a-number")
        if isinstance(raw, (int, float)):
            try:
                number = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
            except InvalidOperation:
                return self.error("not-a-number")
            if not number.is_finite():
                return self.error("not-a-number")
            if abs(number) >= _HUGE:
                return self.error("out-of-range", detail="数值过大")
            if spec.kind is Kind.PERCENT:
                return self.percent_from_number(number)
            return self.check_range(number)
        return self.number_from_text(str(raw))

    def percent_from_number(self, number: Decimal) -> Normalised:
        if Decimal(0) <= number <= 1:
            return self.check_range(clean_decimal(number * _HUNDRED))
        if 1 < number <= _HUNDRED:
            value = clean_decimal(number)
            self.changed(f"{display_value(value)}%", "百分比单元格中填写了不带%的数，已按百分数读取")
            return self.check_range(value)
        return self.check_range(clean_decimal(number * _HUNDRED))

    def number_from_text(self, text: str) -> Normalised:
        spec = self.spec
        folded = re.sub(r"\s+", "", _fold(text))
        if folded == "":
            return self.done(None)
        match = _NUMBER_RE.match(folded)
        if not match:
            return self.error("not-a-number")
        digits, unit = match.group(1), match.group(2)
        if "," in digits:
            if not _GROUPED_RE.match(digits):
                return self.error("not-a-number")
            digits = digits.replace(",", "")
        try:
            number = Decimal(digits)
        except InvalidOperation:
            return self.error("not-a-number")
        if abs(number) >= _HUGE:
            return self.error("out-of-range", detail="数值过大")
        notes: list[str] = []
        if folded != text:
            notes.append("去除空格、全角字符或千位分隔符")
        if spec.kind is Kind.PERCENT:
            if unit in _PERCENT_SUFFIXES:
                # "95%" typed as text means what 95 typed in the % cell means: no notice for it alone.
                value = clean_decimal(number)
                if not notes:
                    return self.check_range(value)
            elif unit == "":
                if number == 0 or 1 < number <= _HUNDRED:
                    value = clean_decimal(number)
                    notes.append("文字形式的数字，按百分数读取")
                elif 0 < number <= 1:
                    return self.error(
                        "percent-ambiguous",
                        as_fraction=clean_decimal(number * _HUNDRED),
                        as_percent=clean_decimal(number),
                    )
                else:
                    value = clean_decimal(number)
            else:
                return self.error("not-a-number")
        else:
            converted = self.convert_unit(number, unit)
            if converted is None:
                return self.error("not-a-number")
            value = clean_decimal(converted)
            notes.append(f"去掉单位“{unit}”" if unit else "文字形式的数字")
            if unit and unit != spec.unit and value != number:
                notes[-1] = f"“{unit}”换算为{spec.unit or '数值'}"
        self.changed(display_value(value), "；".join(notes))
        return self.check_range(value)

    def convert_unit(self, number: Decimal, unit: str) -> Decimal | None:
        """``number`` given with ``unit`` in the cell's unit, or None when the unit does not fit."""
        cell_unit = self.spec.unit
        if unit in ("", cell_unit):
            return number
        if cell_unit in _YUAN_PER:  # money: everything through 元
            if unit in _YUAN_PER:
                return number * _YUAN_PER[unit] / _YUAN_PER[cell_unit]
            if unit in _MULTIPLIER:
                return number * _MULTIPLIER[unit] / _YUAN_PER[cell_unit]
            return None
        if unit in _MULTIPLIER:
            return number * _MULTIPLIER[unit]
        for multiplier_word, multiplier in _MULTIPLIER.items():  # "1.2万件" in a 件 cell
            if cell_unit and unit == multiplier_word + cell_unit:
                return number * multiplier
        return None

    def check_range(self, value: Decimal) -> Normalised:
        spec = self.spec
        if abs(value) >= _HUGE:
            return self.error("out-of-range", detail="数值过大")
        if value < 0:
            return self.error("out-of-range", detail="不能为负数")
        if spec.kind is Kind.PERCENT and value > _HUNDRED:
            return self.error("out-of-range", detail="应在0到100之间")
        if spec.kind is Kind.COUNT and value != value.to_integral_value():
            return self.error("out-of-range", detail="应为整数")
        return self.done(clean_decimal(value))

    # -- dates -----------------------------------------------------------------------------------

    def date(self) -> Normalised:
        raw = self.raw
        value: dt.date
        if isinstance(raw, dt.datetime):
            value = raw.date()
        elif isinstance(raw, dt.date):
            value = raw
        elif isinstance(raw, (bool, dt.time, dt.timedelta)):
            return self.error("date-invalid")
        elif isinstance(raw, (int, float)):
            if not (_SERIAL_MIN <= raw <= _SERIAL_MAX) or raw != int(raw):
                return self.error("date-invalid")
            value = _EXCEL_EPOCH + dt.timedelta(days=int(raw))
            self.changed(value.isoformat(), "Excel日期序号")
        else:
            text = re.sub(r"^\s+|\s+$", "", _fold(str(raw)))
            if text == "":
                return self.done(None)
            parsed = _parse_date_text(text)
            if parsed is None:
                return self.error("date-invalid")
            value = parsed
            self.changed(value.isoformat(), "文字形式的日期")
        if self.period is not None:
            first, last = date_window(self.period)
            if not first <= value <= last:
                return self.error("out-of-range", detail=f"应在{first.isoformat()}至{last.isoformat()}之间")
        return self.done(value)

    # -- text and lists --------------------------------------------------------------------------

    def text(self) -> Normalised:
        raw, spec = self.raw, self.spec
        if isinstance(raw, bool):
            return self.error("not-in-list") if spec.choices else self.done(display_value(raw))
        shown = display_value(raw)
        if spec.kind is Kind.PHONE:
            folded = _fold(shown)
            stripped = folded.strip()
            if stripped != shown:
                self.changed(stripped, "去除空格或全角字符")
        else:
            stripped = shown.strip()
            if stripped and stripped != shown:
                self.changed(stripped, "去除首尾空格")
        if stripped == "":
            return self.done(None)
        if spec.choices:
            if stripped in spec.choices:
                return self.done(stripped)
            if CHOICE_SPELLINGS.get(stripped) in spec.choices:
                return self.done(CHOICE_SPELLINGS[stripped])  # the same choice as another form prints it
            suggestion = suggest_choice(stripped, spec.choices)
            return self.error("not-in-list", suggestion=f"，是否应为“{suggestion}”" if suggestion else "")
        if spec.max_length is not None and len(stripped) > spec.max_length:
            return self.error("text-too-long", length=len(stripped), max_length=spec.max_length)
        if spec.kind is Kind.PHONE:
            digit_count = sum(ch.isdigit() for ch in stripped)
            if digit_count < PHONE_MIN or len(stripped) > PHONE_MAX:
                return self.error("out-of-range", detail=f"应为{PHONE_MIN}到{PHONE_MAX}位")
        return self.done(stripped)


def _parse_date_text(text: str) -> dt.date | None:
    for pattern in _DATE_RES:
        match = pattern.match(text)
        if not match:
            continue
        year, sep1, month, sep2, day = match.groups()
        # 2025年6月30日 needs 年 then 月; 2025-6/30 mixes separators and is refused.
        if sep1 == "年" and sep2 != "月":
            return None
        if sep1 != "年" and sep1 != sep2:
            return None
        try:
            return dt.date(int(year), int(month), int(day))
        except ValueError:
            return None
    return None


_SIMPLE_NUMBER_KINDS = frozenset({Kind.MONEY, Kind.DECIMAL, Kind.COUNT})


# Fast-path results by (kind, number) and (choices, text): a return's numbers and choices recur across
# the returns of a round, and a Normalised is immutable. Zero is left out (0.0 and -0.0 are one key but
# two Decimals).
_FAST: dict[tuple[object, object], Normalised] = {}
_FAST_MAX = 65536


def _fast_path(spec: FieldSpec, raw: object, period: Period | None) -> Normalised | None:
    """:func:`_compute_fast_path`, remembered for numbers and choices."""
    if type(raw) is float and raw:
        key: tuple[object, object] = (spec.kind, raw)
    elif type(raw) is str and spec.choices:
        key = (spec.choices, raw)
    else:
        return _compute_fast_path(spec, raw, period)
    found = _FAST.get(key)
    if found is None:
        computed = _compute_fast_path(spec, raw, period)
        if computed is None:
            return None
        if len(_FAST) >= _FAST_MAX:
            _FAST.clear()
        found = _FAST[key] = computed
    return found


def _compute_fast_path(spec: FieldSpec, raw: object, period: Period | None) -> Normalised | None:
    """The common, clean cases without building issues; None means "take the full path".

    Each branch returns exactly what the full path would for the same input (the tests run both).
    """
    kind = spec.kind
    if type(raw) is float:
        if kind in _SIMPLE_NUMBER_KINDS and 0 <= raw < 1e15:
            value = Decimal(repr(raw))
            if kind is Kind.COUNT and value != value.to_integral_value():
                return None
            return Normalised(clean_decimal(value))
        if kind is Kind.PERCENT and 0 <= raw <= 1:
            return Normalised(clean_decimal(Decimal(repr(raw)) * _HUNDRED))
        return None
    if type(raw) is str:
        if spec.choices:
            return Normalised(raw) if raw in spec.choices else None
        if (
            kind is Kind.TEXT
            and raw.strip() == raw
            and (spec.max_length is None or len(raw) <= spec.max_length)
        ):
            return Normalised(raw)
        return None
    if type(raw) is dt.date and kind is Kind.DATE and period is not None:
        first, last = date_window(period)
        return Normalised(raw) if first <= raw <= last else None
    return None


_EMPTY: Final = Normalised(None)


def normalise(spec: FieldSpec, raw: object, cell: str = "", *, period: Period | None = None) -> Normalised:
    """Normalise the raw value of the input cell ``cell`` (``监控表!F14``) for ``spec``.

    An empty cell gives ``Normalised(None)`` without issues: whether it is required is the caller's
    rule (``required-missing`` depends on other cells for explanations).
    """
    if raw is None or (isinstance(raw, str) and raw == ""):
        return _EMPTY
    fast = _fast_path(spec, raw, period)
    return fast if fast is not None else _normalise_full(spec, raw, cell, period)


def _normalise_full(spec: FieldSpec, raw: object, cell: str, period: Period | None) -> Normalised:
    if raw is None or (isinstance(raw, str) and raw == ""):
        return Normalised(None)
    norm = _Norm(spec, cell, raw, period)
    if spec.is_numeric:
        if isinstance(raw, str) and raw.strip() == "":
            return Normalised(None)
        return norm.number()
    if spec.kind is Kind.DATE:
        return norm.date()
    return norm.text()
