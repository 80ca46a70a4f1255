"""Enumerations of the domain, stored by their English code, shown by their translated label."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from app.domain.errors import N_


class LabelledEnum(StrEnum):
    """A StrEnum whose members carry an English label marked for translation."""

    @property
    def label(self) -> str:
        return _LABELS[(type(self), self.value)]

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]


class RegionLevel(LabelledEnum):
    AUTONOMOUS_REGION = "region"
    CITY = "city"
    BANNER = "banner"
    ZONE = "zone"


class RoleName(LabelledEnum):
    ADMIN = "Admin"
    SUPERVISOR = "Supervisor"
    AGENT = "Agent"
    LIAISON = "Liaison"


class Stage(LabelledEnum):
    """Approval stages of an investment project, in their legal order."""

    PLANNING = "planning"
    PROJECT_LAND = "project_land"
    ENGINEERING = "engineering"
    CONSTRUCTION = "construction"
    COMPLETION = "completion"
    OTHER = "other"


class ItemType(LabelledEnum):
    LICENSE = "license"
    OTHER_POWER = "other_power"
    PUBLIC_SERVICE = "public_service"
    OTHER = "other"


class FastTrack(LabelledEnum):
    """The joint fast-track services an item belongs to (多评合一 / 多图联审 / 联合验收)."""

    NONE = "none"
    MULTI_ASSESSMENT = "multi_assessment"
    MULTI_DRAWING = "multi_drawing"
    JOINT_ACCEPTANCE = "joint_acceptance"


class CatalogAction(LabelledEnum):
    CREATED = "created"
    UPDATED = "updated"
    RETIRED = "retired"
    RESTORED = "restored"


class DayKind(LabelledEnum):
    """What an entered calendar day is: a day off, or a (make-up) working day."""

    HOLIDAY = "holiday"
    WORKDAY = "workday"


def register_labels(labels: list[tuple[LabelledEnum, str]]) -> None:
    """Record English labels by (enum, value): members of different enums share values ("planned"), so no dict."""
    _LABELS.update({(type(member), member.value): label for member, label in labels})


_LABELS: dict[tuple[type, str], str] = {}

register_labels(
    [
        (RegionLevel.AUTONOMOUS_REGION, N_("Autonomous region")),
        (RegionLevel.CITY, N_("City")),
        (RegionLevel.BANNER, N_("Banner/district")),
        (RegionLevel.ZONE, N_("Development zone")),
        (RoleName.ADMIN, N_("Administrator")),
        (RoleName.SUPERVISOR, N_("Supervisor")),
        (RoleName.AGENT, N_("Agent")),
        (RoleName.LIAISON, N_("Department liaison")),
        (Stage.PLANNING, N_("Project planning")),
        (Stage.PROJECT_LAND, N_("Project approval, land use and planning permit")),
        (Stage.ENGINEERING, N_("Construction project permit")),
        (Stage.CONSTRUCTION, N_("Construction permit")),
        (Stage.COMPLETION, N_("Completion acceptance")),
        (Stage.OTHER, N_("Other")),
        (ItemType.LICENSE, N_("Administrative licence")),
        (ItemType.OTHER_POWER, N_("Other administrative power")),
        (ItemType.PUBLIC_SERVICE, N_("Public service")),
        (ItemType.OTHER, N_("Other")),
        (FastTrack.NONE, N_("None")),
        (FastTrack.MULTI_ASSESSMENT, N_("Multiple assessments in one")),
        (FastTrack.MULTI_DRAWING, N_("Joint drawing review")),
        (FastTrack.JOINT_ACCEPTANCE, N_("Joint acceptance")),
        (CatalogAction.CREATED, N_("Created")),
        (CatalogAction.UPDATED, N_("Updated")),
        (CatalogAction.RETIRED, N_("Retired")),
        (CatalogAction.RESTORED, N_("Restored")),
        (DayKind.HOLIDAY, N_("Day off")),
        (DayKind.WORKDAY, N_("Working day")),
    ]
)

# The Chinese names used in the plan's documents and in catalog files, per enum member.
# Catalog files are read and written with these, whatever the UI language.
_CHINESE: list[tuple[LabelledEnum, str]] = [
    (Stage.PLANNING, "策划生成"),
    (Stage.PROJECT_LAND, "立项用地规划许可"),
    (Stage.ENGINEERING, "工程建设许可"),
    (Stage.CONSTRUCTION, "施工许可"),
    (Stage.COMPLETION, "竣工验收"),
    (Stage.OTHER, "其他"),
    (ItemType.LICENSE, "行政许可"),
    (ItemType.OTHER_POWER, "其它行政权力"),
    (ItemType.PUBLIC_SERVICE, "公共服务"),
    (ItemType.OTHER, "其他"),
    (FastTrack.NONE, "无"),
    (FastTrack.MULTI_ASSESSMENT, "多评合一"),
    (FastTrack.MULTI_DRAWING, "多图联审"),
    (FastTrack.JOINT_ACCEPTANCE, "联合验收"),
    (DayKind.HOLIDAY, "休"),
    (DayKind.WORKDAY, "班"),
]
CHINESE_NAMES: dict[tuple[type, str], str] = {(type(m), m.value): name for m, name in _CHINESE}


def chinese_name(member: LabelledEnum) -> str:
    """The Chinese name of a member as the plan's documents and catalog files write it."""
    return CHINESE_NAMES[(type(member), member.value)]


# Spellings met in real files that mean the same member. Attachment 2 lists item 16
# (水利工程建设项目验收) as "其它行政许可", which is not a category of the power lists:
# it is read as 其它行政权力.
CHINESE_ALIASES: dict[str, LabelledEnum] = {
    "其它行政许可": ItemType.OTHER_POWER,
    "其他行政权力": ItemType.OTHER_POWER,
    "其它": Stage.OTHER,
    "其他事项": ItemType.OTHER,
    "休息": DayKind.HOLIDAY,
    "假": DayKind.HOLIDAY,
    "节假日": DayKind.HOLIDAY,
    "holiday": DayKind.HOLIDAY,
    "上班": DayKind.WORKDAY,
    "调休上班": DayKind.WORKDAY,
    "workday": DayKind.WORKDAY,
}


E = TypeVar("E", bound=LabelledEnum)


def from_chinese(enum: type[E], text: str) -> E | None:
    """The member of `enum` a Chinese name (or its English code) stands for, or None."""
    text = text.strip()
    for member in enum:
        if text in (CHINESE_NAMES.get((enum, member.value)), member.value):
            return member
    alias = CHINESE_ALIASES.get(text)
    return alias if isinstance(alias, enum) else None
