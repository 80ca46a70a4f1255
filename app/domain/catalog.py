"""Catalog item rules and the catalog file's columns: what a valid item is, and how a row reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.domain.enums import CHINESE_NAMES, FastTrack, ItemType, LabelledEnum, Stage, from_chinese
from app.domain.errors import N_, Problem, ValidationError
from app.domain.materials import MaterialSpec, parse_list

MAX_LIMIT_DAYS = 365
MAX_NAME_LENGTH = 200

# Fields an edit may change, in the order history and files show them.
EDITABLE_FIELDS: tuple[str, ...] = (
    "seq",
    "department_id",
    "name",
    "item_type",
    "stage",
    "legal_limit_days",
    "promised_limit_days",
    "allows_incomplete",
    "allows_commitment",
    "fast_track",
    "unpublished",
    "is_other",
)


@dataclass(frozen=True)
class FileColumn:
    key: str
    chinese: str
    english: str
    required: bool = False


# The catalog file, as exported and imported; headers are read in either language.
FILE_COLUMNS: tuple[FileColumn, ...] = (
    FileColumn("seq", "序号", "No."),
    FileColumn("department", "承办部门", "Department", required=True),
    FileColumn("name", "事项名称", "Item name", required=True),
    FileColumn("item_type", "事项类型", "Item type", required=True),
    FileColumn("stage", "所属阶段", "Stage", required=True),
    FileColumn("legal_limit_days", "法定时限（工作日）", "Legal time limit (working days)"),
    FileColumn("promised_limit_days", "承诺时限（工作日）", "Promised time limit (working days)"),
    FileColumn("allows_incomplete", "容缺受理", "Acceptance with missing materials"),
    FileColumn("allows_commitment", "告知承诺", "Notification and commitment"),
    FileColumn("fast_track", "快捷服务", "Fast-track service"),
    FileColumn("unpublished", "不予公开", "Not published"),
    FileColumn("is_other", "其它事项", "Other item (free text)"),
    FileColumn("materials", "申报材料", "Required materials"),
    FileColumn("status", "状态", "Status"),
)

YES, NO = "是", "否"
IN_USE, RETIRED = "在用", "已停用"
_TRUE = {"是", "y", "yes", "true", "1", "√", "✓"}
_FALSE = {"否", "n", "no", "false", "0", ""}
_IN_USE = {IN_USE, "in use", "active", ""}
_RETIRED = {RETIRED, "停用", "retired"}


def header_index(header: list[str]) -> dict[str, int]:
    """Map column keys to their position in a header row (Chinese or English headers)."""
    names = {}
    for column in FILE_COLUMNS:
        names[column.chinese] = column.key
        names[column.english.lower()] = column.key
        names[column.chinese.replace("（工作日）", "")] = column.key
    found: dict[str, int] = {}
    for position, cell in enumerate(header):
        key = names.get(cell.strip()) or names.get(cell.strip().lower())
        if key and key not in found:
            found[key] = position
    return found


def is_header(cells: list[str]) -> bool:
    return {"name", "department"} <= set(header_index(cells))


def check_item(values: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Rule problems of an item's values, as (field, message template, params)."""
    problems: list[tuple[str, str, dict[str, Any]]] = []
    name = (values.get("name") or "").strip()
    if not name:
        problems.append(("name", N_("The item name is required."), {}))
    elif len(name) > MAX_NAME_LENGTH:
        problems.append(("name", N_("The item name is longer than %(max)s characters."), {"max": MAX_NAME_LENGTH}))
    seq = values.get("seq")
    if seq is not None and not (1 <= seq <= 9999):
        problems.append(("seq", N_("The sequence number must be between 1 and 9999."), {}))
    for field in ("legal_limit_days", "promised_limit_days"):
        days = values.get(field)
        if days is not None and not (1 <= days <= MAX_LIMIT_DAYS):
            problems.append(
                (field, N_("A time limit must be between 1 and %(max)s working days."), {"max": MAX_LIMIT_DAYS})
            )
    legal, promised = values.get("legal_limit_days"), values.get("promised_limit_days")
    if legal is not None and promised is not None and promised > legal:
        problems.append(
            (
                "promised_limit_days",
                N_("The promised limit (%(promised)s) may not exceed the legal limit (%(legal)s)."),
                {"promised": promised, "legal": legal},
            )
        )
    return problems


@dataclass
class ParsedRow:
    row: int
    values: dict[str, Any]
    department: str
    retired: bool | None
    # The item's 申报材料, one per line of the cell; None when the file has no such column (left as they are).
    materials: list[MaterialSpec] | None = None


def _enum(enum: type[LabelledEnum], text: str) -> LabelledEnum | None:
    member = from_chinese(enum, text)
    if member is None:
        member = next((m for m in enum if m.label.lower() == text.strip().lower()), None)
    return member


def parse_rows(
    header_row: int, header: list[str], rows: list[tuple[int, list[str]]]
) -> tuple[list[ParsedRow], list[Problem]]:
    """Read catalog rows into values; every problem names its row and column. Departments stay text."""
    index = header_index(header)
    problems: list[Problem] = []
    missing = [c for c in FILE_COLUMNS if c.required and c.key not in index]
    if missing:
        names = "、".join(c.chinese for c in missing)
        return [], [Problem(header_row, names, N_("Required column missing: %(columns)s."), columns=names)]
    label = {c.key: header[index[c.key]] for c in FILE_COLUMNS if c.key in index}
    parsed: list[ParsedRow] = []
    seen: dict[str, int] = {}
    for row_number, cells in rows:

        def cell(key: str, cells: list[str] = cells) -> str | None:
            position = index.get(key)
            if position is None:
                return None
            return cells[position].strip() if position < len(cells) else ""

        def bad(key: str, template: str, row_number: int = row_number, **params: Any) -> None:
            problems.append(Problem(row_number, label.get(key, key), template, **params))

        values: dict[str, Any] = {}
        name = cell("name") or ""
        values["name"] = name
        if name:
            if name in seen:
                bad("name", N_("“%(name)s” is listed twice (also row %(other)s)."), name=name, other=seen[name])
            else:
                seen[name] = row_number
        for key in ("seq", "legal_limit_days", "promised_limit_days"):
            text = cell(key)
            if text is None:
                continue
            if text == "":
                if key == "seq":
                    continue
                values[key] = None
                continue
            try:
                number = float(text)
                if not number.is_integer():
                    raise ValueError
                values[key] = int(number)
            except ValueError:
                bad(key, N_("“%(value)s” is not a whole number."), value=text)
        for key, enum in (("item_type", ItemType), ("stage", Stage), ("fast_track", FastTrack)):
            text = cell(key)
            if text is None or (text == "" and key == "fast_track"):
                if text == "":
                    values[key] = FastTrack.NONE.value
                continue
            member = _enum(enum, text)
            if member is None:
                allowed = "、".join(CHINESE_NAMES[(enum, m.value)] for m in enum if (enum, m.value) in CHINESE_NAMES)
                bad(key, N_("“%(value)s” is not one of: %(allowed)s."), value=text, allowed=allowed)
            else:
                values[key] = member.value
        for key in ("allows_incomplete", "allows_commitment", "unpublished", "is_other"):
            text = cell(key)
            if text is None:
                continue
            if text.lower() in _TRUE:
                values[key] = True
            elif text.lower() in _FALSE:
                values[key] = False
            else:
                bad(key, N_("“%(value)s” is neither 是 nor 否."), value=text)
        retired: bool | None = None
        status = cell("status")
        if status is not None:
            if status.lower() in _IN_USE:
                retired = False
            elif status.lower() in _RETIRED:
                retired = True
            else:
                bad("status", N_("“%(value)s” is neither 在用 nor 已停用."), value=status)
        materials: list[MaterialSpec] | None = None
        text = cell("materials")
        if text is not None:
            try:
                materials = parse_list(text)
            except ValidationError as error:
                bad("materials", error.template, **error.params)
        department = cell("department") or ""
        if not department:
            bad("department", N_("The department is required."))
        for field, template, params in check_item(values):
            bad(field if field in label else "name", template, **params)
        parsed.append(ParsedRow(row_number, values, department, retired, materials))
    if not parsed:
        problems.append(Problem(None, None, N_("The file has no data rows.")))
    return parsed, problems
