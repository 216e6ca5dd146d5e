"""Phone numbers compare by the digits dialled within Germany, however they were written."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auskunft.core.phone import digits, national_digits


@pytest.mark.parametrize(
    "written",
    [
        "0561 123456",
        "0561/123456",
        "0561-12 34 56",
        "(0561) 123456",
        "+49 561 123456",
        "+49 (0)561 123456",
        "+49-561-123456",
        "0049 561 123456",
        "0049 (0) 561 123456",
        " +49561123456 ",
    ],
)
def test_every_way_of_writing_a_german_number_is_the_same(written: str) -> None:
    assert national_digits(written) == "0561123456"


@pytest.mark.parametrize(
    ("written", "national"),
    [
        ("+43 1 234567", "00431234567"),
        ("0043 1 234567", "00431234567"),
        ("+41 44 123 45 67", "0041441234567"),
        ("123 456", "123456"),  # a local number: its digits
        ("", ""),
        ("+", ""),
    ],
)
def test_other_countries_keep_their_prefix_and_local_numbers_their_digits(
    written: str, national: str
) -> None:
    assert national_digits(written) == national


def test_only_ascii_digits_count() -> None:
    assert digits("٠٥٦١ 12") == "12"  # Arabic-Indic digits are not dialled here
    assert national_digits("0561 12 ext. 3") == "0561123"


@given(st.text(alphabet="0123456789", min_size=2, max_size=12))
def test_the_international_form_of_a_national_number_is_the_number(rest: str) -> None:
    national = "0" + rest.lstrip("0") if rest.lstrip("0") else "0"
    tail = national[1:]
    assert national_digits(f"+49 {tail}") == national
    assert national_digits(f"0049 {tail}") == national
    assert national_digits(f"+49 (0){tail}") == national
