"""Per-cell limits (xltargets.cellrules): the pattern subset Excel can check, and one verdict.

The LibreOffice agreement test (test_libreoffice_typing.py) shows the template's validation and
the reader agree on typed input; these tests pin the translation itself, fast."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xltargets.cellrules import Pattern, TextLength, pattern_problem, percent_number, shapes
from xltargets.layout import plan
from xltargets.spec import builtin_ids, load_spec


def _spec_patterns() -> list[str]:
    out = []
    for spec_id in builtin_ids():
        for sheet in plan(load_spec(spec_id), 1).sheets:
            for cell in sheet.inputs:
                out.extend(lim.regex for lim in cell.limits if isinstance(lim, Pattern))
    return sorted(set(out))


PATTERNS = _spec_patterns()


def test_the_specs_have_code_and_phone_patterns():
    assert r"^\d{8}P[0-9A-Z]{12}$" in PATTERNS
    assert any("1[3-9]" in p for p in PATTERNS)


@pytest.mark.parametrize("pattern", PATTERNS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_shapes_accept_exactly_what_the_regex_accepts(pattern, data):
    """The shapes (what the Excel formula checks position by position) are the regex."""
    alphabet = "0123456789PHTAZ-"
    matching = st.from_regex(pattern.replace(r"\d", "[0-9]"), fullmatch=True)
    # random text, matching texts and near-misses of them
    sample = data.draw(st.one_of(
        st.text(alphabet=alphabet, max_size=24),
        matching,
        matching.map(lambda s: s[:-1]),
        matching.map(lambda s: s + "1"),
        matching.map(lambda s: s[:3] + "X" + s[4:]),
    ))
    expected = re.fullmatch(pattern, sample) is not None
    assert any(shape.matches(sample) for shape in shapes(pattern)) == expected


@pytest.mark.parametrize(("pattern", "ok"), [
    (r"^\d{6}$", True), (r"^(a|b\d?)$", True), (r"^[A-Z]{2}-?\d{3,4}$", True),
    (r"^\d+$", False), (r"^a.b$", False), (r"^(ab){2}$", False), (r"^[^0-9]{3}$", False),
    (r"^\w{3}$", False), (r"^\d{2,}$", False), (r"^\d{1,3}-?\d{1,3}-?\d{1,3}-?\d{1,3}-?x{2}$", False),
])
def test_patterns_outside_the_subset_are_refused(pattern, ok):
    assert (pattern_problem(pattern) is None) == ok


def test_code_pattern_normalizes_like_the_code_parser():
    code = Pattern(r"^\d{8}P[0-9A-Z]{12}$", "hint", remove=" ", upper=True, code="code_pattern")
    assert not code.refuses("13022522P002H4T100074")
    assert not code.refuses("13022522p002h4t100074")          # upper-cased by both faces
    assert not code.refuses("１３０２２５２２P002H4T100074")    # full-width: ASC / fold
    assert not code.refuses("1302 2522P002H4T100074")          # spaces removed by both
    assert code.refuses("1302252SP002H4T100074")
    assert code.refuses("13022522P002H4T10007")
    assert code.excel_text("B3") == 'UPPER(SUBSTITUTE(ASC(B3)," ",""))'


def test_phone_pattern_removes_separators():
    from xltargets.layout.kinds import DEFAULT_PHONE_PATTERN, PHONE_REMOVE

    phone = Pattern(DEFAULT_PHONE_PATTERN, "hint", remove=PHONE_REMOVE)
    for good in ("17763740907", "177 6374 0907", "177-6374-0907", "0737-4567890", "(0737)4567890",
                 "010-12345678", "0737 456 7890"):
        assert not phone.refuses(good), good
    for bad in ("1776374090", "abcdefg", "12345678901", "0737-0567890", "0737-4567890-123",
                "+8617763740907", "4567890"):
        assert phone.refuses(bad), bad


def test_text_length_counts_the_cleaned_text():
    limit = TextLength(200)
    assert not limit.refuses("一" * 200)
    assert limit.refuses("一" * 201)
    assert not limit.refuses("  " + "一" * 200 + "\n")
    assert limit.message("指标值（第1行）", "一" * 210) == "“指标值（第1行）”超过200字（实际210字）"


@pytest.mark.parametrize(("text", "value"), [
    ("25", "25"), ("25%", "25"), ("２５％", "25"), (" 25 % ", "25"), ("0.5", "0.5"), ("abc", None),
])
def test_percent_number(text, value):
    got = percent_number(text)
    assert (None if got is None else f"{got:f}") == value
