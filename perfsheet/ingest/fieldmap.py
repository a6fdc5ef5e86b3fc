"""Where a return's fields are, and whether the file still is the form the registry describes.

Ingest stage, between the reader and the checks (:mod:`perfsheet.ingest.check`): the registry's layout
of the file's project (:class:`Expectation`), the file's two field maps checked against it
(:func:`locate`: defined names and the hidden ``_perfsheet`` sheet, ``template-tampered`` otherwise),
rows that moved (:func:`layout_change`) and locked cells that changed (:func:`locked_changes`).
Nothing here reads a value the chief typed; that is the checks' part.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from perfsheet.a1 import a1_to_rc, rc_to_a1, split_cell_ref
from perfsheet.form.fields import FieldSpec, project_fields
from perfsheet.form.issues import display_value, make_issue
from perfsheet.form.layout import compute_layout
from perfsheet.form.meta import META_NAME_KEYS, SHEET_MAIN, SHEET_META, defined_name, locked_digest, meta_name
from perfsheet.ingest.reader import CellValue, WorkbookCells
from perfsheet.model import Issue, Period, Project
from perfsheet.rules import MonitoringRules

__all__ = [
    "Expectation",
    "FieldRead",
    "Located",
    "SheetMeta",
    "SheetView",
    "expectation",
    "field_title",
    "layout_change",
    "locate",
    "locked_changes",
    "meta_from_names",
    "meta_text",
    "registry_digest",
]

_SHIFT_SEARCH = 10  # rows up/down searched for labels that moved


# ------------------------------------------------------------------------------ registry expectations


@dataclass(frozen=True, slots=True)
class _LockedCell:
    a1: str
    row: int
    col: int
    expected: str
    expected_number: float | None  # the expected text as a number, when it is one (compare numerically)


def _locked_cell(a1: str, expected: str) -> _LockedCell:
    try:
        number: float | None = float(Decimal(expected))
    except (InvalidOperation, ValueError):
        number = None
    return _LockedCell(a1, *a1_to_rc(a1), expected, number)


@dataclass(frozen=True, slots=True)
class Expectation:
    """What the registry says one project's return looks like; computed once per project."""

    project: Project
    specs: tuple[FieldSpec, ...]
    template_cells: dict[str, tuple[int, int]]  # field → (row, col) in a fresh template
    locked: tuple[_LockedCell, ...]
    locked_by_row: dict[int, tuple[_LockedCell, ...]]


@functools.lru_cache(maxsize=256)
def expectation(project: Project, period: Period, rules: MonitoringRules) -> Expectation:
    layout = compute_layout(project, year_end=period.year_end)
    specs = project_fields(project, period, rules)
    asked = {spec.name for spec in specs}
    template_cells = {
        name: (span.first_row, span.first_col) for name, span in layout.fields.items() if name in asked
    }
    locked = tuple(_locked_cell(a1, expected) for a1, expected in layout.locked.items())
    by_row: dict[int, list[_LockedCell]] = {}
    # The fixed labels of rows without locked data count for where a row is, not as locked content.
    for cell in (*locked, *(_locked_cell(a1, text) for a1, text in layout.row_labels.items())):
        by_row.setdefault(cell.row, []).append(cell)
    return Expectation(
        project=project,
        specs=specs,
        template_cells=template_cells,
        locked=locked,
        locked_by_row={row: tuple(cells) for row, cells in by_row.items()},
    )


@functools.lru_cache(maxsize=256)
def registry_digest(project: Project) -> str:
    """The digest a template built now from the registry carries (it depends on the project only)."""
    return locked_digest(compute_layout(project).locked)


# ---------------------------------------------------------------------------------------- helpers


class SheetView:
    """Direct (row, column) access to one sheet's grid: the hot path avoids A1 parsing per cell."""

    __slots__ = ("left", "rows", "top")

    def __init__(self, book: WorkbookCells, sheet: str) -> None:
        self.rows = book.rows(sheet)
        self.top, self.left = book.origin(sheet)

    def get(self, row: int, col: int) -> CellValue:
        r, c = row - self.top, col - self.left
        if r < 0 or c < 0 or r >= len(self.rows):
            return None
        line = self.rows[r]
        return line[c] if c < len(line) else None


def _same(found: CellValue, cell: _LockedCell) -> bool:
    """Whether a locked cell's value equals the registry's text (numbers compared as numbers)."""
    if isinstance(found, str):
        text = found.strip()
        if text == cell.expected:
            return True
        if cell.expected_number is None:
            return False
        try:
            return float(Decimal(text)) == cell.expected_number
        except (InvalidOperation, ValueError):
            return False
    if isinstance(found, float | int) and not isinstance(found, bool):
        return cell.expected_number is not None and float(found) == cell.expected_number
    if found is None:
        return cell.expected == ""
    return display_value(found) == cell.expected


def meta_text(value: object) -> str:
    return display_value(value).strip() if value is not None else ""


@functools.lru_cache(maxsize=8192)
def _first_cell(ref: str) -> tuple[str, int, int] | None:
    """``监控表!$F$14`` (or a range ``监控表!$H$8:$I$8``) → (sheet, row, col); None when unusable."""
    text = ref.strip()
    if ":" in text.rpartition("!")[2]:
        text = text.split(":", 1)[0]
    try:
        sheet, a1 = split_cell_ref(text)
    except ValueError:
        return None
    return (sheet, *a1_to_rc(a1))


@dataclass(slots=True)
class Located:
    """Where each field is in the returned file, and how it got there."""

    cells: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # field → (sheet, row, col)
    missing: list[str] = field(default_factory=list)
    tampered: list[str] = field(default_factory=list)  # why the file's field map cannot be trusted
    # Derived from ``cells`` once (by :func:`locate`) and shared by the copies of a remembered result:
    # template row → row shift (:func:`_row_shifts`); and the fields in the expectation's order with
    # their cell, as ingest reads them.
    shifts: dict[int, int] = field(default_factory=dict)
    reads: tuple[FieldRead, ...] = ()
    wanted: frozenset[str] = frozenset()  # the A1 of every read


@dataclass(frozen=True, slots=True)
class FieldRead:
    """One input field as ingest reads it: where it is in the file (0-based, and as A1 on 监控表)."""

    spec: FieldSpec
    row: int
    col: int
    a1: str


def meta_from_names(book: WorkbookCells) -> dict[str, Any] | None:
    """The `_perfsheet` keys from the template's constant names (xlsx), or None to read the sheet."""
    names = book.defined_names
    meta: dict[str, Any] = {}
    for key in META_NAME_KEYS:
        text = names.get(meta_name(key))
        if text is None:
            return None
        value = text.removeprefix("=").strip()
        if len(value) < 2 or not (value[0] == value[-1] == '"'):
            return None  # not the constant the template wrote: trust the sheet instead
        meta[key] = value[1:-1]
    return meta


class SheetMeta:
    """The ``_perfsheet`` sheet's keys, read on first use: loading the hidden sheet costs about a third of
    a return's read time, and a complete set of defined names makes it unnecessary."""

    def __init__(self, book: WorkbookCells) -> None:
        self._book = book
        self._keys: dict[str, Any] | None = None

    @property
    def loaded(self) -> bool:
        return self._keys is not None

    def keys(self) -> dict[str, Any]:
        if self._keys is None:
            self._keys = self._book.key_values(SHEET_META)
        return self._keys


def field_title(spec: FieldSpec | None, name: str, period: Period | None = None) -> str:
    """A field as the chief's form names it (第3项指标的截至6月完成值), never its internal key."""
    if spec is None:
        return name
    label = spec.label_for(period)
    return f"第{spec.indicator}项指标的{label}" if spec.indicator is not None else label


# locate's results for files whose every field has a defined name (the hidden map is then not read):
# they follow from the names, the sheet names and the expectation alone. Keyed by the names' source
# bytes; the expectation is held with its result, so an id never outlives its object.
_LOCATED: dict[tuple[int, object, tuple[str, ...]], tuple[Expectation, Located]] = {}
_LOCATED_MAX = 256


def locate(book: WorkbookCells, sheet_meta: SheetMeta, expect: Expectation) -> Located:
    """:func:`_locate`, remembered for the files of one template (see :data:`_LOCATED`)."""
    source = book.names_source
    key = (id(expect), source, tuple(book.sheet_names))
    if source is not None:
        found = _LOCATED.get(key)
        if found is not None and found[0] is expect:
            return _copy_located(found[1])
    read_meta_before = sheet_meta.loaded
    located = _locate(book, sheet_meta, expect)
    located.shifts = _row_shifts(expect, located)
    located.reads = tuple(
        FieldRead(spec, where[1], where[2], rc_to_a1(where[1], where[2]))
        for spec in expect.specs
        if (where := located.cells.get(spec.name)) is not None
    )
    located.wanted = frozenset(read.a1 for read in located.reads)
    if source is not None and not read_meta_before and not sheet_meta.loaded:
        if len(_LOCATED) >= _LOCATED_MAX:
            _LOCATED.clear()
        _LOCATED[key] = (expect, _copy_located(located))
    return located


def _copy_located(located: Located) -> Located:
    # The derived fields are shared: nothing changes them once locate has set them.
    return dataclasses.replace(
        located, cells=dict(located.cells), missing=list(located.missing), tampered=list(located.tampered)
    )


def _locate(book: WorkbookCells, sheet_meta: SheetMeta, expect: Expectation) -> Located:
    """Each field's cell from the file's two field maps (defined names, ``_perfsheet``'s ``field:`` rows),
    checked against the layout the registry gives for the file's project.

    The hidden sheet's map is text that nothing but the template writes, so it must say exactly what the
    layout says. Defined names follow rows the chief inserted, so they may say the same moved down as a
    whole: every field in its own column of 监控表, the fields of one template row moved together, later
    rows never less than earlier ones. Anything else means a map was edited (a redirected name would
    read a cell the chief never filled), and the file is ``template-tampered``. The hidden map is
    consulted (and checked) for the fields that have no defined name — an .xls or a file that lost its
    names; where every name is there, the map decides nothing and is not read.
    """
    names = book.defined_names
    located = Located()
    shift_of_row: dict[int, tuple[int, FieldSpec]] = {}  # template row → (row shift, first field on it)
    for spec in expect.specs:
        t_row, t_col = expect.template_cells[spec.name]
        template_cell = (SHEET_MAIN, t_row, t_col)
        by_name = _first_cell(names[defined_name(spec.name)]) if defined_name(spec.name) in names else None
        by_map = None
        if by_name is None:
            mapped = sheet_meta.keys().get("field:" + spec.name)
            by_map = _first_cell(mapped) if isinstance(mapped, str) else None
            if mapped is not None and by_map != template_cell:
                located.tampered.append(f"隐藏表中“{field_title(spec, spec.name)}”指向 {mapped}，模板中为 {_where(template_cell)}")
                continue
        found = by_name or by_map
        if found is None or found[0] not in book.sheet_names:
            located.missing.append(spec.name)
            continue
        sheet, row, col = found
        if sheet != SHEET_MAIN or col != t_col or row < t_row:
            located.tampered.append(f"“{field_title(spec, spec.name)}”的名称指向 {_where(found)}，模板中为 {_where(template_cell)}")
            continue
        earlier = shift_of_row.setdefault(t_row, (row - t_row, spec))
        if earlier[0] != row - t_row:
            located.tampered.append(f"“{field_title(spec, spec.name)}”与“{field_title(earlier[1], earlier[1].name)}”原在同一行，现指向不同的行")
            continue
        located.cells[spec.name] = found
    shifts = [shift for _row, (shift, _name) in sorted(shift_of_row.items())]
    if any(later < earlier for earlier, later in itertools.pairwise(shifts)):
        located.tampered.append("字段的行序与模板不符")
    return located


def _where(cell: tuple[str, int, int]) -> str:
    return f"{cell[0]}!{rc_to_a1(cell[1], cell[2])}"


def _row_shifts(expect: Expectation, located: Located) -> dict[int, int]:
    """Template row → row shift in the file, for rows holding input fields (first field wins)."""
    shifts: dict[int, int] = {}
    for name, (t_row, _t_col) in expect.template_cells.items():
        where = located.cells.get(name)
        if where is not None and t_row not in shifts:
            shifts[t_row] = where[1] - t_row
    return shifts


def _candidate_shifts(row: int, shifts: dict[int, int]) -> list[int]:
    below = [r for r in shifts if r >= row]
    above = [r for r in shifts if r < row]
    out: list[int] = []
    for shift in (
        shifts[min(below)] if below else None,
        shifts[max(above)] if above else None,
        0,
    ):
        if shift is not None and shift not in out:
            out.append(shift)
    return out


def _matches(view: SheetView, cells: Iterable[_LockedCell], shift: int) -> tuple[bool, bool]:
    """(any matches, all match) of locked ``cells`` read ``shift`` rows down."""
    any_ok, all_ok = False, True
    for cell in cells:
        row = cell.row + shift
        ok = row >= 0 and _same(view.get(row, cell.col), cell)
        any_ok = any_ok or ok
        all_ok = all_ok and ok
    return any_ok, all_ok


def layout_change(view: SheetView, expect: Expectation, located: Located) -> Issue | None:
    shifts = located.shifts
    for t_row, shift in sorted(shifts.items()):
        labels = [c for c in expect.locked_by_row.get(t_row, ()) if c.expected]
        if not labels:
            continue
        any_ok, _ = _matches(view, labels, shift)
        if any_ok:
            continue
        for delta in sorted(range(-_SHIFT_SEARCH, _SHIFT_SEARCH + 1), key=abs):
            if delta == 0 or t_row + shift + delta < 0:
                continue
            if _matches(view, labels, shift + delta)[1]:
                first = labels[0]
                return make_issue(
                    "template-layout-changed",
                    None,
                    rc_to_a1(t_row + shift, first.col),
                    view.get(t_row + shift, first.col),
                    detail=f"“{first.expected}”应在第{t_row + shift + 1}行，现在第{t_row + shift + delta + 1}行",
                )
        if shift:
            # The names moved this row's fields, but its labels did not move with them: the names were
            # redirected, not carried along by an inserted row.
            return make_issue(
                "template-tampered",
                None,
                detail=f"第{t_row + 1}行的填报字段被指向第{t_row + shift + 1}行，但该行不是模板的内容",
            )
    return None


def locked_changes(view: SheetView, expect: Expectation, located: Located) -> list[Issue]:
    shifts = located.shifts
    unshifted = not any(shifts.values())
    issues: list[Issue] = []
    for cell in expect.locked:
        if unshifted and _same(view.get(cell.row, cell.col), cell):
            continue  # the usual case: nothing moved, nothing changed
        candidates = _candidate_shifts(cell.row, shifts)
        if any(_same(view.get(cell.row + s, cell.col), cell) for s in candidates if cell.row + s >= 0):
            continue
        row = max(0, cell.row + candidates[0])
        a1 = rc_to_a1(row, cell.col)
        issues.append(
            make_issue("locked-cell-changed", None, a1, view.get(row, cell.col), expected=cell.expected)
        )
    return issues
