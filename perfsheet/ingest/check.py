"""Ingest: a returned workbook → a typed :class:`~perfsheet.model.Submission` and its issues.

Second half of the ingest stage. :mod:`perfsheet.ingest.reader` opens the file safely (or rejects
it); :mod:`perfsheet.ingest.fieldmap` finds the input cells through the file's own field map (defined
names ``ps_*`` first, so an inserted row does not shift fields, then the ``_perfsheet`` ``field:``
rows) checked against the REGISTRY (not against the file's own copy, which a tamperer may edit too);
this module reads and normalises every value (:mod:`perfsheet.ingest.normalise`) and applies the
cross-field rules of DESIGN.md §3.

Decisions where the issue is silent:

* ``not-a-template`` (no ``监控表``/``_perfsheet`` sheet, no project code or period) and
  ``unknown-project`` make the file *rejected* like the reader's codes: without the project's field
  specs nothing can be checked. Rejected ⇒ ``(None, [exactly one issue])``.
* ``template-outdated``: the file's ``schema`` differs from :data:`perfsheet.template.SCHEMA`, or its
  ``digest`` differs from the digest the current registry gives for the same project and period (the
  goals were revised after the template was made), or its field map lacks a field the registry has.
  A different ``generator`` (perfsheet version) alone is no issue: the digest covers the content.
  When the digest is outdated, per-cell ``locked-cell-changed`` issues are not reported (same fix).
* ``locked-cell-changed``: every locked cell of the layout the registry gives
  (:func:`perfsheet.template_layout.compute_layout`) is compared with the file's 监控表, at the row
  shift of the nearest input row below, above, or unshifted (rows inserted by the chief).
* ``template-layout-changed``: an input row whose locked labels (e.g. 三级指标, 指标值) are not where
  the field map says but all found a few rows away — the map is stale (an .xls or .ods that lost its
  defined names after a row was inserted). Nothing is read from such a file: it would be wrong cells.
* ``budget-explanation-required``: the budget light is one the monitoring rules name (default red and
  yellow), or nothing was spent after month M; the explanation has one home, ``budget.explanation``.
  ``explanation-required`` is about an indicator only (its likelihood or deviation asks for it).
* ``template-tampered``: a field map, a defined name or the package itself says something the template
  never said (see :func:`locate`); nothing is read from such a file.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from perfsheet.form.fields import (
    CROSS_RULES,
    FISCAL_RULES,
    OTHER_SUFFIX,
    FieldSpec,
    Kind,
    prefilled_values,
    project_fields,
)
from perfsheet.form.issues import YUAN_HINT, display_value, make_issue, rejection_issue
from perfsheet.form.meta import (
    META_NAME_KEYS,
    SCHEMA_VERSION,
    SHEET_MAIN,
    SHEET_META,
)
from perfsheet.form.values import submission_from_values, submission_values
from perfsheet.fsutil import file_sha256
from perfsheet.ingest.fieldmap import (
    Expectation,
    Located,
    SheetMeta,
    SheetView,
    expectation,
    field_title,
    layout_change,
    locate,
    locked_changes,
    meta_from_names,
    meta_text,
    registry_digest,
)
from perfsheet.ingest.normalise import normalise
from perfsheet.ingest.reader import (
    DEFAULT_MAX_BYTES,
    CellValue,
    Rejected,
    WorkbookCells,
    open_workbook,
)
from perfsheet.ingest.xmlparts import has_non_xml_char
from perfsheet.labels import LIGHT_LABELS
from perfsheet.model import (
    Department,
    Issue,
    Period,
    Project,
    Submission,
    SubmissionStatus,
)
from perfsheet.rules import (
    EXCESS_PERCENT,
    MonitoringRules,
    Thresholds,
    budget_explanation_asked,
    far_above_target,
    indicator_explanation_reasons,
    indicator_off_target,
    year_end_shortfall,
)

__all__ = [
    "IngestResult",
    "check_workbook",
    "read_return",
    "read_submission",
    "submission_to_json",
    "template_is_current",
]

@functools.lru_cache(maxsize=4)
def default_department() -> Department:
    # Imported here so that reading a return with a given registry never loads YAML.
    from perfsheet.goals.registry import load_default

    return load_default()


# ------------------------------------------------------------------------------------------ checks


@dataclass(frozen=True, slots=True)
class IngestResult:
    """Everything ingest learnt from one file; :func:`read_submission` returns its first two parts."""

    submission: Submission | None  # None when rejected
    issues: list[Issue]
    sha256: str  # of the file's bytes ("" when it could not be read at all)
    raw_values: dict[str, CellValue] = field(default_factory=dict)  # field → cell value as found

    @property
    def status(self) -> SubmissionStatus:
        return self.submission.status if self.submission is not None else SubmissionStatus.REJECTED


def check_workbook(
    book: WorkbookCells,
    *,
    department: Department,
    period: Period | None = None,
    thresholds: Thresholds | None = None,
    rules: MonitoringRules | None = None,
    file: str = "",
) -> IngestResult:
    """Check an opened workbook against ``department``'s registry; see :func:`read_submission`."""
    identified = _identify(book, department)
    if isinstance(identified, IngestResult):
        return identified
    project, file_period, meta, sheet_meta = identified
    if meta_text(meta.get("schema")) != str(SCHEMA_VERSION):
        # Another form layout: its cells cannot be matched against this one's, so nothing is read.
        issues, _outdated = _template_issues(meta, project, period, file_period, Located())
        return _finish(project, file_period, {}, {}, issues, book, file)
    rules = rules or MonitoringRules()
    expect = expectation(project, file_period, rules)
    located = locate(book, sheet_meta, expect)
    issues, outdated_digest = _template_issues(meta, project, period, file_period, located, expect.specs)
    tampered = [*book.structure_problems, *_identity_disagreements(meta, sheet_meta), *located.tampered]
    if tampered:
        # Which cell holds which field is not known for sure: nothing is read from such a file.
        issues.append(make_issue("template-tampered", None, detail="；".join(dict.fromkeys(tampered))[:300]))
        return _finish(project, file_period, {}, {}, issues, book, file)

    broken = [book.unreadable_sheets[s] for s in (SHEET_MAIN, SHEET_META) if s in book.unreadable_sheets]
    if broken:
        issue = rejection_issue(broken[0].code, broken[0].message)
        return IngestResult(None, [issue], book.sha256)
    main = SheetView(book, SHEET_MAIN)
    layout_issue = layout_change(main, expect, located)
    if layout_issue is not None:
        # The field map is stale: reading it would read the wrong cells, so nothing is read.
        issues.append(layout_issue)
        return _finish(project, file_period, {}, {}, issues, book, file)
    if not outdated_digest:
        issues.extend(locked_changes(main, expect, located))

    fields = _read_fields(book, main, expect, located, file_period)
    if _untouched(expect.project, fields):
        # A blank template sent back: one issue says so, not one per empty cell.
        issues.append(make_issue("return-empty", None))
        return _finish(project, file_period, fields.values, fields.raw_values, issues, book, file)
    issues.extend(fields.issues)
    flagged = frozenset(i.field for i in fields.issues if i.field)
    issues.extend(
        _cross_checks(expect, fields.values, fields.cells, file_period, thresholds or Thresholds(), rules, flagged)
    )
    return _finish(project, file_period, fields.values, fields.raw_values, issues, book, file)


def _identify(
    book: WorkbookCells, department: Department
) -> tuple[Project, Period, dict[str, Any], SheetMeta] | IngestResult:
    """The file's project, period, identity keys (from the constant names, else the sheet) and the
    ``_perfsheet`` sheet's keys, or the rejection when it is no return."""

    def reject(code: str, **kw: object) -> IngestResult:
        return IngestResult(None, [make_issue(code, None, "", kw.pop("value", None), **kw)], book.sha256)

    if SHEET_META not in book.sheet_names or SHEET_MAIN not in book.sheet_names:
        missing = "、".join(s for s in (SHEET_MAIN, SHEET_META) if s not in book.sheet_names)
        return reject("not-a-template", detail=f"缺少工作表{missing}")
    sheet_meta = SheetMeta(book)
    meta = meta_from_names(book) or sheet_meta.keys()
    code = meta_text(meta.get("project_code"))
    period_text = meta_text(meta.get("period"))
    if not code or not period_text:
        return reject("not-a-template", detail="缺少项目编码或期间")
    try:
        file_period = Period.parse(period_text)
    except ValueError:
        return reject("not-a-template", detail=f"期间“{period_text}”无效")
    project = department.find_project(code)
    if project is None:
        return reject("unknown-project", value=code)
    return project, file_period, meta, sheet_meta


def _identity_disagreements(meta: dict[str, Any], sheet_meta: SheetMeta) -> list[str]:
    """Identity keys whose constant name says something else than the hidden sheet (when the sheet was
    read at all; otherwise the locked cells, checked against the registry, catch a changed identity)."""
    if not sheet_meta.loaded or meta is sheet_meta.keys():
        return []
    keys = sheet_meta.keys()
    return [
        f"{key} 的名称为“{meta_text(meta.get(key))}”，隐藏表为“{meta_text(keys.get(key))}”"
        for key in META_NAME_KEYS
        if meta_text(meta.get(key)) != meta_text(keys.get(key))
    ]


def _template_issues(
    meta: dict[str, Any], project: Project, period: Period | None, file_period: Period, located: Located,
    specs: Iterable[FieldSpec] = (),
) -> tuple[list[Issue], bool]:
    """wrong-period and template-outdated issues, and whether the locked digest is outdated."""
    issues: list[Issue] = []
    if period is not None and file_period != period:
        issues.append(make_issue("wrong-period", None, "", file_period.label, expected=period.label))
    outdated_digest = False
    file_schema = meta_text(meta.get("schema"))
    if file_schema != str(SCHEMA_VERSION):
        detail = f"模板格式版本为{file_schema or '空'}，当前为{SCHEMA_VERSION}"
        issues.append(make_issue("template-outdated", None, detail=detail))
    elif meta_text(meta.get("digest")) != registry_digest(project):
        outdated_digest = True
        issues.append(make_issue("template-outdated", None, detail="年度绩效目标或预算已更新"))
    if located.missing:
        specs_by_name = {spec.name: spec for spec in specs}
        titles = [field_title(specs_by_name.get(name), name, file_period) for name in located.missing[:3]]
        detail = "缺少填报栏目 " + "、".join(titles)
        issues.append(make_issue("template-outdated", None, detail=detail))
    return issues, outdated_digest


@dataclass(slots=True)
class _Fields:
    """The input fields as read: typed values, raw cell values, where each is, and cell-level issues."""

    values: dict[str, object] = field(default_factory=dict)
    raw_values: dict[str, CellValue] = field(default_factory=dict)
    cells: dict[str, str] = field(default_factory=dict)  # field → A1
    issues: list[Issue] = field(default_factory=list)


def _read_fields(
    book: WorkbookCells, main: SheetView, expect: Expectation, located: Located, period: Period
) -> _Fields:
    formulas = book.formula_cells(SHEET_MAIN) if book.format != "xls" else frozenset()
    # Every field is on 监控表 (locate refuses any other sheet).
    damaged = book.cell_problems(SHEET_MAIN, located.wanted)
    out = _Fields()
    cells, raw_values, values, issues = out.cells, out.raw_values, out.values, out.issues
    for read in located.reads:
        spec, a1 = read.spec, read.a1
        name = spec.name
        cells[name] = a1
        raw = raw_values[name] = main.get(read.row, read.col)
        # A value no two readers would agree on, or one the chief did not type, is never read.
        unreadable = (damaged.get(a1) if damaged else None) or _raw_value_problem(raw)
        if unreadable is not None:
            code = "cell-merged" if unreadable.startswith("被合并") else "cell-corrupt"
            issues.append(make_issue(code, spec, a1, raw, detail=unreadable, period=period))
            continue
        if a1 in formulas:
            issues.append(make_issue("formula-in-input", spec, a1, raw, period=period))
            continue
        result = normalise(spec, raw, a1, period=period)
        if result.issues:
            issues.extend(result.issues)
        values[name] = result.value
        if spec.required and result.value is None and not result.issues:
            issues.append(make_issue("required-missing", spec, a1, raw, period=period))
    return out


def _raw_value_problem(raw: CellValue) -> str | None:
    """What a value calamine read makes impossible to accept, whatever the cell's record says."""
    if raw is None:
        return None
    if isinstance(raw, float) and not math.isfinite(raw):
        return f"数字“{raw}”无效"
    if isinstance(raw, str) and has_non_xml_char(raw):
        return "含有 Excel 不允许的控制字符"
    return None


def _cross_checks(
    expect: Expectation,
    values: dict[str, object],
    cells: dict[str, str],
    period: Period,
    thresholds: Thresholds,
    rules: MonitoringRules,
    flagged: frozenset[str] = frozenset(),
) -> list[Issue]:
    specs = {spec.name: spec for spec in expect.specs}
    issues = _yuan_issues(expect.project, specs, values, cells, period)
    # A figure typed in 元 is reported once, as such: the rules it then breaks (or the indicator's
    # progress it distorts) would only repeat it in other words.
    in_yuan = frozenset(issue.field for issue in issues)
    issues += _cross_field_issues(specs, values, cells, period, in_yuan)
    if period.year_end:
        return issues + _year_end_explanation_issues(expect.project, specs, values, cells, flagged)
    issues += _budget_explanation_issues(specs, values, cells, period, thresholds, rules, flagged)
    issues += _explanation_issues(expect.project, specs, values, cells, flagged)
    issues += _off_target_issues(expect.project, specs, values, cells, period, rules, in_yuan)
    return issues


def _year_end_explanation_issues(
    project: Project,
    specs: dict[str, FieldSpec],
    values: dict[str, object],
    cells: dict[str, str],
    flagged: frozenset[str],
) -> list[Issue]:
    """The year-end form's explanations, as the 自评表 needs them (DESIGN.md §3): the budget's where the
    year's spending fell short of the 全年预算数 (its score is below full), an indicator's where its
    actual falls short of the target (an error) or reaches 130 % of it (a warning: the office's
    ``selfeval.excess_percent`` decides at scoring time, and the self-evaluation lists it then)."""
    issues: list[Issue] = []
    name = "budget.explanation"
    spend, budget = _decimal(values, "spend.to_date"), _decimal(values, "budget.adjusted")
    if (name in cells and not values.get(name) and name not in flagged and spend is not None and budget
            and spend < budget):
        issues.append(make_issue("year-end-budget-explanation-required", specs[name], cells[name], None,
                                 spend=display_value(spend), budget=display_value(budget)))
    excess = EXCESS_PERCENT
    for indicator in project.indicators:
        note, actual_name = f"ind.{indicator.n}.explanation", f"ind.{indicator.n}.actual"
        if note not in cells or values.get(note) or note in flagged or actual_name in flagged:
            continue
        actual = values.get(actual_name)
        value = actual if isinstance(actual, Decimal | str) else None
        reason = year_end_shortfall(indicator, value)
        if reason is not None:
            issues.append(make_issue("year-end-explanation-required", specs[note], cells[note], None,
                                     n=indicator.n, indicator=indicator.name, reason=reason))
        elif far_above_target(indicator, value, excess):
            issues.append(make_issue("year-end-far-above-target", specs[note], cells[note], None,
                                     n=indicator.n, indicator=indicator.name, actual=display_value(actual),
                                     unit=indicator.target.unit, percent=f"{excess.normalize():f}"))
    return issues


def _untouched(project: Project, fields: _Fields) -> bool:
    """Whether nothing was typed: every input empty but the pre-filled ones, still as they start."""
    start = prefilled_values(project)
    for name, raw in fields.raw_values.items():
        if name in start:
            if raw is not None and fields.values.get(name) != start[name]:
                return False
        elif raw is not None and not (isinstance(raw, str) and not raw.strip()):
            return False
    return bool(fields.raw_values)


# A money value this many times its bound was almost surely typed in 元, not 万元: a figure in 元 is
# 10000 times the truth, while no budget is adjusted to a thousand times itself (a generous margin for a
# project whose small 年初预算数 grew, still far below the 10000 of a slip of unit).
_YUAN_FACTOR = 1000


def _decimal(values: dict[str, object], name: str) -> Decimal | None:
    value = values.get(name)
    return value if isinstance(value, Decimal) else None


def _times(value: Decimal, bound: Decimal) -> str:
    """How many times ``bound`` ``value`` is, as a person says it: ``10000`` or ``约9606``."""
    ratio = value / bound
    whole = ratio.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return display_value(whole) if whole == ratio else f"约{display_value(whole)}"


def _in_yuan(value: Decimal, bound: Decimal | None) -> bool:
    """Whether ``value`` (万元) is so far beyond ``bound`` (万元, > 0) that it was typed in 元."""
    return bound is not None and bound > 0 and value >= bound * _YUAN_FACTOR


def _yuan_issues(
    project: Project, specs: dict[str, FieldSpec], values: dict[str, object], cells: dict[str, str], period: Period
) -> list[Issue]:
    """Figures typed in 元 on the 万元 form: any money cell at 1000 times the project's 年初预算数 or more
    (an error: it would swamp every total), and an indicator in 万元 whose 完成值 is 1000 times its target
    or more (a warning: an indicator may outgrow a small target). A return typed in 元 throughout passes
    every rule between its cells, so only the registry's figures can tell."""
    indicators = {indicator.n: indicator for indicator in project.indicators}
    issues: list[Issue] = []
    for spec in specs.values():
        value = values.get(spec.name)
        if spec.name not in cells or not isinstance(value, Decimal):
            continue
        where = cells[spec.name]
        if spec.kind is Kind.MONEY:
            if _in_yuan(value, project.budget):
                issues.append(make_issue("money-in-yuan", spec, where, value, period=period,
                                         budget=project.budget, times=_times(value, project.budget)))
            continue
        indicator = indicators.get(spec.indicator) if spec.indicator is not None else None
        if (indicator is not None and spec.unit == "万元" and spec.name.endswith((".actual", ".projection"))
                and indicator.target.value is not None and _in_yuan(value, indicator.target.value)):
            issues.append(make_issue("indicator-in-yuan", spec, where, value, period=period, n=indicator.n,
                                     indicator=indicator.name, target=indicator.target.raw,
                                     times=_times(value, indicator.target.value)))
    return issues


def _cross_field_issues(
    specs: dict[str, FieldSpec], values: dict[str, object], cells: dict[str, str], period: Period,
    in_yuan: frozenset[str] = frozenset(),
) -> list[Issue]:
    """The rules between money fields (:data:`perfsheet.form.fields.CROSS_RULES`), one issue per field,
    then the 财政资金 row those fields imply (:data:`perfsheet.form.fields.FISCAL_RULES`). A rule with a
    side already reported as typed in 元 (``in_yuan``) is not checked: it would repeat that issue."""
    issues: list[Issue] = []
    broken: set[str] = set(in_yuan)
    for rule in CROSS_RULES:
        value, other = _decimal(values, rule.field), _decimal(values, rule.other)
        if (rule.field in broken or rule.other in in_yuan or value is None or other is None
                or rule.holds(value, other)):
            continue
        broken.add(rule.field)
        # The bound is the chief's own cell here (an 调整后预算数 far below the registry's, say).
        yuan = f"这个数{YUAN_HINT}，请换算为万元（除以10000）。" if _in_yuan(value, other) else ""
        issues.append(
            make_issue(
                rule.code, specs[rule.field], cells[rule.field], value, yuan=yuan, period=period,
                other_label=specs[rule.other].label_for(period), **{rule.keyword: other},
            )
        )
    if broken:
        return issues  # the rows are already wrong on their own (or in 元); the 财政资金 row would repeat it
    for fiscal in FISCAL_RULES:
        value, other = _fiscal(values, fiscal.field), _fiscal(values, fiscal.other)
        if fiscal.field in broken or value is None or other is None or fiscal.holds(value, other):
            continue
        broken.add(fiscal.field)
        issues.append(
            make_issue(
                "fiscal-inconsistent", specs[fiscal.field], cells[fiscal.field], value, period=period,
                other_label=specs[fiscal.other].label_for(period), other=other,
                relation="超过" if fiscal.relation == "<=" else "低于",
            )
        )
    return issues


def _fiscal(values: dict[str, object], name: str) -> Decimal | None:
    """The 财政资金 part of a money field: the total less its 其他资金 part."""
    total, other = _decimal(values, name), _decimal(values, name + OTHER_SUFFIX)
    return None if total is None or other is None else total - other


def _explanation_issues(
    project: Project,
    specs: dict[str, FieldSpec],
    values: dict[str, object],
    cells: dict[str, str],
    flagged: frozenset[str],
) -> list[Issue]:
    """原因说明及改进措施 where the indicator's likelihood or deviation asks for one (indicator explanations
    are about indicators only; the budget has its own cell).

    ``flagged``: fields that already have an issue; an explanation that was written but is wrong (too
    long) is not also reported as missing."""
    issues: list[Issue] = []
    for indicator in project.indicators:
        name = f"ind.{indicator.n}.explanation"
        if name not in cells:
            continue
        explained = bool(values.get(name)) or name in flagged
        reasons = indicator_explanation_reasons(
            values.get(f"ind.{indicator.n}.likelihood"), values.get(f"ind.{indicator.n}.deviation")
        )
        if reasons and not explained:
            issues.append(
                make_issue(
                    "explanation-required",
                    specs[name],
                    cells[name],
                    None,
                    n=indicator.n,
                    indicator=indicator.name,
                    reason="、".join(reasons),
                )
            )
    return issues


def _budget_explanation_issues(
    specs: dict[str, FieldSpec],
    values: dict[str, object],
    cells: dict[str, str],
    period: Period,
    thresholds: Thresholds,
    rules: MonitoringRules,
    flagged: frozenset[str],
) -> list[Issue]:
    """预算执行偏差原因及改进措施 where the budget light (the same exact rule consolidation uses, so
    "red here" always means 红灯 in the summary) or spending nothing after the first months asks it."""
    name = "budget.explanation"
    if name not in cells or values.get(name) or name in flagged:
        return []
    light, zero_spend = budget_explanation_asked(
        _decimal(values, "spend.to_date"), _decimal(values, "budget.adjusted"), period, thresholds, rules
    )
    reasons = [f"预算执行进度为{LIGHT_LABELS[light]}"] if light else []
    if zero_spend:
        reasons.append(f"截至{period.month}月尚未支出")
    if not reasons:
        return []
    return [make_issue("budget-explanation-required", specs[name], cells[name], None, reason="、".join(reasons))]


def _off_target_issues(
    project: Project, specs: dict[str, FieldSpec], values: dict[str, object], cells: dict[str, str],
    period: Period, rules: MonitoringRules, in_yuan: frozenset[str] = frozenset(),
) -> list[Issue]:
    """A warning where an indicator is far behind what its target asks by now and nothing explains it
    (not where its actual is already reported as typed in 元: that is why it is off)."""
    issues: list[Issue] = []
    for indicator in project.indicators:
        actual_name, note = f"ind.{indicator.n}.actual", f"ind.{indicator.n}.explanation"
        if note not in cells or actual_name not in cells or values.get(note) or actual_name in in_yuan:
            continue
        actual = values.get(actual_name)
        off = indicator_off_target(indicator, actual if isinstance(actual, Decimal) else None, period, rules)
        if off is None:
            continue
        expected, percent = off
        issues.append(make_issue(
            "indicator-off-target", specs[note], cells[note], None, n=indicator.n, indicator=indicator.name,
            actual=display_value(actual), expected=display_value(expected.quantize(Decimal("0.01")).normalize()),
            off=f"{percent:.0f}", month=period.month, unit=indicator.target.unit,
        ))
    return issues


def _finish(
    project: Project,
    period: Period,
    values: dict[str, object],
    raw_values: dict[str, CellValue],
    issues: list[Issue],
    book: WorkbookCells,
    file: str,
) -> IngestResult:
    submission = submission_from_values(project, period, values, tuple(issues), file=file, sha256=book.sha256)
    return IngestResult(submission, issues, book.sha256, raw_values)


def read_return(
    path: str | Path,
    *,
    department: Department | None = None,
    period: Period | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    thresholds: Thresholds | None = None,
    rules: MonitoringRules | None = None,
) -> IngestResult:
    """:func:`read_submission` with the file's sha256 and the raw cell values (for feedback files)."""
    opened = open_workbook(path, max_bytes=max_bytes, sheets=(SHEET_MAIN,))
    if isinstance(opened, Rejected):
        issue = rejection_issue(opened.code, opened.message)
        return IngestResult(None, [issue], getattr(opened, "sha256", None) or file_sha256(Path(path)))
    return check_workbook(
        opened,
        department=department if department is not None else default_department(),
        period=period,
        thresholds=thresholds,
        rules=rules,
        file=str(path),
    )


def template_is_current(
    path: str | Path, department: Department, period: Period, rules: MonitoringRules | None = None
) -> bool:
    """Whether a template file on disk is the form perfsheet would send now for its project and
    ``period``: same schema, same locked content (goals unchanged) and the same fields asked (the
    monitoring rules unchanged). A file that cannot be read, or of another project or period, is not."""
    book = open_workbook(path, sheets=(SHEET_META,))
    if isinstance(book, Rejected) or SHEET_META not in book.sheet_names:
        return False
    meta = book.key_values(SHEET_META)
    project = department.find_project(meta_text(meta.get("project_code")))
    if project is None or meta_text(meta.get("period")) != str(period):
        return False
    asked = {f"field:{spec.name}" for spec in project_fields(project, period, rules)}
    return (
        meta_text(meta.get("schema")) == str(SCHEMA_VERSION)
        and meta_text(meta.get("digest")) == registry_digest(project)
        and {key for key in meta if key.startswith("field:")} == asked
    )


def read_submission(
    path: str | Path,
    *,
    department: Department | None = None,
    period: Period | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    thresholds: Thresholds | None = None,
    rules: MonitoringRules | None = None,
) -> tuple[Submission | None, list[Issue]]:
    """Read and check one returned workbook.

    Returns ``(submission, issues)``; the submission's ``status`` is ``valid`` (warnings allowed) or
    ``invalid`` (some error). An unusable file (see :mod:`perfsheet.reader`, plus ``not-a-template``
    and ``unknown-project``) gives ``(None, [one issue])``. ``department`` defaults to the embedded
    2025 registry; ``period``, when given, is the period being collected (``wrong-period`` otherwise);
    ``thresholds`` and ``rules`` (perfsheet.yaml's ``monitoring:``) decide when an explanation is
    required. Never raises for a bad file.
    """
    result = read_return(
        path, department=department, period=period, max_bytes=max_bytes, thresholds=thresholds, rules=rules
    )
    return result.submission, result.issues


# -------------------------------------------------------------------------------------------- JSON


def _json_scalar(value: object) -> object:
    """Decimal → int or float (JSON number in the form's unit), date → ISO, text as is."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def submission_to_json(
    submission: Submission | None,
    issues: Iterable[Issue],
    path: str | Path,
    sha256: str = "",
) -> dict[str, object]:
    """One ``perfsheet check --json`` object (issue 4 contract); ``sha256`` is used when rejected."""
    issue_list = [issue.to_dict() for issue in issues]
    if submission is None:
        return {
            "file": str(path),
            "sha256": sha256,
            "status": "rejected",
            "project_code": None,
            "period": None,
            "values": None,
            "issues": issue_list,
        }
    values: dict[str, object] = {
        name: _json_scalar(v)
        for name, v in submission_values(submission).items()
        if "." in name and not name.startswith("ind.")
    }
    values["indicators"] = [
        {
            "n": ind.n,
            "actual": _json_scalar(ind.actual),
            "projection": _json_scalar(ind.projection),
            "likelihood": ind.likelihood,
            "deviation": ind.deviation,
            "explanation": ind.explanation,
        }
        for ind in submission.indicators
    ]
    return {
        "file": str(path),
        "sha256": submission.sha256 or sha256,
        "status": str(submission.status),
        "project_code": submission.project_code,
        "period": str(submission.period),
        "values": values,
        "issues": issue_list,
    }
