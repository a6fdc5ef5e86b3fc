"""A bounded, seeded fuzz of filled returns at the zip/XML level, judged by an independent openpyxl reading.

Every mutant of a real filled valid return must come out of ingest rejected, invalid (an error issue), or
valid with every typed value equal to what openpyxl reads in the cell the ORIGINAL template layout
(``compute_layout``) put that field in — never valid with a value the cell does not hold. The mutators
and the oracle live in ``tests/mutants.py``. Below the fuzz, one explicit test per class of defect the
reliability sweep found (field map, merged cells, shared-string indices, inline text under another
type, forbidden characters and non-finite numbers, zip CRC, cached formula values).
"""

from __future__ import annotations

import functools
import io
import random
import re
import time
from collections import Counter

import openpyxl
import pytest
from mutants import (
    MAIN_PART,
    MUTATORS,
    SST_PART,
    WORKBOOK_PART,
    Base,
    Outcome,
    Unreadable,
    data_span,
    edit_member,
    flip_bit,
    judge,
    make_bases,
    member,
    oracle,
    read_members,
    set_cell,
    with_second_workbook,
    write_members,
)

SEED = 20250705
MUTANTS = 400
BUDGET_SECONDS = 60.0


@functools.cache
def bases() -> tuple[Base, ...]:
    return tuple(make_bases())


def base(code_tail: str = "0021", *, shared: bool = False) -> Base:
    """The filled return of the project whose code ends in ``code_tail`` (0021 社区矫正: 定量 and 定性)."""
    return next(b for b in bases() if b.project.code.endswith(code_tail) and b.shared is shared)


def _shown(outcome: Outcome) -> str:
    return f"status={outcome.status} errors={outcome.codes[:5]}"


def assert_not_wrongly_valid(data: bytes, b: Base, what: str) -> Outcome:
    outcome, problem = judge(data, b)
    assert problem is None, f"{what} [{b.name}]: {problem} ({_shown(outcome)})"
    return outcome


# --------------------------------------------------------------------------------------------------
# The fuzz
# --------------------------------------------------------------------------------------------------


def test_bases_are_valid_and_the_oracle_agrees() -> None:
    assert {b.shared for b in bases()} == {False, True} and len({b.project.code for b in bases()}) == 3
    kinds = {spec.kind for b in bases() for spec in b.specs.values()}
    assert {"qualitative", "percent", "count", "decimal", "money"} <= {str(k) for k in kinds}
    for b in bases():
        outcome, problem = judge(b.data, b)
        assert outcome.status == "valid" and not outcome.codes, (b.name, outcome)
        assert problem is None, (b.name, problem)
        expected = oracle(b.data, b)
        assert all(e.error is None for e in expected.values()), b.name
        assert (
            expected["contact.head"].value == "王敏"
            and outcome.values["spend.to_date"] == expected["spend.to_date"].value
        )
        if b.shared:
            assert 't="inlineStr"' not in member(b.data, MAIN_PART).decode() and SST_PART in dict(
                read_members(b.data)
            )


def test_seeded_fuzz_never_accepts_a_value_the_cell_does_not_hold() -> None:
    rng = random.Random(SEED)
    names = sorted(MUTATORS)
    started = time.perf_counter()
    violations: list[str] = []
    broken_mutators: list[str] = []
    tally: Counter[tuple[str, str]] = Counter()
    for i in range(MUTANTS):
        name = names[i % len(names)]  # every mutator gets its share; the base and details are random
        b = rng.choice(bases())
        try:
            what, data = MUTATORS[name](rng, b)
        except Exception as exc:
            broken_mutators.append(f"#{i} {name} on {b.name}: {type(exc).__name__}: {exc}")
            continue
        outcome, problem = judge(data, b)
        tally[(name, outcome.status)] += 1
        if problem is not None:
            violations.append(f"#{i} {name} [{b.name}] {what}: {problem} ({_shown(outcome)})")
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{m}:{s}={n}" for (m, s), n in sorted(tally.items()))
    assert not broken_mutators, "mutators failed:\n" + "\n".join(broken_mutators)
    assert not violations, (
        f"{len(violations)} of {MUTANTS} mutants (seed {SEED}) broke the oracle:\n"
        + "\n".join(violations)
        + f"\n\noutcomes: {summary}"
    )
    assert {m for m, _s in tally} == set(names), summary
    assert any(s == "valid" for _m, s in tally), (
        f"no mutant was accepted at all, the oracle compared nothing: {summary}"
    )
    assert elapsed < BUDGET_SECONDS, f"{MUTANTS} mutants took {elapsed:.1f} s"


# --------------------------------------------------------------------------------------------------
# Class 1: field locations from edited defined names or an edited _perfsheet map
# --------------------------------------------------------------------------------------------------

SPEND, SPEND_CELL, PROJECTED_CELL = "spend.to_date", "D8", "H8"


def _redirect_spend(xml: str) -> str:
    out = xml.replace(
        '<definedName name="ps_spend_to_date">监控表!$D$8</definedName>',
        '<definedName name="ps_spend_to_date">监控表!$H$8</definedName>',
    )
    assert out != xml
    return out


def _duplicate_spend_first(xml: str) -> str:
    original = '<definedName name="ps_spend_to_date">监控表!$D$8</definedName>'
    assert original in xml
    return xml.replace(original, '<definedName name="ps_spend_to_date">监控表!$H$8</definedName>' + original)


def _perfsheet_map_redirect(b: Base) -> bytes:
    """The defined name gone (an .ods round trip) and the hidden map's spend row pointing at H8."""
    out = []
    for name, body in read_members(b.data):
        text = body.decode("utf-8")
        if name == WORKBOOK_PART:
            text = re.sub(r'<definedName name="ps_spend_to_date">[^<]*</definedName>', "", text)
        elif name == "xl/worksheets/sheet3.xml":
            before = text
            text = text.replace("&#30417;&#25511;&#34920;!D8</t>", "&#30417;&#25511;&#34920;!H8</t>")
            assert text != before, "the _perfsheet map row for spend.to_date was not found"
        out.append((name, text.encode("utf-8")))
    return write_members(out)


def _second_workbook(b: Base, *, first: bool) -> bytes:
    return with_second_workbook(b.data, _redirect_spend, first=first)


@pytest.mark.parametrize(
    "variant",
    [
        "redirected-defined-name",
        "duplicate-defined-name-first",
        "perfsheet-map",
        "second-workbook-xml-first",
        "second-workbook-xml-last",
    ],
)
def test_class1_field_map_edits_do_not_move_the_read(variant: str) -> None:
    b = base()
    data = {
        "redirected-defined-name": lambda: edit_member(b.data, WORKBOOK_PART, _redirect_spend),
        "duplicate-defined-name-first": lambda: edit_member(b.data, WORKBOOK_PART, _duplicate_spend_first),
        "perfsheet-map": lambda: _perfsheet_map_redirect(b),
        "second-workbook-xml-first": lambda: _second_workbook(b, first=True),
        "second-workbook-xml-last": lambda: _second_workbook(b, first=False),
    }[variant]()
    book = openpyxl.load_workbook(io.BytesIO(data))
    held, elsewhere = book["监控表"][SPEND_CELL].value, book["监控表"][PROJECTED_CELL].value
    assert held != elsewhere  # the mutant is meaningful: the redirect target holds another number
    outcome = assert_not_wrongly_valid(data, b, f"{variant}: spend.to_date redirected from D8 to H8")
    assert not (outcome.status == "valid" and str(outcome.values[SPEND]) == str(elsewhere))


# --------------------------------------------------------------------------------------------------
# Class 2: an input cell covered by a merged range
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "field"), [("C8:D8", "spend.to_date"), ("A22:B22", "contact.name"), ("G22:H22", "contact.head")]
)
def test_class2_merge_over_an_input_cell(ref: str, field: str) -> None:
    from mutants import add_merge

    b = base()
    data = edit_member(b.data, MAIN_PART, lambda xml: add_merge(xml, ref))
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book["监控表"][b.fields[field]].value is None  # Excel shows the anchor; the hidden value is gone
    assert_not_wrongly_valid(data, b, f"mergeCell {ref} hides {field}@{b.fields[field]}")


# --------------------------------------------------------------------------------------------------
# Class 3: shared-string indices that index nothing
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("index", ["-1", "x", "1.5", str(2**64)])
@pytest.mark.parametrize("field", ["goal.progress", "ind.1.explanation", "contact.name", "spend.to_date"])
def test_class3_bad_shared_string_index(index: str, field: str) -> None:
    """Optional text fields first: a title read from index -1 fits in them and nothing else notices."""
    b = base(shared=True)
    a1 = b.fields[field]
    data = edit_member(b.data, MAIN_PART, lambda xml: set_cell(xml, a1, f"<v>{index}</v>", "s"))
    outcome = assert_not_wrongly_valid(data, b, f'{field}@{a1} <c t="s"><v>{index}</v></c>')
    assert outcome.status != "valid", (
        f"{field}@{a1} shared-string index {index!r} accepted: {outcome.values.get(field)!r}"
    )


# --------------------------------------------------------------------------------------------------
# Class 4: inline text read whatever the cell's type says
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("t", "body"),
    [
        ("e", "<is><t>1</t></is>"),
        ("e", "<v>1</v>"),
        ("n", "<is><t>1</t></is>"),
        ("s", "<is><t>1</t></is>"),
        ("b", "<is><t>1</t></is>"),
        (None, "<is><t>1</t></is>"),
    ],
)
@pytest.mark.parametrize("field", ["spend.to_date", "ind.2.actual", "goal.progress", "contact.head"])
def test_class4_inline_text_under_another_type(t: str | None, body: str, field: str) -> None:
    """A value small enough to pass every cross-field rule, so only the cell's type can stop it."""
    b = base()
    a1 = b.fields[field]
    data = edit_member(b.data, MAIN_PART, lambda xml: set_cell(xml, a1, body, t))
    outcome = assert_not_wrongly_valid(data, b, f"{field}@{a1} t={t!r} {body}")
    got = outcome.values.get(field)
    assert not (outcome.status == "valid" and str(got) == "1"), f"{field}@{a1} t={t!r} {body} read as {got!r}"


# --------------------------------------------------------------------------------------------------
# Class 5: character references Excel refuses; inf / nan in cells
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["&#x1F;", "&#x1;", "&#0;", "&#xFFFE;"])
def test_class5_forbidden_character_reference(ref: str) -> None:
    b = base()
    a1 = b.fields["contact.name"]
    data = edit_member(
        b.data, MAIN_PART, lambda xml: set_cell(xml, a1, f"<is><t>陈刚{ref}</t></is>", "inlineStr")
    )
    with pytest.raises(Unreadable):
        oracle(data, b)  # openpyxl (expat) refuses the file as Excel and LibreOffice do
    outcome = assert_not_wrongly_valid(data, b, f"contact.name@{a1} holds {ref}")
    assert outcome.status != "valid"


@pytest.mark.parametrize("where", ["contact.name", "a label"])
def test_class5_forbidden_character_reference_in_a_shared_string(where: str) -> None:
    """The shared-string table is XML too: one &#x1F; anywhere in it makes Excel refuse the file."""
    b = base(shared=True)
    target = "陈刚" if where == "contact.name" else "项目名称"

    def edit(xml: str) -> str:
        out = xml.replace(f">{target}</t>", f">{target}&#x1F;</t>", 1)
        assert out != xml, f"{target} not in the shared strings"
        return out

    data = edit_member(b.data, SST_PART, edit)
    with pytest.raises(Unreadable):
        oracle(data, b)
    outcome = assert_not_wrongly_valid(data, b, f"&#x1F; in the shared string of {where}")
    assert outcome.status != "valid"


@pytest.mark.parametrize("text", ["inf", "-inf", "nan", "1e309", "-1e309"])
@pytest.mark.parametrize(
    ("field", "t"),
    [("spend.to_date", None), ("spend.to_date", "n"), ("contact.name", "n"), ("contact.head", None)],
)
def test_class5_non_finite_number(text: str, field: str, t: str | None) -> None:
    b = base()
    a1 = b.fields[field]
    data = edit_member(b.data, MAIN_PART, lambda xml: set_cell(xml, a1, f"<v>{text}</v>", t))
    outcome = assert_not_wrongly_valid(data, b, f"{field}@{a1} <v>{text}</v> t={t!r}")
    assert outcome.status != "valid", f"{field}@{a1} <v>{text}</v> accepted as {outcome.values.get(field)!r}"


# --------------------------------------------------------------------------------------------------
# Class 6: a flipped bit in a member whose CRC-32 is not checked
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("part", [SST_PART, MAIN_PART])
def test_class6_flipped_bit_in_a_stored_member(part: str) -> None:
    b = base(shared=True)
    data = write_members(read_members(b.data), stored=frozenset({part}))
    start, size = data_span(data, part)
    target = ("王敏" if part == SST_PART else "<v>1.388</v>").encode()
    at = data.find(target, start, start + size)
    assert at >= 0, f"{target!r} not found in stored {part}"
    # 王 (E7 8E 8B) → U+738A; spend 1.388 → 1.389: still well-formed, same length, CRC-32 now wrong
    bit_at = at + 2 if part == SST_PART else at + 7
    mutant = flip_bit(data, bit_at, 0)
    with pytest.raises(Unreadable, match="CRC"):
        oracle(mutant, b)
    outcome = assert_not_wrongly_valid(mutant, b, f"one flipped bit in stored {part} (CRC-32 stale)")
    assert outcome.status != "valid", (
        f"CRC-32 mismatch in {part} accepted; contact.head={outcome.values.get('contact.head')!r}"
    )


# --------------------------------------------------------------------------------------------------
# Class 7: formulas read by a stale cached value
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "cached"), [("1+1", "3"), ("C8/2", "0.1"), ("0.5+0.5", "2"), ("1+1", None)]
)
def test_class7_formula_in_an_input_cell_is_not_read_by_its_cache(formula: str, cached: str | None) -> None:
    b = base()
    body = f"<f>{formula}</f>" + (f"<v>{cached}</v>" if cached is not None else "")
    data = edit_member(b.data, MAIN_PART, lambda xml: set_cell(xml, SPEND_CELL, body))
    outcome = assert_not_wrongly_valid(data, b, f"spend.to_date@D8 ={formula} cached {cached!r}")
    if cached is not None:
        assert not (outcome.status == "valid" and str(outcome.values[SPEND]) == cached), (
            f"={formula} read as its cache {cached}"
        )


@pytest.mark.parametrize("cached", ["0.99", "5", "-1"])
def test_class7_stale_execution_rate_cache_is_not_believed(cached: str) -> None:
    b = base()

    def edit(xml: str) -> str:
        out = re.sub(r'(<c r="E8"[^>]*>.*?<f>.*?</f>)<v>[^<]*</v>', rf"\g<1><v>{cached}</v>", xml, flags=re.S)
        assert out != xml
        return out

    data = edit_member(b.data, MAIN_PART, edit)
    outcome = assert_not_wrongly_valid(data, b, f"执行率 E8 cached {cached}")
    assert outcome.status == "valid" and outcome.rate is not None and abs(outcome.rate - 40) < 1e-9, outcome
