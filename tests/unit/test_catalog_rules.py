"""Catalog rules and the reading of catalog file rows: every problem names its row and column."""

from __future__ import annotations

from app.domain.catalog import check_item, header_index, parse_rows

HEADER = ["序号", "承办部门", "事项名称", "事项类型", "所属阶段", "法定时限（工作日）", "承诺时限（工作日）", "状态"]


def _row(number, *cells):
    return (number, list(cells))


def test_a_promised_limit_longer_than_the_legal_one_is_refused():
    problems = check_item({"name": "取水许可审批", "legal_limit_days": 20, "promised_limit_days": 25})
    assert [field for field, _, _ in problems] == ["promised_limit_days"]


def test_limits_must_be_between_one_day_and_a_year():
    assert check_item({"name": "x", "legal_limit_days": 0})
    assert check_item({"name": "x", "legal_limit_days": 366})
    assert check_item({"name": "x", "legal_limit_days": 365}) == []


def test_headers_are_read_in_chinese_or_english():
    assert header_index(["Item name", "Department", "Stage"]) == {"name": 0, "department": 1, "stage": 2}
    assert header_index(["事项名称", "承办部门", "法定时限"])["legal_limit_days"] == 2


def test_a_good_row_reads_into_values():
    rows, problems = parse_rows(
        1, HEADER, [_row(2, "14", "水利部门", "取水许可审批", "行政许可", "立项用地规划许可", "20", "", "在用")]
    )
    assert problems == []
    assert rows[0].values == {
        "name": "取水许可审批",
        "seq": 14,
        "legal_limit_days": 20,
        "promised_limit_days": None,
        "item_type": "license",
        "stage": "project_land",
    }
    assert rows[0].department == "水利部门"
    assert rows[0].retired is False


def test_the_reference_spelling_其它行政许可_reads_as_other_power():
    rows, problems = parse_rows(
        1, HEADER, [_row(2, "16", "水利部门", "水利工程建设项目验收", "其它行政许可", "竣工验收", "", "", "")]
    )
    assert problems == []
    assert rows[0].values["item_type"] == "other_power"


def test_each_bad_cell_is_named_by_row_and_column():
    _rows, problems = parse_rows(
        1,
        HEADER,
        [
            _row(2, "1", "水利部门", "取水许可审批", "许可证", "立项用地规划许可", "二十", "", "作废"),
            _row(3, "2", "", "取水许可审批", "行政许可", "竣工", "20", "30", ""),
        ],
    )
    located = {(p.row, p.column) for p in problems}
    assert (2, "事项类型") in located
    assert (2, "法定时限（工作日）") in located
    assert (2, "状态") in located
    assert (3, "承办部门") in located
    assert (3, "事项名称") in located  # listed twice
    assert (3, "所属阶段") in located
    assert (3, "承诺时限（工作日）") in located


def test_a_missing_required_column_is_reported_once_for_the_header():
    rows, problems = parse_rows(1, ["序号", "事项名称"], [_row(2, "1", "取水许可审批")])
    assert rows == []
    assert len(problems) == 1
    assert problems[0].row == 1
    assert "承办部门" in problems[0].column and "所属阶段" in problems[0].column


def test_a_file_without_rows_is_refused():
    rows, problems = parse_rows(1, HEADER, [])
    assert rows == []
    assert [p.template for p in problems] == ["The file has no data rows."]
