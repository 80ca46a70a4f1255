"""Phone numbers are masked for roles that do not need them in full."""

from app.domain.privacy import mask_phone


def test_a_mobile_number_keeps_its_first_three_and_last_four_digits():
    assert mask_phone("13904770000") == "139****0000"


def test_a_landline_keeps_its_separator_and_ends():
    assert mask_phone("0477-5211234") == "047*-***1234"


def test_short_or_missing_numbers_reveal_nothing():
    assert mask_phone("12345") == "*****"
    assert mask_phone("") == "" and mask_phone(None) == ""
