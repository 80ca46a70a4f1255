"""Upgrading a database of the previous release, with data in it, to the current schema."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from flask_migrate import upgrade
from sqlalchemy import MetaData, func, insert, inspect, select

from app.extensions import db
from app.models import Case, CatalogChange, CatalogItem, Region
from app.services import catalog, seeding
from app.services.ledger import LedgerScope, region_scope_for, write_ledger
from app.services.roles import sync_roles
from tests.conftest import _drop_everything

pytestmark = pytest.mark.every_engine  # the upgrade path runs on each engine's DDL

# The schema as the case-lifecycle release shipped it (before ledgers, reports and lockouts).
PREVIOUS_RELEASE = "3cd04ed015e5"


def test_a_database_of_the_previous_release_upgrades_with_its_cases_intact(app, monkeypatch):
    db.session.remove()
    _drop_everything()
    try:
        upgrade(revision=PREVIOUS_RELEASE)
        tables = set(inspect(db.engine).get_table_names())
        assert "agency_case" in tables and "monthly_report" not in tables
        with monkeypatch.context() as previous:  # that release's seed: no 申报材料 yet
            previous.setattr(seeding, "_seed_materials", lambda *args: None)
            seeding.seed_reference()  # regions, departments and catalog have not changed since that release
        dalate = db.session.scalar(select(Region).where(Region.code == "150621"))
        water = db.session.scalar(
            select(CatalogItem).where(CatalogItem.region_id == dalate.id, CatalogItem.name == "取水许可审批")
        )
        connection = db.session.connection()
        old = MetaData()
        old.reflect(connection)  # the previous release's tables: today's models have more columns
        connection.execute(
            insert(old.tables["enterprise"]).values(
                id=1,
                region_id=dalate.id,
                name="老版本企业",
                credit_code="91350100M000100Y43",
                address="",
                postcode="",
                legal_representative="",
                phone="",
                contact_person="",
                contact_phone="",
                created_at=dt.datetime(2026, 9, 1),
            )
        )
        connection.execute(
            insert(old.tables["project"]).values(
                id=1,
                region_id=dalate.id,
                enterprise_id=1,
                name="老版本项目",
                address="",
                fund_source="",
                land_nature="",
                is_key_project=False,
                category="other",
                main_use_and_scale="",
                leader_in_charge="",
                progress_before="",
                created_at=dt.datetime(2026, 9, 1),
            )
        )
        connection.execute(
            insert(old.tables["agency_case"]).values(
                id=1,
                number="150621-2026-0001",
                region_id=dalate.id,
                project_id=1,
                channel="window",
                state="in_progress",
                applied_on=dt.date(2026, 9, 1),
                other_items_text="",
                request_note="",
                close_reason="",
                materials_returned=False,
                materials_note="",
                archived=False,
                updated_at=dt.datetime(2026, 9, 1),
                version=3,
            )
        )
        connection.execute(
            insert(old.tables["case_item"]).values(
                id=1,
                case_id=1,
                catalog_item_id=water.id,
                catalog_version=1,
                name=water.name,
                department_id=water.department_id,
                stage=water.stage,
                time_limit_days=20,
                state="accepted",
                position=1,
                accepted_on=dt.date(2026, 9, 25),
                due_on=dt.date(2026, 10, 29),
                paused_days=0,
                incomplete_acceptance=False,
                commitment=False,
                note="",
                updated_at=dt.datetime(2026, 9, 25),
                version=2,
            )
        )
        db.session.commit()

        upgrade()

        tables = set(inspect(db.engine).get_table_names())
        assert {"monthly_report", "export_job"} <= tables
        assert "last_failed_login" in {c["name"] for c in inspect(db.engine).get_columns("ab_user")}
        case = db.session.get(Case, 1)
        assert (case.number, case.state, case.items[0].due_on) == (
            "150621-2026-0001",
            "in_progress",
            dt.date(2026, 10, 29),
        )
        # What the case was submitted with is today's best record of it; its items keep the catalog's rules.
        assert (case.enterprise_name, case.project_name, case.credit_code) == (
            "老版本企业",
            "老版本项目",
            "91350100M000100Y43",
        )
        assert case.items[0].allows_incomplete is False
        region, ids = region_scope_for("150621")
        buffer = io.BytesIO()
        write_ledger(buffer, LedgerScope(ids, region.name))
        buffer.seek(0)
        assert openpyxl.load_workbook(buffer)["事项台账"]["F4"].value == "取水许可审批"
        # `flask seed` after the upgrade gives the old catalog its materials, each as a change in its history.
        seeding.seed_reference()
        db.session.expire_all()
        water = db.session.get(CatalogItem, water.id)
        assert water.version == 2 and [m.name for m in catalog.item_materials(water)][:1] == ["取水许可申请书"]
        assert (
            db.session.scalar(
                select(func.count(CatalogChange.id)).where(
                    CatalogChange.item_id == water.id, CatalogChange.field == "materials"
                )
            )
            == 1
        )
    finally:
        db.session.remove()
        _drop_everything()
        upgrade()
        sync_roles()  # the next tests find the permission model as the session fixture left it
