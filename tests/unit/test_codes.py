"""Credit code (GB 32100 with GB 11714 body) and project code checks, each failure with its reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.codes import (
    CREDIT_ALPHABET,
    credit_check_character,
    org_check_character,
    validate_credit_code,
    validate_project_code,
)
from app.domain.errors import ValidationError


def test_the_example_credit_code_passes_both_checks():
    assert validate_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91350100M000100Y4", "has 18 characters"),
        ("91350100M000100Y44", "check character"),
        ("91350100M000100Z43", "cannot appear"),
        ("9135010OM000100Y43", "cannot appear"),
        ("913501A0M000100Y43", "division code"),
        ("91350100M000100X43", "GB 11714"),
    ],
)
def test_a_bad_credit_code_says_why(code, reason):
    with pytest.raises(ValidationError) as raised:
        validate_credit_code(code)
    assert reason in str(raised.value)


@given(
    head=st.text(alphabet=CREDIT_ALPHABET, min_size=2, max_size=2),
    division=st.text(alphabet="0123456789", min_size=6, max_size=6),
    body=st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8),
)
def test_any_code_built_with_both_check_characters_passes(head, division, body):
    org = body + org_check_character(body)
    if org[-1] not in CREDIT_ALPHABET:
        return  # GB 11714 check "X"… is in the alphabet; "0"-"9" too: nothing else can come out
    first17 = head + division + org
    assert validate_credit_code(first17 + credit_check_character(first17)) == first17 + credit_check_character(first17)


def test_changing_one_character_is_caught():
    code = "91350100M000100Y43"
    for position in range(18):
        for replacement in "0A":
            mutated = code[:position] + replacement + code[position + 1 :]
            if mutated != code:
                with pytest.raises(ValidationError):
                    validate_credit_code(mutated)


def test_project_codes_are_checked_for_their_shape_only():
    assert validate_project_code("2020-150621-44-01-12345x") == "2020-150621-44-01-12345X"
    for bad in ["2020-150621-44-01-1234", "2020150621440112345678", "2020-15062A-44-01-123456", ""]:
        with pytest.raises(ValidationError):
            validate_project_code(bad)
