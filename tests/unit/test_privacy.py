"""Phone numbers are masked for roles that do not need them in full."""

from app.domain.privacy import mask_phone


def test_a_mobile_number_keeps_its_first_three_and_last_four_digits():
    assert mask_phone("13904770000") == "139****0000"


def test_a_landline_keeps_its_separator_and_ends():
    assert mask_phone("0477-5211234") == "047*-***1234"


def test_short_or_missing_numbers_reveal_nothing():
    assert mask_phone("12345") == "*****"
    assert mask_phone("") == "" and mask_phone(None) == ""


def test_phones_inside_free_text_are_masked_like_the_fields():
    from app.domain.privacy import mask_phones_in

    text = "经办人电话: 13904770004 → 13912345678; 固话 0477-5211234；联系 04775211234"
    assert mask_phones_in(text) == "经办人电话: 139****0004 → 139****5678; 固话 047*-***1234；联系 047****1234"


def test_codes_numbers_dates_and_amounts_in_free_text_are_left_alone():
    from app.domain.privacy import mask_phones_in

    text = "91150621000010022B 2026-150621-44-03-115838 150621-2026-0042 2026-11-27 98000 万元 12345"
    assert mask_phones_in(text) == text
    assert mask_phones_in(None) == "" and mask_phones_in("") == ""
