"""Zip/XML-level mutants of filled returns, and an independent oracle (openpyxl) to judge ingest by.

A :class:`Base` is a real filled, valid return of one project (built with the repository's own template
builder and ``fill_template``), optionally rewritten to use a shared-string table as Excel writes it.
Each mutator takes ``(rng, base)`` and returns ``(description, mutant bytes)``; mutants stay well-formed
zips unless the mutator is about the zip. :func:`judge` checks ingest's answer for a mutant against an
openpyxl reading of the cells the ORIGINAL template layout puts the fields in.
"""

from __future__ import annotations

import ast
import datetime as dt
import io
import math
import random
import re
import struct
import warnings
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

import openpyxl
from ingest_helpers import good_values
from openpyxl.cell.cell import MergedCell
from template_helpers import PERIOD, sample_department

from perfsheet.form.fields import FieldSpec, project_fields
from perfsheet.form.layout import compute_layout
from perfsheet.form.meta import SHEET_MAIN
from perfsheet.ingest.check import check_workbook
from perfsheet.ingest.normalise import normalise
from perfsheet.ingest.reader import Rejected, open_workbook
from perfsheet.model import Department, Project, Severity, SubmissionStatus

MAIN_PART = "xl/worksheets/sheet1.xml"
META_PART = "xl/worksheets/sheet3.xml"
WORKBOOK_PART = "xl/workbook.xml"
SST_PART = "xl/sharedStrings.xml"

# --------------------------------------------------------------------------------------------------
# Zip members
# --------------------------------------------------------------------------------------------------

Members = list[tuple[str, bytes]]


def read_members(data: bytes) -> Members:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def write_members(members: Members, *, stored: frozenset[str] = frozenset()) -> bytes:
    """A zip of ``members`` in order (deflated, except the names in ``stored``); duplicates allowed."""
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name" is what some mutants are about
        with zipfile.ZipFile(out, "w") as archive:
            for name, body in members:
                info = zipfile.ZipInfo(name, date_time=(2025, 7, 5, 9, 0, 0))
                info.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
                archive.writestr(info, body)
    return out.getvalue()


def member(data: bytes, name: str) -> bytes:
    return dict(read_members(data))[name]


def edit_member(
    data: bytes, name: str, edit: Callable[[str], str], *, stored: frozenset[str] = frozenset()
) -> bytes:
    members = read_members(data)
    out = [(n, edit(b.decode("utf-8")).encode("utf-8") if n == name else b) for n, b in members]
    return write_members(out, stored=stored)


def data_span(data: bytes, name: str) -> tuple[int, int]:
    """(offset, length) of member ``name``'s compressed bytes in the zip ``data``."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(name)
    start = info.header_offset
    n, e = struct.unpack("<HH", data[start + 26 : start + 30])
    return start + 30 + n + e, info.compress_size


def flip_bit(data: bytes, offset: int, bit: int) -> bytes:
    out = bytearray(data)
    out[offset] ^= 1 << bit
    return bytes(out)


# --------------------------------------------------------------------------------------------------
# Cells in the sheet XML
# --------------------------------------------------------------------------------------------------


def cell_re(a1: str) -> re.Pattern[str]:
    return re.compile(rf'<c r="{a1}"(?P<attrs>(?:\s[^>]*?)?)(?:/>|>(?P<body>.*?)</c>)', re.S)


def get_cell(xml: str, a1: str) -> re.Match[str] | None:
    return cell_re(a1).search(xml)


def replace_cell(xml: str, a1: str, new: Callable[[str, str], str]) -> str:
    """Replace cell ``a1``'s element by ``new(attrs_without_t, body)`` (the attrs keep ``s=``)."""
    match = get_cell(xml, a1)
    if match is None:
        raise KeyError(a1)
    attrs = re.sub(r'\st="[^"]*"', "", match.group("attrs") or "")
    return xml[: match.start()] + new(attrs, match.group("body") or "") + xml[match.end() :]


def set_cell(xml: str, a1: str, body: str, t: str | None = None) -> str:
    type_attr = f' t="{t}"' if t is not None else ""
    return replace_cell(xml, a1, lambda attrs, _body: f'<c r="{a1}"{attrs}{type_attr}>{body}</c>')


def add_merge(xml: str, ref: str) -> str:
    if "<mergeCells" not in xml:
        return xml.replace(
            "</sheetData>", f'</sheetData><mergeCells count="1"><mergeCell ref="{ref}"/></mergeCells>', 1
        )

    def bump(match: re.Match[str]) -> str:
        return f'<mergeCells count="{int(match.group(1)) + 1}">'

    xml = re.sub(r'<mergeCells count="(\d+)">', bump, xml, count=1)
    return xml.replace("</mergeCells>", f'<mergeCell ref="{ref}"/></mergeCells>', 1)


def _inline_text(body: str) -> str:
    is_xml = re.search(r"<is>.*?</is>", body, re.S)
    assert is_xml is not None, body
    return "".join(ET.fromstring(is_xml.group(0)).itertext())


def to_shared_strings(data: bytes) -> bytes:
    """Rewrite every inline string of 监控表 and _perfsheet as a shared string, as Excel saves them."""
    strings: list[str] = []
    index: dict[str, int] = {}

    def convert(xml: str) -> str:
        def one(match: re.Match[str]) -> str:
            text = _inline_text(match.group("body"))
            if text not in index:
                index[text] = len(strings)
                strings.append(text)
            attrs = match.group("attrs")
            return f'<c r="{match.group("r")}"{attrs} t="s"><v>{index[text]}</v></c>'

        return re.sub(
            r'<c r="(?P<r>[A-Z]+\d+)"(?P<attrs>(?:\s[^>]*?)?) t="inlineStr">(?P<body><is>.*?</is>)</c>',
            one,
            xml,
            flags=re.S,
        )

    members = read_members(data)
    out: Members = []
    for name, body in members:
        text = body.decode("utf-8")
        if name in (MAIN_PART, META_PART):
            text = convert(text)
        elif name == "xl/_rels/workbook.xml.rels":
            text = text.replace(
                "</Relationships>",
                '<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
            )
        elif name == "[Content_Types].xml":
            text = text.replace(
                "</Types>",
                '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
            )
        out.append((name, text.encode("utf-8")))
    items = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
    sst = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'
    )
    out.append((SST_PART, sst.encode("utf-8")))
    return write_members(out)


# --------------------------------------------------------------------------------------------------
# Bases: real filled returns
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Base:
    name: str
    department: Department
    project: Project
    data: bytes
    fields: dict[str, str]  # field → anchor A1 on 监控表, from the ORIGINAL layout
    specs: dict[str, FieldSpec]
    shared: bool  # strings in xl/sharedStrings.xml (else inline)

    @property
    def inputs_with_value(self) -> list[str]:
        xml = member(self.data, MAIN_PART).decode("utf-8")
        found = []
        for name, a1 in self.fields.items():
            match = get_cell(xml, a1)
            if match is not None and match.group("body"):
                found.append(name)
        return found


def fill_values(project: Project) -> dict[str, object]:
    """The corpus's good return, with distinct money figures and some explanations written."""
    values = good_values(project)
    values["spend.to_date"] = (project.budget * Decimal("0.4")).quantize(Decimal("0.001"))
    values["spend.projected"] = (project.budget * Decimal("0.9")).quantize(Decimal("0.001"))
    for indicator in project.indicators[::2]:
        values[f"ind.{indicator.n}.explanation"] = f"第{indicator.n}项按计划推进"
    return values


def make_bases() -> list[Base]:
    from perfsheet.template.build import build_template, fill_template

    department = sample_department()
    bases: list[Base] = []
    for project in department.projects:
        filled = fill_template(build_template(department, project, PERIOD), fill_values(project))
        layout = compute_layout(project)
        fields = {name: span.anchor for name, span in layout.fields.items()}
        specs = {spec.name: spec for spec in project_fields(project)}
        short = project.code[-4:]
        bases.append(Base(f"{short}-inline", department, project, filled, fields, specs, False))
        bases.append(
            Base(f"{short}-sst", department, project, to_shared_strings(filled), fields, specs, True)
        )
    return bases


# --------------------------------------------------------------------------------------------------
# Ingest, and the oracle
# --------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    status: str  # valid / invalid / rejected / raised
    values: dict[str, object] = field(default_factory=dict)
    project_code: str = ""
    period: str = ""
    codes: list[str] = field(default_factory=list)
    rate: Decimal | None = None


def ingest(data: bytes, base: Base) -> Outcome:
    """What perfsheet makes of ``data`` (as ``read_return`` does, from bytes)."""
    from perfsheet.form.values import submission_values

    try:
        opened = open_workbook(data, name="return.xlsx", sheets=(SHEET_MAIN,))
        if isinstance(opened, Rejected):
            return Outcome("rejected", codes=[opened.code])
        result = check_workbook(opened, department=base.department, period=PERIOD, file="return.xlsx")
    except Exception as exc:
        return Outcome("raised", codes=[f"{type(exc).__name__}: {exc}"])
    sub = result.submission
    codes = [
        f"{i.code}@{i.cell}" if i.cell else i.code for i in result.issues if i.severity is Severity.ERROR
    ]
    if sub is None:
        return Outcome("rejected", codes=codes)
    status = "valid" if sub.status is SubmissionStatus.VALID else "invalid"
    return Outcome(
        status, submission_values(sub), sub.project_code, str(sub.period), codes, sub.execution_rate
    )


class Unreadable(Exception):
    """The mutant is not a workbook a careful reader may take values from."""


ERROR = object()  # the cell holds an error value (t="e")
_VALID_TYPES = frozenset({"b", "d", "e", "inlineStr", "n", "s", "str"})


def _structural_checks(data: bytes) -> None:
    """What openpyxl tolerates but Excel refuses (it offers to repair the file): checked on the XML."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise Unreadable(f"zip: {exc}") from exc
    with archive:
        names = [info.filename for info in archive.infolist()]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise Unreadable(f"duplicate zip members {dupes}")
        try:
            bad = archive.testzip()
        except Exception as exc:
            raise Unreadable(f"zip member unreadable: {type(exc).__name__}: {exc}") from exc
        if bad is not None:
            raise Unreadable(f"CRC-32 mismatch in {bad}")
        members = {n: archive.read(n) for n in names}
    sst_count = 0
    if SST_PART in members:
        sst_count = len(re.findall(rb"<si[ >]", members[SST_PART])) + members[SST_PART].count(b"<si/>")
    for name, body in members.items():
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            continue
        text = body.decode("utf-8", "replace")
        for match in re.finditer(r'<c r="([A-Z]+\d+)"((?:\s[^>]*?)?)(?:/>|>(.*?)</c>)', text, re.S):
            a1, attrs, inner = match.group(1), match.group(2) or "", match.group(3) or ""
            t = re.search(r'\st="([^"]*)"', attrs)
            kind = t.group(1) if t else "n"
            if kind not in _VALID_TYPES:
                raise Unreadable(f"{name} {a1}: unknown cell type t={kind!r}")
            v = re.search(r"<v>(.*?)</v>", inner, re.S)
            if (
                kind == "s"
                and v is not None
                and (not re.fullmatch(r"\d+", v.group(1)) or int(v.group(1)) >= sst_count)
            ):
                raise Unreadable(f"{name} {a1}: shared-string index {v.group(1)!r} of {sst_count}")
            if kind == "inlineStr" and "<is>" not in inner and v is not None:
                raise Unreadable(f"{name} {a1}: inlineStr with <v> but no <is>")


class _Formula:
    """A tiny evaluator for the arithmetic formulas the mutators write (numbers, A1 refs, + - * /)."""

    def __init__(self, sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
        self.sheet = sheet

    def value(self, formula: str, depth: int = 0) -> object:
        try:
            tree = ast.parse(formula.lstrip("="), mode="eval")
        except SyntaxError as exc:
            raise Unreadable(f"formula {formula!r} not evaluable here") from exc
        return self._eval(tree.body, depth)

    def _eval(self, node: ast.AST, depth: int) -> float:
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, int | float)
            and not isinstance(node.value, bool)
        ):
            return float(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = self._eval(node.operand, depth)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
            left, right = self._eval(node.left, depth), self._eval(node.right, depth)
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            if right == 0:
                raise Unreadable("#DIV/0!")
            return left / right
        if isinstance(node, ast.Name) and re.fullmatch(r"[A-Z]{1,3}\d+", node.id) and depth < 8:
            raw = self.sheet[node.id].value
            if raw is None:
                return 0.0
            if isinstance(raw, str) and raw.startswith("="):
                raw = self.value(raw, depth + 1)
            if isinstance(raw, int | float) and not isinstance(raw, bool):
                return float(raw)
        raise Unreadable(f"formula part {ast.dump(node)} not evaluable here")


@dataclass
class Expected:
    raw: object
    value: object
    error: str | None  # why the cell's content is not a valid value for the field


def oracle(data: bytes, base: Base) -> dict[str, Expected]:
    """The typed value each field's ORIGINAL cell holds, read with openpyxl; raises Unreadable."""
    _structural_checks(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data))
    except Exception as exc:
        raise Unreadable(f"openpyxl: {type(exc).__name__}: {exc}") from exc
    if SHEET_MAIN not in book.sheetnames:
        raise Unreadable("no 监控表 sheet")
    sheet = book[SHEET_MAIN]
    formulas = _Formula(sheet)
    out: dict[str, Expected] = {}
    for name, a1 in base.fields.items():
        spec = base.specs[name]
        cell = sheet[a1]
        raw: object = None if isinstance(cell, MergedCell) else cell.value
        if not isinstance(cell, MergedCell) and cell.data_type == "e":
            out[name] = Expected(raw, ERROR, f"error value {raw!r}")
            continue
        if isinstance(raw, str) and cell.data_type == "f":
            try:
                raw = formulas.value(raw)
            except Unreadable as exc:
                out[name] = Expected(raw, ERROR, str(exc))
                continue
        if isinstance(raw, float) and not math.isfinite(raw):
            out[name] = Expected(raw, ERROR, f"non-finite number {raw!r}")
            continue
        result = normalise(spec, raw, a1, period=PERIOD)
        errors = [i.code for i in result.issues if i.severity is Severity.ERROR]
        if spec.required and result.value is None and not errors and not name.endswith(".explanation"):
            errors.append("required-missing")
        out[name] = Expected(raw, result.value, ", ".join(errors) or None)
    return out


def _same(got: object, want: object) -> bool:
    if isinstance(got, Decimal) and isinstance(want, Decimal):
        return got == want
    if isinstance(got, dt.datetime) or isinstance(want, dt.datetime):
        return got == want
    return type(got) is type(want) and got == want


def judge(data: bytes, base: Base) -> tuple[Outcome, str | None]:
    """Ingest ``data``; return the outcome and what is wrong with it (None when acceptable)."""
    outcome = ingest(data, base)
    if outcome.status == "raised":
        return outcome, f"ingest raised {outcome.codes[0]}"
    if outcome.status != "valid":
        return outcome, None
    try:
        expected = oracle(data, base)
    except Unreadable as exc:
        return outcome, f"accepted as valid, but the file is unreadable: {exc}"
    problems: list[str] = []
    if outcome.project_code != base.project.code or outcome.period != str(PERIOD):
        problems.append(f"project/period {outcome.project_code} {outcome.period}")
    for name, want in expected.items():
        got = outcome.values.get(name)
        if want.error is not None:
            problems.append(
                f"{name}@{base.fields[name]}: cell holds {want.raw!r} ({want.error}), read {got!r}"
            )
        elif not _same(got, want.value):
            problems.append(f"{name}@{base.fields[name]}: cell holds {want.value!r}, read {got!r}")
    spend, budget = expected["spend.to_date"].value, expected["budget.adjusted"].value
    if isinstance(spend, Decimal) and isinstance(budget, Decimal) and budget:
        rate = spend / budget * 100
        if outcome.rate is None or abs(outcome.rate - rate) > Decimal("1e-9"):
            problems.append(f"执行率 {outcome.rate} ≠ {rate} computed from the cells")
    return outcome, ("accepted as valid: " + "; ".join(problems)) if problems else None


# --------------------------------------------------------------------------------------------------
# Mutators
# --------------------------------------------------------------------------------------------------

Mutant = tuple[str, bytes]  # (what was done, bytes)
Mutator = Callable[[random.Random, Base], Mutant]


def _main(base: Base) -> str:
    return member(base.data, MAIN_PART).decode("utf-8")


def _edit_main(base: Base, edit: Callable[[str], str]) -> bytes:
    return edit_member(base.data, MAIN_PART, edit)


def _pick_field(rng: random.Random, base: Base, *, numeric: bool | None = None, filled: bool = False) -> str:
    names = base.inputs_with_value if filled else list(base.fields)
    if numeric is not None:
        names = [n for n in names if base.specs[n].is_numeric == numeric] or names
    return rng.choice(sorted(names))


def m_flip_bit(rng: random.Random, base: Base) -> Mutant:
    names = [n for n, _ in read_members(base.data)]
    name = rng.choice(names)
    start, size = data_span(base.data, name)
    offset, bit = start + rng.randrange(size), rng.randrange(8)
    return f"flip bit {bit} at byte {offset - start} of deflated {name}", flip_bit(base.data, offset, bit)


def m_flip_bit_stored(rng: random.Random, base: Base) -> Mutant:
    """Members stored uncompressed (as some zip tools write them): a flipped bit stays a valid inflate."""
    members = read_members(base.data)
    name = rng.choice([n for n, _ in members if n.endswith(".xml")])
    data = write_members(members, stored=frozenset({name}))
    start, size = data_span(data, name)
    offset, bit = start + rng.randrange(size), rng.randrange(8)
    return f"flip bit {bit} at byte {offset - start} of stored {name}", flip_bit(data, offset, bit)


_VALUE_TEXTS = (
    "0",
    "-1",
    "1e3",
    "abc",
    "",
    "1.5",
    "2025",
    "3.47",
    "99999999999999999999",
    " 7 ",
    "1,5",
    "0x10",
    "１２",
)


def m_cell_value(rng: random.Random, base: Base) -> Mutant:
    name = _pick_field(rng, base, filled=True)
    a1, text = base.fields[name], rng.choice(_VALUE_TEXTS)

    def edit(xml: str) -> str:
        match = get_cell(xml, a1)
        assert match is not None
        body = match.group("body") or ""
        if "<v>" in body:
            return replace_cell(
                xml,
                a1,
                lambda attrs, b: (
                    f'<c r="{a1}"{match.group("attrs")}>'
                    + re.sub(r"<v>.*?</v>", f"<v>{text}</v>", b)
                    + "</c>"
                ),
            )
        return replace_cell(
            xml,
            a1,
            lambda attrs, b: (
                f'<c r="{a1}"{match.group("attrs")}>'
                + re.sub(r"<t([^>]*)>.*?</t>", rf"<t\1>{text}</t>", b)
                + "</c>"
            ),
        )

    return f"{name}@{a1} value text → {text!r}", _edit_main(base, edit)


def m_cell_type(rng: random.Random, base: Base) -> Mutant:
    name = _pick_field(rng, base, filled=True)
    a1, t = base.fields[name], rng.choice(("n", "s", "str", "b", "e", "inlineStr", "d", "bogus", None))

    def edit(xml: str) -> str:
        return replace_cell(
            xml,
            a1,
            lambda attrs, body: f'<c r="{a1}"{attrs}{f" t={chr(34)}{t}{chr(34)}" if t else ""}>{body}</c>',
        )

    return f"{name}@{a1} t= → {t!r}", _edit_main(base, edit)


def m_delete_v(rng: random.Random, base: Base) -> Mutant:
    name = _pick_field(rng, base, filled=True)
    a1 = base.fields[name]

    def edit(xml: str) -> str:
        return replace_cell(
            xml,
            a1,
            lambda attrs, body: f'<c r="{a1}"{attrs}>{re.sub(r"<v>.*?</v>|<is>.*?</is>", "", body)}</c>',
        )

    return f"{name}@{a1} value element deleted (t= dropped)", _edit_main(base, edit)


def m_duplicate_c(rng: random.Random, base: Base) -> Mutant:
    name = _pick_field(rng, base, filled=True)
    other = _pick_field(rng, base, filled=True)
    a1, b1 = base.fields[name], base.fields[other]
    xml = _main(base)
    src = get_cell(xml, b1)
    assert src is not None
    copy = src.group(0).replace(f'r="{b1}"', f'r="{a1}"', 1)
    before = rng.random() < 0.5

    def edit(text: str) -> str:
        match = get_cell(text, a1)
        assert match is not None
        original = match.group(0)
        return text[: match.start()] + (copy + original if before else original + copy) + text[match.end() :]

    where = "before" if before else "after"
    return f"{name}@{a1} duplicated {where} with {other}@{b1}'s content", _edit_main(base, edit)


def _covering_ref(rng: random.Random, a1: str) -> str:
    col, row = re.fullmatch(r"([A-Z]+)(\d+)", a1).groups()  # type: ignore[union-attr]
    c = ord(col) - 64
    r = int(row)
    choices = []
    if c > 1:
        choices.append(f"{chr(63 + c)}{r}:{a1}")
    if r > 1:
        choices.append(f"{col}{r - 1}:{a1}")
    choices.append(f"{a1}:{chr(65 + c)}{r}")  # the input as the anchor: harmless
    return rng.choice(choices)


def m_add_merge(rng: random.Random, base: Base) -> Mutant:
    name = _pick_field(rng, base, filled=True)
    ref = _covering_ref(rng, base.fields[name])
    return f"mergeCell {ref} over {name}@{base.fields[name]}", _edit_main(
        base, lambda xml: add_merge(xml, ref)
    )


def _defined(name: str) -> str:
    return "ps_" + name.replace(".", "_")


def _edit_names(base: Base, edit: Callable[[str], str]) -> bytes:
    return edit_member(base.data, WORKBOOK_PART, edit)


def _redirect(xml: str, field_name: str, target: str) -> str:
    pattern = rf'(<definedName name="{_defined(field_name)}">)[^<]*(</definedName>)'
    return re.sub(pattern, rf"\g<1>{target}\g<2>", xml, count=1)


def _abs(a1: str) -> str:
    col, row = re.fullmatch(r"([A-Z]+)(\d+)", a1).groups()  # type: ignore[union-attr]
    return f"监控表!${col}${row}"


def m_defname_redirect(rng: random.Random, base: Base) -> Mutant:
    name, other = rng.sample(sorted(base.inputs_with_value), 2)
    target = _abs(base.fields[other])
    return f"defined name {_defined(name)} → {target}", _edit_names(
        base, lambda xml: _redirect(xml, name, target)
    )


def m_defname_duplicate(rng: random.Random, base: Base) -> Mutant:
    name, other = rng.sample(sorted(base.inputs_with_value), 2)
    target = _abs(base.fields[other])
    first = rng.random() < 0.5
    extra = f'<definedName name="{_defined(name)}">{target}</definedName>'

    def edit(xml: str) -> str:
        pattern = rf'<definedName name="{_defined(name)}">[^<]*</definedName>'
        match = re.search(pattern, xml)
        assert match is not None
        original = match.group(0)
        return xml.replace(original, extra + original if first else original + extra, 1)

    return (
        f"duplicate defined name {_defined(name)} → {target} ({'first' if first else 'second'})",
        _edit_names(base, edit),
    )


def m_defname_edit(rng: random.Random, base: Base) -> Mutant:
    name = rng.choice(sorted(base.fields))
    target = rng.choice(
        (
            "#REF!",
            "填表说明!$A$1",
            "监控表!$A$1",
            "'监控表'!$Z$999",
            "",
            "监控表!$D$8:$E$9",
            "_perfsheet!$B$2",
        )
    )
    return f"defined name {_defined(name)} → {target!r}", _edit_names(
        base, lambda xml: _redirect(xml, name, target)
    )


def _meta_rows(base: Base) -> dict[str, str]:
    """_perfsheet key → A1 of its value cell."""
    xml = member(base.data, META_PART).decode("utf-8")
    out: dict[str, str] = {}
    for row in re.findall(r'<row r="(\d+)"', xml):
        key_cell = get_cell(xml, f"A{row}")
        if key_cell is None:
            continue
        body = key_cell.group("body") or ""
        if "<is>" in body:
            key = _inline_text(body)
        else:
            index = re.search(r"<v>(\d+)</v>", body)
            assert index is not None
            sst = member(base.data, SST_PART).decode("utf-8")
            key = "".join(
                ET.fromstring(re.findall(r"<si>.*?</si>", sst, re.S)[int(index.group(1))]).itertext()
            )
        out[key] = f"B{row}"
    return out


def m_meta_edit(rng: random.Random, base: Base) -> Mutant:
    """Edit a value of the hidden _perfsheet sheet; for a field key, drop its defined name so the map is used."""
    rows = _meta_rows(base)
    key = rng.choice(sorted(rows))
    a1 = rows[key]
    if key.startswith("field:"):
        other = rng.choice(sorted(base.fields))
        text = "监控表!" + base.fields[other]
    else:
        text = rng.choice(("2025-05", "13020225P00815610002E", "2", "x", ""))
    members = read_members(base.data)
    drop_name = key.startswith("field:") or rng.random() < 0.5
    out: Members = []
    for name, body in members:
        xml = body.decode("utf-8")
        if name == META_PART:
            xml = set_cell(xml, a1, f"<is><t>{escape(text)}</t></is>", "inlineStr")
        elif name == WORKBOOK_PART and drop_name:
            target = _defined(key.removeprefix("field:")) if key.startswith("field:") else f"ps_meta_{key}"
            xml = re.sub(rf'<definedName name="{target}">[^<]*</definedName>', "", xml)
        out.append((name, xml.encode("utf-8")))
    return f"_perfsheet {key}@{a1} → {text!r}{' (defined name dropped)' if drop_name else ''}", write_members(
        out
    )


def with_second_workbook(data: bytes, edit: Callable[[str], str], *, first: bool) -> bytes:
    """``data`` with a second ``xl/workbook.xml`` (the original edited by ``edit``), stored before or
    after the original: which copy a reader takes is up to the reader."""
    members = read_members(data)
    forged = (WORKBOOK_PART, edit(dict(members)[WORKBOOK_PART].decode("utf-8")).encode("utf-8"))
    out: Members = []
    for item in members:
        if item[0] == WORKBOOK_PART and first:
            out.append(forged)
        out.append(item)
    if not first:
        out.append(forged)
    return write_members(out)


def m_second_workbook(rng: random.Random, base: Base) -> Mutant:
    name, other = rng.sample(sorted(base.inputs_with_value), 2)
    target = _abs(base.fields[other])
    first = rng.random() < 0.5
    where = "before" if first else "after"
    forged = with_second_workbook(base.data, lambda xml: _redirect(xml, name, target), first=first)
    return f"second {WORKBOOK_PART} ({where}) with {_defined(name)} → {target}", forged


def _string_cells(base: Base) -> list[str]:
    xml = _main(base)
    return sorted(
        n for n in base.inputs_with_value if 't="s"' in (get_cell(xml, base.fields[n]).group("attrs") or "")
    )  # type: ignore[union-attr]


def m_sst_swap(rng: random.Random, base: Base) -> Mutant:
    if not base.shared:
        return m_cell_value(rng, base)
    name, other = rng.sample(_string_cells(base), 2)
    a1, b1 = base.fields[name], base.fields[other]
    xml = _main(base)
    va = re.search(r"<v>(\d+)</v>", get_cell(xml, a1).group("body")).group(1)  # type: ignore[union-attr]
    vb = re.search(r"<v>(\d+)</v>", get_cell(xml, b1).group("body")).group(1)  # type: ignore[union-attr]

    def edit(text: str) -> str:
        text = set_cell(text, a1, f"<v>{vb}</v>", "s")
        return set_cell(text, b1, f"<v>{va}</v>", "s")

    return f"shared-string indices of {name}@{a1} and {other}@{b1} swapped", _edit_main(base, edit)


def m_sst_bad_index(rng: random.Random, base: Base) -> Mutant:
    name = _pick_field(rng, base, filled=True)
    a1 = base.fields[name]
    count = len(re.findall(r"<si>", member(base.data, SST_PART).decode("utf-8"))) if base.shared else 0
    index = rng.choice(("-1", "x", "1.5", str(2**64), str(count), str(count + 5), "", " 1", "1e1"))
    return f"{name}@{a1} shared-string index {index!r}", _edit_main(
        base, lambda xml: set_cell(xml, a1, f"<v>{index}</v>", "s")
    )


def m_inline_typed(rng: random.Random, base: Base) -> Mutant:
    """Inline text under a type that is not inlineStr, or inlineStr holding <v> only."""
    name = _pick_field(rng, base, filled=True)
    a1 = base.fields[name]
    t = rng.choice(("e", "n", "s", "b", "str", None))
    text = rng.choice(("5", "1", "达成", "陈刚"))
    body = (
        rng.choice((f"<is><t>{text}</t></is>", f"<v>{text}</v>")) if t == "e" else f"<is><t>{text}</t></is>"
    )
    if rng.random() < 0.2:
        t, body = "inlineStr", f"<v>{text}</v>"
    return f"{name}@{a1} t={t!r} body {body}", _edit_main(base, lambda xml: set_cell(xml, a1, body, t))


def m_control_char(rng: random.Random, base: Base) -> Mutant:
    ref = rng.choice(("&#x1F;", "&#0;", "&#x1;", "&#xFFFE;", "&#xD800;", "&#8;", "&#x110000;"))
    if base.shared and rng.random() < 0.5:
        sst = member(base.data, SST_PART).decode("utf-8")
        items = list(re.finditer(r"<t[^>]*>([^<]*)</t>", sst))
        pick = rng.randrange(len(items))
        chosen = items[pick]
        used = [
            n
            for n, a1 in base.fields.items()
            if re.search(rf'<c r="{a1}"[^>]*t="s"><v>{pick}</v>', _main(base))
        ]
        mutated = sst[: chosen.end(1)] + ref + sst[chosen.end(1) :]
        members = [(n, mutated.encode("utf-8") if n == SST_PART else b) for n, b in read_members(base.data)]
        label = f"input {', '.join(used)}" if used else "no input field"
        return f"{ref} appended to shared string #{pick} {chosen.group(1)[:20]!r} ({label})", write_members(
            members
        )
    name = _pick_field(rng, base, filled=True)
    a1 = base.fields[name]
    xml = _main(base)
    match = get_cell(xml, a1)
    assert match is not None
    body = match.group("body") or ""
    if "<is>" in body:
        new = f"<is><t>{_inline_text(body)}{ref}</t></is>"
        t = "inlineStr"
    else:
        text = rng.choice(("陈刚", "5"))
        new, t = f"<is><t>{text}{ref}</t></is>", "inlineStr"
    return f"{name}@{a1} inline text with {ref}", _edit_main(base, lambda x: set_cell(x, a1, new, t))


def m_nonfinite(rng: random.Random, base: Base) -> Mutant:
    name = _pick_field(rng, base, numeric=rng.random() < 0.8, filled=True)
    a1 = base.fields[name]
    text = rng.choice(("inf", "-inf", "nan", "NaN", "Infinity", "1e309", "-1e309", "1E999", "INF"))
    t = rng.choice(("n", None, "str"))
    return f"{name}@{a1} <v>{text}</v> t={t!r}", _edit_main(
        base, lambda xml: set_cell(xml, a1, f"<v>{text}</v>", t)
    )


_FORMULAS = ("1+1", "0.5+0.5", "2*3", "10/4", "C8/2", "C8-0.1", "1/0", "SUM(1,2)", "D8")


def m_formula_input(rng: random.Random, base: Base) -> Mutant:
    name = _pick_field(rng, base, numeric=rng.random() < 0.8, filled=True)
    a1 = base.fields[name]
    formula = rng.choice(_FORMULAS)
    cached = rng.choice(("9", "1", "0.3", "2", "", "达成"))
    t = "str" if cached and not re.fullmatch(r"[\d.]+", cached) else None
    body = f"<f>{formula}</f>" + (f"<v>{cached}</v>" if cached else "")
    return f"{name}@{a1} formula ={formula} cached {cached!r}", _edit_main(
        base, lambda xml: set_cell(xml, a1, body, t)
    )


def m_formula_cache(rng: random.Random, base: Base) -> Mutant:
    """The form's 执行率 (E8) with a stale cached value; sometimes the input it divides, too."""
    cached = rng.choice(("0.99", "5", "-1", "0", "0.5"))

    def edit(xml: str) -> str:
        return replace_cell(
            xml,
            "E8",
            lambda attrs, body: (
                f'<c r="E8"{attrs}>' + re.sub(r"<v>.*?</v>|<v/>", f"<v>{cached}</v>", body) + "</c>"
            ),
        )

    return f"执行率 E8 cached value → {cached}", _edit_main(base, edit)


MUTATORS: dict[str, Mutator] = {
    "flip-bit": m_flip_bit,
    "flip-bit-stored": m_flip_bit_stored,
    "cell-value": m_cell_value,
    "cell-type": m_cell_type,
    "delete-v": m_delete_v,
    "duplicate-c": m_duplicate_c,
    "add-merge": m_add_merge,
    "defname-redirect": m_defname_redirect,
    "defname-duplicate": m_defname_duplicate,
    "defname-edit": m_defname_edit,
    "meta-edit": m_meta_edit,
    "second-workbook-xml": m_second_workbook,
    "sst-swap": m_sst_swap,
    "sst-bad-index": m_sst_bad_index,
    "inline-typed": m_inline_typed,
    "control-char": m_control_char,
    "nonfinite": m_nonfinite,
    "formula-input": m_formula_input,
    "formula-cache": m_formula_cache,
}
