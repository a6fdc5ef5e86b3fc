"""Parse and format 指标值 (indicator target) strings.

A goals document writes targets as people do: "≥95%", "≤127.5元", "100%", "2次", "不少于30场",
"＞＝90％", "90%以上", or a sentence that is no number at all ("化解社会矛盾", which is 定性). This module
turns them into :class:`perfsheet.model.Target` (operator, Decimal value, unit) and back, keeping the
source text in ``raw``.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from perfsheet.model import Op, Target

__all__ = ["KNOWN_UNITS", "TargetParseError", "format_target", "format_value", "parse_target", "value_with_unit"]

# Units seen in goals documents; parsing also accepts other short unit words, so the table only
# documents and orders what we know (longest first so 人次 wins over 人, 万元 over 元).
KNOWN_UNITS: tuple[str, ...] = ("人次", "万元", "万册", "%", "元", "件", "次", "天", "家", "场", "册", "人", "个")


class TargetParseError(ValueError):
    """A target string has an operator but no readable number (e.g. "≥ 九十%")."""


# Word and symbol forms of each operator, longest first so that "大于等于" is not read as "大于".
_PREFIX_OPS: tuple[tuple[str, Op], ...] = (
    ("大于等于", Op.GE),
    ("大于或等于", Op.GE),
    ("小于等于", Op.LE),
    ("小于或等于", Op.LE),
    ("不低于", Op.GE),
    ("不少于", Op.GE),
    ("不小于", Op.GE),
    ("至少", Op.GE),
    ("不高于", Op.LE),
    ("不超过", Op.LE),
    ("不多于", Op.LE),
    ("不大于", Op.LE),
    ("至多", Op.LE),
    ("达到", Op.EQ),
    ("等于", Op.EQ),
    ("大于", Op.GT),
    ("高于", Op.GT),
    ("超过", Op.GT),
    ("多于", Op.GT),
    ("小于", Op.LT),
    ("低于", Op.LT),
    ("少于", Op.LT),
    (">=", Op.GE),
    ("=>", Op.GE),
    ("<=", Op.LE),
    ("=<", Op.LE),
    ("≥", Op.GE),
    ("≧", Op.GE),
    ("⩾", Op.GE),
    ("≤", Op.LE),
    ("≦", Op.LE),
    ("⩽", Op.LE),
    (">", Op.GT),
    ("<", Op.LT),
    ("=", Op.EQ),
)
# "90%以上" / "0.2%以下": the operator written after the number.
_SUFFIX_OPS: tuple[tuple[str, Op], ...] = (
    ("及以上", Op.GE),
    ("以上", Op.GE),
    ("及以下", Op.LE),
    ("以下", Op.LE),
)

_NUMBER_RE = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(.*)$")
# A unit is a short word, "%" or "‰", or a compound of words as forms write them: 人/次, 万元/人, 元/人·月.
_UNIT_RE = re.compile(r"^(?:%|‰|[\u4e00-\u9fffA-Za-z]{1,4}(?:[/·][\u4e00-\u9fffA-Za-z]{1,4}){0,2})$")
# "90%-100%", "90～100%": a range is monitored by its lower bound (≥90%); the raw text keeps both.
_RANGE_RE = re.compile(
    r"^(?P<low>\d+(?:\.\d+)?)(?P<unit1>%|[\u4e00-\u9fff]{1,3})?[-~～—至到](?P<high>\d+(?:\.\d+)?)(?P<unit>.*)$"
)
# "±3%以内", "5天以内": a tolerance or a ceiling, read as ≤.
_WITHIN_SUFFIXES = ("以内", "之内")


def _fold(text: str) -> str:
    """Full-width → ASCII (NFKC), unify percent words and drop inner spaces around symbols."""
    folded = unicodedata.normalize("NFKC", text).strip()
    folded = folded.replace("百分比", "%").replace("百分之", "")
    return re.sub(r"\s+", "", folded)


def parse_target(raw: str) -> Target:
    """Parse a 指标值. Text with no number is 定性 (qualitative); the source text is kept in ``raw``.

    Raises :class:`TargetParseError` only when an operator is present but no number follows, because
    that is a typo a person must fix, not a qualitative target.
    """
    text = _fold(raw)
    op: Op | None = None
    if text.startswith(("±", "+-", "+/-")):
        text, op = text.lstrip("±+-/"), Op.LE
    for word in _WITHIN_SUFFIXES:
        if text.endswith(word) and _NUMBER_RE.match(text[: -len(word)].replace(",", "")):
            text, op = text[: -len(word)], Op.LE
            break
    ranged = _RANGE_RE.match(text.replace(",", "")) if op is None else None
    if ranged and (not ranged.group("unit1") or ranged.group("unit1") == ranged.group("unit")):
        unit = ranged.group("unit") or ranged.group("unit1") or ""
        if not unit or _UNIT_RE.match(unit):
            return Target(raw=raw, op=Op.GE, value=Decimal(ranged.group("low")), unit=unit)
    for word, word_op in _PREFIX_OPS if op is None else ():
        if text.startswith(word):
            op, text = word_op, text[len(word) :]
            break
    for word, word_op in _SUFFIX_OPS:
        # "90%以上" is ≥ 90 %, but "良好以上" (no number before the word) is a qualitative target.
        rest = text[: -len(word)]
        if op is None and text.endswith(word) and _NUMBER_RE.match(rest.replace(",", "")):
            op, text = word_op, rest
            break
    match = _NUMBER_RE.match(text.replace(",", ""))
    if match is None:
        if op is not None:
            raise TargetParseError(f"指标值“{raw}”有比较符号但没有可识别的数字")
        return Target(raw=raw, op=Op.QUALITATIVE)
    number, unit = match.group(1), match.group(2)
    if unit and not _UNIT_RE.match(unit):
        if op is not None:
            raise TargetParseError(f"指标值“{raw}”的单位“{unit}”无法识别")
        # A sentence that merely starts with a number ("3个工作日内完成…") is a qualitative target.
        return Target(raw=raw, op=Op.QUALITATIVE)
    try:
        value = Decimal(number)
    except InvalidOperation as exc:  # pragma: no cover - the regex only lets decimals through
        raise TargetParseError(f"指标值“{raw}”的数字无法识别") from exc
    return Target(raw=raw, op=op or Op.EQ, value=value, unit=unit)


def format_value(value: Decimal) -> str:
    """A Decimal as a person writes it: no exponent, no trailing zeros beyond those given."""
    text = format(value, "f")
    return text


def value_with_unit(value: object, unit: str) -> str:
    """An indicator value as a person reads it: ``95%``, ``15场``, ``0.16%`` or the 定性 word; ``""`` when
    nothing was reported (None, NaN or any other missing marker a frame holds)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
        return ""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        value = Decimal(repr(value))  # the shortest decimal that reads back as this float
    number = Decimal(value)
    shown = number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()
    return f"{format_value(shown)}{unit}"


def format_target(target: Target) -> str:
    """Canonical text of a target; ``parse_target(format_target(t))`` gives back op, value and unit.

    "=" is written without a symbol ("100%"), as goals documents do.
    """
    if target.op is Op.QUALITATIVE or target.value is None:
        return target.raw
    symbol = "" if target.op is Op.EQ else str(target.op)
    return f"{symbol}{format_value(target.value)}{target.unit}"
