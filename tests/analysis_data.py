"""A hand-built set of cases and items for the pivot and chart tests, inserted directly with known dates.

Today is 2026-11-27 (the `today_is` fixture). Each case and item is a plain dict here, so tests can compute
what a figure must be from the same rows, independently of the SQL under test.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Case, CaseItem, CatalogItem, Enterprise, Evaluation, Project, Region, Staff

D = dt.date
WATER, LAND, HOUSING = "取水许可审批", "建设用地规划许可证核发", "建筑工程施工许可证核发"
DLT, YJH = "150621", "150627"

CASES: list[dict[str, Any]] = [
    # key, region, channel, state, applied, accepted, closed, agent, evaluation
    dict(key="c1", region=DLT, channel="window", state="in_progress", applied=D(2026, 9, 1), accepted=D(2026, 9, 2)),
    dict(
        key="c2",
        region=DLT,
        channel="website",
        state="completed",
        applied=D(2026, 10, 5),
        accepted=D(2026, 10, 6),
        closed=D(2026, 11, 10),
        level="very_satisfied",
    ),
    dict(
        key="c3", region=DLT, channel="window", state="in_progress", applied=D(2026, 10, 20), accepted=D(2026, 10, 21)
    ),
    dict(
        key="c4",
        region=YJH,
        channel="window",
        state="evaluated",
        applied=D(2026, 9, 15),
        accepted=D(2026, 9, 16),
        closed=D(2026, 11, 5),
        level="dissatisfied",
        agent=None,
    ),
    dict(
        key="c5",
        region=DLT,
        channel="app",
        state="evaluated",
        applied=D(2026, 8, 3),
        accepted=D(2026, 8, 4),
        closed=D(2026, 9, 30),
        level="satisfied",
    ),
    dict(key="c6", region=DLT, channel="hotline", state="submitted", applied=D(2026, 11, 25), agent=None),
]

ITEMS: list[dict[str, Any]] = [
    # on time (closed 10-08, due 10-10), 18 working days
    dict(
        case="c1",
        name=WATER,
        state="approved",
        accepted=D(2026, 9, 10),
        due=D(2026, 10, 10),
        closed=D(2026, 10, 8),
        used=18,
    ),
    # late (closed 10-20, due 10-10), 26 working days
    dict(
        case="c1",
        name=LAND,
        state="approved",
        accepted=D(2026, 9, 10),
        due=D(2026, 10, 10),
        closed=D(2026, 10, 20),
        used=26,
    ),
    dict(
        case="c2",
        name=WATER,
        state="approved",
        accepted=D(2026, 10, 6),
        due=D(2026, 11, 3),
        closed=D(2026, 11, 1),
        used=10,
    ),
    # open past its due date: 超期办理
    dict(case="c3", name=WATER, state="in_review", accepted=D(2026, 10, 22), due=D(2026, 11, 20)),
    # not filed by its planned date: 逾期申报
    dict(case="c3", name=LAND, state="planned", filing=D(2026, 11, 1)),
    # paused after its due date: stays 超期办理
    dict(
        case="c3",
        name=HOUSING,
        state="supplement",
        accepted=D(2026, 10, 1),
        due=D(2026, 10, 20),
        paused=D(2026, 10, 25),
    ),
    dict(
        case="c4",
        name=WATER,
        state="approved",
        accepted=D(2026, 9, 20),
        due=D(2026, 10, 20),
        closed=D(2026, 10, 15),
        used=14,
    ),
    dict(
        case="c4",
        name=LAND,
        state="approved",
        accepted=D(2026, 9, 20),
        due=D(2026, 10, 20),
        closed=D(2026, 10, 30),
        used=25,
    ),
    # rejected on its due date: on time
    dict(
        case="c5",
        name=HOUSING,
        state="rejected",
        accepted=D(2026, 8, 10),
        due=D(2026, 9, 7),
        closed=D(2026, 9, 7),
        used=20,
    ),
]


def build_cases(copies: int = 1, batch: str = "A") -> dict[str, Any]:
    """Insert the cases and items (`copies` times over) and return the rows with their database ids filled in."""
    regions = {code: db.session.scalar(select(Region).where(Region.code == code)) for code in (DLT, YJH)}
    agent = db.session.scalar(select(Staff).where(Staff.username == "dlt_agent"))
    catalog = {
        (code, entry.name): entry
        for code, region in regions.items()
        for entry in db.session.scalars(
            select(CatalogItem).where(CatalogItem.region_id == region.id, CatalogItem.name.in_((WATER, LAND, HOUSING)))
        )
    }
    companies = {}
    for code, region in regions.items():
        company = db.session.scalar(select(Enterprise).where(Enterprise.region_id == region.id))
        if company is None:
            company = Enterprise(region_id=region.id, name=f"分析测试企业{code}", credit_code="91350100M000100Y43")
            db.session.add(company)
        companies[code] = company
    db.session.flush()
    cases: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    for copy in range(copies):
        ids: dict[str, dict[str, Any]] = {}
        for spec in CASES:
            region = regions[spec["region"]]
            venture = Project(
                region_id=region.id, enterprise_id=companies[spec["region"]].id, name=f"项目{spec['key']}"
            )
            db.session.add(venture)
            db.session.flush()
            agent_id = agent.id if spec.get("agent", "dlt_agent") else None
            case = Case(
                number=f"{spec['region']}-2026-{batch}{copy:03d}{spec['key']}",
                region_id=region.id,
                project_id=venture.id,
                channel=spec["channel"],
                state=spec["state"],
                agent_id=agent_id,
                applied_on=spec["applied"],
                accepted_on=spec.get("accepted"),
                closed_on=spec.get("closed"),
                enterprise_name=companies[spec["region"]].name,
                credit_code="91350100M000100Y43",
                project_name=venture.name,
            )
            db.session.add(case)
            db.session.flush()
            if spec.get("level"):
                db.session.add(
                    Evaluation(case_id=case.id, level=spec["level"], evaluated_on=spec.get("closed") or spec["applied"])
                )
            row = {**spec, "id": case.id, "region_id": region.id, "agent_id": agent_id}
            ids[spec["key"]] = row
            cases.append(row)
        for position, spec in enumerate(ITEMS):
            owner = ids[spec["case"]]
            entry = catalog[(owner["region"], spec["name"])]
            item = CaseItem(
                case_id=owner["id"],
                catalog_item_id=entry.id,
                catalog_version=entry.version,
                name=entry.name,
                department_id=entry.department_id,
                stage=entry.stage,
                time_limit_days=20,
                state=spec["state"],
                position=position,
                planned_filing_on=spec.get("filing", D(2026, 8, 1)),
                accepted_on=spec.get("accepted"),
                due_on=spec.get("due"),
                closed_on=spec.get("closed"),
                paused_since=spec.get("paused"),
                used_days=spec.get("used"),
            )
            db.session.add(item)
            db.session.flush()
            items.append(
                {
                    **spec,
                    "id": item.id,
                    "case_row": owner,
                    "department_id": entry.department_id,
                    "stage": entry.stage,
                    "catalog_item_id": entry.id,
                    "filing": item.planned_filing_on,
                }
            )
    db.session.commit()
    return {"cases": cases, "items": items, "regions": {code: r.id for code, r in regions.items()}}
