"""Bad input, generated: no crash (500) and no partial write, whatever comes in."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.domain.codes import validate_credit_code, validate_project_code
from app.domain.errors import DomainError, ValidationError
from app.domain.workflow import CASE_TRANSITIONS, ITEM_TRANSITIONS
from app.extensions import db
from app.models import CaseEvent
from app.services import cases, catalog
from app.services.tabular import Table
from tests.factories import apply

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
cell = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["", "是", "否", "行政许可", "水利部门", "20", "-1", "=1+1", "取水许可审批", "立项用地规划许可", "已停用"]
    ),
)


def _snapshot() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in Model.metadata.sorted_tables}


@given(st.text(max_size=40))
def test_the_code_validators_accept_or_explain_never_crash(text):
    for validate in (validate_credit_code, validate_project_code):
        try:
            assert isinstance(validate(text), str)
        except ValidationError as error:
            assert str(error)


@FUZZ
@given(rows=st.lists(st.lists(cell, max_size=9), max_size=8), with_header=st.booleans())
def test_a_generated_catalog_file_is_applied_whole_or_refused_whole(app, staff, region, rows, with_header):
    header = [
        "序号",
        "承办部门",
        "事项名称",
        "事项类型",
        "所属阶段",
        "法定时限（工作日）",
        "承诺时限（工作日）",
        "状态",
    ]
    table = Table(([header] if with_header else []) + rows)
    before = _snapshot()
    try:
        report = catalog.import_catalog(region("150621").id, table, staff("admin"), "fuzz")
    except DomainError:
        db.session.rollback()
        assert _snapshot() == before
    else:
        assert report.changed or _snapshot() == before


field_text = st.text(max_size=40)


@FUZZ
@given(
    enterprise=st.fixed_dictionaries(
        {"name": field_text, "credit_code": field_text, "postcode": field_text, "phone": field_text}
    ),
    project=st.fixed_dictionaries(
        {
            "name": field_text,
            "code": field_text,
            "total_investment": field_text,
            "planned_investment": field_text,
            "category": field_text,
        }
    ),
    channel=st.sampled_from(["window", "app", "fax", ""]),
)
def test_a_generated_application_registers_or_changes_nothing(app, staff, region, enterprise, project, channel):
    before = _snapshot()
    try:
        cases.submit_application(
            region("150621").id, enterprise, project, channel, dt.date(2026, 11, 2), [], staff("dlt_agent")
        )
    except DomainError:
        db.session.rollback()
        assert _snapshot() == before


@FUZZ
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(sorted({t.action for t in CASE_TRANSITIONS + ITEM_TRANSITIONS})),
            st.sampled_from(["dlt_agent", "dlt_supervisor", "dlt_liaison_water", "dlt_liaison_land", "agent"]),
            st.booleans(),
            st.booleans(),
        ),
        max_size=12,
    )
)
def test_random_moves_either_happen_fully_or_not_at_all(app, staff, steps):
    app.config["TODAY"] = "2026-11-27"
    case = apply(staff("dlt_agent"), names=("取水许可审批",))
    for action, username, on_item, with_note in steps:
        events = db.session.scalar(select(func.count(CaseEvent.id)))
        state_before = (db.session.get(type(case), case.id).state, [i.state for i in case.items])
        try:
            if on_item:
                cases.move_item(
                    case.items[0].id, action, staff(username), dt.date(2026, 11, 20), note="说明" if with_note else ""
                )
            else:
                cases.move_case(
                    case.id,
                    action,
                    staff(username),
                    dt.date(2026, 11, 20),
                    note="理由" if with_note else "",
                    archived=with_note,
                    level="satisfied",
                )
        except DomainError:
            db.session.rollback()
            db.session.expire_all()
            assert db.session.scalar(select(func.count(CaseEvent.id))) == events
            case = db.session.get(type(case), case.id)
            assert (case.state, [i.state for i in case.items]) == state_before
        else:
            assert db.session.scalar(select(func.count(CaseEvent.id))) > events
    app.config.pop("TODAY", None)


@FUZZ
@given(
    form=st.dictionaries(
        st.sampled_from(
            [
                "enterprise_name",
                "enterprise_credit_code",
                "project_name",
                "project_code",
                "project_total_investment",
                "channel",
                "applied_on",
                "catalog_item_id",
                "other_text",
            ]
        ),
        field_text,
        max_size=9,
    )
)
def test_the_application_page_never_fails_on_generated_input(login, form):
    response = login("dlt_agent").post("/cases/new", data=form)
    if any("\x00" in value for value in form.values()):
        assert response.status_code == 400  # no one types a NUL: refused before any query (PostgreSQL raises)
    else:
        assert response.status_code in (200, 302)
