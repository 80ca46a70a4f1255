"""Load reference data (regions, departments, catalog) idempotently, and demo users/data on request."""

from __future__ import annotations

import csv
import secrets
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from flask import current_app
from sqlalchemy import insert, select

from app.domain.enums import ItemType, RegionLevel, RoleName, Stage, from_chinese
from app.domain.materials import MaterialSpec
from app.extensions import db
from app.models import CatalogChange, CatalogItem, CatalogMaterial, Department, Region, Staff
from app.models.org import now

LEAD_KIND = "政务服务部门"
OTHER_ITEM_NAME = "涉及投资项目及工程建设项目审批的其它事项"
# Administrative Licensing Law art. 42: a licence is decided within 20 working days unless a law says otherwise.
DEFAULT_LICENSE_LIMIT_DAYS = 20
# Levels that keep their own departments and catalog.
SERVICE_LEVELS = (RegionLevel.CITY.value, RegionLevel.BANNER.value, RegionLevel.ZONE.value)


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, n: int = 1) -> None:
        if n:
            self.created[what] = self.created.get(what, 0) + n


def _rows(name: str) -> list[dict[str, str]]:
    path = Path(current_app.config["SEEDS_DIR"]) / name
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def seed_reference() -> SeedReport:
    """Regions, each service region's departments and its catalog; run twice, same rows."""
    report = SeedReport()
    _seed_regions(report)
    for region in db.session.scalars(select(Region).where(Region.level.in_(SERVICE_LEVELS))):
        provision_region(region, report)
    db.session.commit()
    return report


def _seed_regions(report: SeedReport) -> None:
    by_code = {r.code: r for r in db.session.scalars(select(Region))}
    for row in _rows("regions.csv"):
        if row["code"] in by_code:
            continue
        parent = by_code.get(row["parent_code"]) if row["parent_code"] else None
        region = Region(code=row["code"], name=row["name"], level=RegionLevel(row["level"]).value, parent=parent)
        db.session.add(region)
        by_code[region.code] = region
        report.count("regions")
    db.session.flush()


def provision_region(region: Region, report: SeedReport | None = None) -> None:
    """Give a service region its departments and its copy of the reference catalog (missing rows only)."""
    report = report or SeedReport()
    departments = {d.kind: d for d in db.session.scalars(select(Department).where(Department.region_id == region.id))}
    for row in _rows("departments.csv"):
        if row["short_name"] in departments:
            continue
        department = Department(
            region_id=region.id,
            kind=row["short_name"],
            name=f"{region.name}{row['full_name_pattern']}",
            role_in_plan=row["role_in_plan"],
            is_approval=row["role_in_plan"].startswith("approval"),
        )
        db.session.add(department)
        departments[department.kind] = department
        report.count("departments")
    db.session.flush()

    seeded = set(
        db.session.scalars(
            select(CatalogItem.reference_seq).where(
                CatalogItem.region_id == region.id, CatalogItem.reference_seq.is_not(None)
            )
        )
    )
    new_items = []
    for row in [*_rows("catalog.csv"), _other_row()]:
        seq = int(row["seq"])
        if seq in seeded:
            continue
        # "发改部门/能源部门": the first named department handles it; admins may reassign.
        kind = row["department"].split("/")[0]
        item_type = from_chinese(ItemType, row["item_type"]) or ItemType.OTHER
        item = CatalogItem(
            region_id=region.id,
            reference_seq=seq,
            seq=seq,
            department_id=departments[kind].id,
            name=row["name"],
            item_type=item_type.value,
            stage=(from_chinese(Stage, row["stage"]) or Stage.OTHER).value,
            legal_limit_days=DEFAULT_LICENSE_LIMIT_DAYS if item_type is ItemType.LICENSE else None,
            is_other=row["name"] == OTHER_ITEM_NAME,
        )
        db.session.add(item)
        new_items.append(item)
    db.session.flush()
    for item in new_items:
        db.session.add(
            CatalogChange(item_id=item.id, version=item.version, action="created", reason="参考目录（附件2）初始化")
        )
    report.count("catalog items", len(new_items))
    db.session.flush()
    _seed_materials(region, {item.id for item in new_items}, report)


MATERIALS_REASON = "参考申报材料初始化"


def _seed_materials(region: Region, new_ids: set[int], report: SeedReport) -> None:
    """The reference items' 申报材料 (seeds/materials.csv) for items that never had any (run twice, same rows).

    Items seeded in this same run get their rows in one insert (every test and every new region seeds them);
    an item seeded before materials existed gets them as a change in its history, one by one.
    """
    from app.services.catalog import apply_material_specs, record_material_change

    by_seq = _reference_materials(str(current_app.config["SEEDS_DIR"]))
    listed = set(db.session.scalars(select(CatalogMaterial.catalog_item_id).distinct()))
    items = db.session.scalars(
        select(CatalogItem).where(CatalogItem.region_id == region.id, CatalogItem.reference_seq.in_(list(by_seq)))
    ).all()
    stamp, fresh = now(), []
    for item in items:
        if item.id in listed or item.reference_seq is None:
            continue
        specs = by_seq[item.reference_seq]
        if item.id in new_ids:
            fresh.extend(
                {
                    "catalog_item_id": item.id,
                    "position": position,
                    "name": spec.name,
                    "form": spec.form,
                    "count": spec.count,
                    "notes": spec.notes,
                    "deferrable": spec.deferrable,
                    "retired_at": None,
                    "created_at": stamp,
                }
                for position, spec in enumerate(specs, start=1)
            )
        else:
            apply_material_specs(item, specs)
            item.updated_at = now()
            db.session.flush()
            record_material_change(item, None, MATERIALS_REASON, [], specs)
        report.count("catalog materials", len(specs))
    if fresh:
        db.session.execute(insert(CatalogMaterial), fresh)
    db.session.flush()


@cache
def _reference_materials(seeds_dir: str) -> dict[int, list[MaterialSpec]]:
    """materials.csv of a seeds folder by reference number, read and checked once per process."""
    from app.domain.materials import clean_spec

    by_seq: dict[int, list[MaterialSpec]] = {}
    with (Path(seeds_dir) / "materials.csv").open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            spec = clean_spec(row["material"], row["form"], row["count"], row["notes"], row["deferrable"] == "是")
            by_seq.setdefault(int(row["seq"]), []).append(spec)
    return by_seq


def _other_row() -> dict[str, str]:
    """The plan's line 31: any other approval the applicant names in free text."""
    return {"seq": "31", "department": LEAD_KIND, "name": OTHER_ITEM_NAME, "item_type": "其他", "stage": "其他"}


# --- demo -------------------------------------------------------------------------------------------

DEMO_USERS: list[dict[str, str | None]] = [
    {"username": "admin", "name": "何志远", "role": RoleName.ADMIN, "region": None, "kind": None},
    {"username": "supervisor", "name": "郝建华", "role": RoleName.SUPERVISOR, "region": "150600", "kind": None},
    {"username": "agent", "name": "白雪梅", "role": RoleName.AGENT, "region": "150600", "kind": LEAD_KIND},
    {"username": "liaison", "name": "乔文斌", "role": RoleName.LIAISON, "region": "150600", "kind": "水利部门"},
    {"username": "dlt_supervisor", "name": "高永胜", "role": RoleName.SUPERVISOR, "region": "150621", "kind": None},
    {"username": "dlt_agent", "name": "刘晓燕", "role": RoleName.AGENT, "region": "150621", "kind": LEAD_KIND},
    {
        "username": "dlt_liaison_water",
        "name": "张海军",
        "role": RoleName.LIAISON,
        "region": "150621",
        "kind": "水利部门",
    },
    {
        "username": "dlt_liaison_land",
        "name": "王丽娜",
        "role": RoleName.LIAISON,
        "region": "150621",
        "kind": "自然资源部门",
    },
]


def demo_password() -> str:
    """DEMO_PASSWORD from the environment, else one generated per install and kept in the instance folder."""
    configured = current_app.config.get("DEMO_PASSWORD")
    if configured:
        return configured
    path = Path(current_app.instance_path) / "demo_password"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    # Letters and digits, as the password policy wants.
    password = f"demo-{secrets.token_hex(4)}-{secrets.randbelow(90) + 10}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(password, encoding="utf-8")
    path.chmod(0o600)
    return password


def seed_demo(password_hash: str) -> list[tuple[str, str, str]]:
    """Demo users, their password (re)set to the given hash each run, so the printed one is always true."""
    sm = current_app.appbuilder.sm
    regions = {r.code: r for r in db.session.scalars(select(Region))}
    logins = []
    for n, spec in enumerate(DEMO_USERS, start=1):
        role = sm.find_role(spec["role"].value)
        region = regions.get(spec["region"]) if spec["region"] else None
        department = None
        if region is not None and spec["kind"]:
            department = db.session.scalar(
                select(Department).where(Department.region_id == region.id, Department.kind == spec["kind"])
            )
        user = db.session.scalar(select(Staff).where(Staff.username == spec["username"]))
        if user is None:
            user = Staff(username=spec["username"], email=f"{spec['username']}@demo.invalid", active=True)
            db.session.add(user)
        user.first_name = spec["name"]
        user.last_name = ""
        user.roles = [role]
        user.region = region
        user.department = department
        user.phone = user.phone or f"0477-83{n:05d}"  # a work phone: the papers print the agent's for the applicant
        user.password = password_hash
        user.changed_on = now()
        logins.append((spec["username"], spec["role"].value, region.name if region else "-"))
    db.session.commit()
    return logins
