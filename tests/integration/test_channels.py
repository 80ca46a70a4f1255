"""Channels (#12): the public online application, the progress lookup and the 12345 hotline intake."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Case, CaseEvent, CatalogItem, Region, ServerSession
from app.services import cases, channels
from tests.factories import CREDIT_CODE, ENTERPRISE, PROJECT, catalog_ids

pytestmark = pytest.mark.every_engine  # claims of tickets and challenges under each engine's locking

APPLY_URL = "/public/apply/150621"
CONTACT_PHONE = "139 0477-0000"  # registered as typed; looked up as 13904770000, +86 …, with dashes


def form_values(**changes: object) -> dict[str, object]:
    """A complete, valid public application for 达拉特旗 (two items of its published catalog)."""
    values: dict[str, object] = {f"enterprise_{k}": v for k, v in ENTERPRISE.items()}
    values |= {f"project_{k}": v for k, v in PROJECT.items() if k not in ("is_key_project", "leader_in_charge")}
    values |= {
        "enterprise_contact_phone": CONTACT_PHONE,
        "catalog_item_id": [str(i) for i in catalog_ids("150621", "取水许可审批", "建设用地规划许可证核发")],
        "other_text": "",
        "note": "希望尽快开工",
    }
    values.update(changes)
    return values


_NUMERALS = {c: n for n, c in enumerate("零一二三四五六七八九")}


def _chinese(text: str) -> int:
    if "十" not in text:
        return _NUMERALS[text]
    tens, _, ones = text.partition("十")
    return (_NUMERALS[tens] if tens else 1) * 10 + (_NUMERALS[ones] if ones else 0)


def solve(page: str) -> dict[str, str]:
    """What a person reads off the form: the question (in Chinese numerals) answered, with its token."""
    question = re.search(r"([零一二三四五六七八九十]+)加([零一二三四五六七八九十]+)等于多少", page)
    token = re.search(r'name="challenge_token" value="([^"]+)"', page)
    assert question and token, "the form shows a check question"
    return {"challenge_token": token.group(1), "challenge_answer": str(_chinese(question[1]) + _chinese(question[2]))}


@pytest.fixture
def quick(app, monkeypatch, today_is):
    """Forms may be sent at once (a person takes longer; the minimum fill time has its own test)."""
    monkeypatch.setitem(app.config, "PUBLIC_CHALLENGE_MIN_SECONDS", 0)
    return app


def send(client, **changes: object):
    page = client.get(APPLY_URL).get_data(as_text=True)
    return client.post(APPLY_URL, data=form_values(**solve(page), **changes))


def field_error(page: str, name: str) -> str:
    match = re.search(rf'id="{name}-error">([^<]*)<', page)
    return match.group(1) if match else ""


def newest_case() -> Case | None:
    return db.session.scalars(select(Case).order_by(Case.id.desc())).first()


# --- the public application journey -----------------------------------------------------------------------


def test_an_enterprise_applies_online_and_gets_a_case_in_submitted_with_its_receipt(client, quick):
    form = client.get(APPLY_URL)
    page = form.get_data(as_text=True)
    assert form.status_code == 200
    assert "达拉特旗" in page and "取水许可审批" in page and "达拉特旗水利局" in page
    response = client.post(APPLY_URL, data=form_values(**solve(page)))
    assert response.status_code == 302 and response.headers["Location"].endswith("/public/apply/150621/done")
    case = newest_case()
    assert (case.state, case.channel, case.region.code) == ("submitted", "website", "150621")
    assert re.fullmatch(r"W\d{8}[2-9A-Z]{6}", case.channel_ref)
    assert [item.name for item in case.items] == ["取水许可审批", "建设用地规划许可证核发"]
    assert (case.credit_code, case.project_code, str(case.total_investment)) == (
        CREDIT_CODE,
        PROJECT["code"],
        "98000.00",
    )
    assert case.created_by_id is None and case.request_note == "希望尽快开工"
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert case.number in done and case.channel_ref in done
    assert "139****0000" in done and f"/public/progress?number={case.number}" in done


def test_the_application_is_signed_by_the_system_and_waits_in_the_regions_list_for_its_agent(client, quick, login):
    send(client)
    case = newest_case()
    submitted = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "submit"))
    assert [event.actor_id for event in submitted] == [None]
    agent = login("dlt_agent")
    assert case.number in agent.get("/queue/cases").get_data(as_text=True)  # new applications nobody took yet
    listing = agent.get("/caselist/list/?_flt_0_channel=website").get_data(as_text=True)
    assert case.number in listing and "政务服务网" in listing
    assert case.number in agent.get(f"/caselist/list/?_flt_0_search={case.channel_ref}").get_data(as_text=True)
    page = agent.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "政务服务网" in page and case.channel_ref in page


def test_the_form_opens_in_chinese_and_follows_the_language_switch(client):
    page = client.get(APPLY_URL).get_data(as_text=True)
    assert 'lang="zh-CN"' in page and "统一社会信用代码" in page and "/lang/en" in page
    client.get("/lang/en")
    page = client.get(APPLY_URL).get_data(as_text=True)
    assert 'lang="en"' in page and "Unified social credit code" in page
    assert re.search(r"What is [a-z-]+ plus [a-z-]+\?", page) and "等于多少" not in page  # the question too


def test_the_region_index_links_every_region_with_a_published_catalog(client):
    page = client.get("/public/apply").get_data(as_text=True)
    assert "/public/apply/150621" in page and "达拉特旗" in page
    assert client.get("/public/apply/999999").status_code == 404


# --- every refusal, shown at its field, nothing typed lost ------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("enterprise_credit_code", "91350100M000100Y44", "校验位"),
        ("enterprise_credit_code", "12345", "18"),
        ("project_code", "2026-150621-44", "24"),
        ("project_total_investment", "九万八千", "万元"),
        ("project_planned_investment", "-5", "万元"),
        ("enterprise_postcode", "01430", "6"),
        ("enterprise_contact_phone", "12345", "电话"),
        ("enterprise_name", "", "必"),
        ("enterprise_contact_person", " ", "必"),
        ("enterprise_contact_phone", "", "必"),
        ("project_name", "", "必"),
    ],
)
def test_a_mistake_is_refused_at_its_field_and_everything_typed_comes_back(client, quick, field, value, message):
    response = send(client, **{field: value, "enterprise_address": "达拉特旗树林召镇 1 号"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and newest_case() is None
    assert message in field_error(page, field)
    assert 'value="达拉特旗树林召镇 1 号"' in page
    assert f'value="{value}"' in page  # what was typed, even when refused
    assert f'value="{PROJECT["code"] if field != "project_code" else value}"' in page
    assert page.count("checked") == 2  # the items chosen stay chosen
    assert "希望尽快开工" in page


def test_this_years_investment_above_the_total_is_refused(client, quick):
    page = send(client, project_planned_investment="99000").get_data(as_text=True)
    assert "不能超过" in field_error(page, "project_planned_investment") and newest_case() is None


def test_this_years_investment_above_the_total_is_reported_with_the_other_mistakes(client, quick, login):
    wrong = {"project_planned_investment": "99000", "enterprise_credit_code": "123", "project_name": ""}
    page = send(client, **wrong).get_data(as_text=True)
    assert "不能超过" in field_error(page, "project_planned_investment")
    assert field_error(page, "enterprise_credit_code") and field_error(page, "project_name")
    office = login("dlt_agent").post("/cases/new", data=form_values(channel="window", applied_on="2026-11-02", **wrong))
    page = office.get_data(as_text=True)
    assert "不能超过" in field_error(page, "project_planned_investment") and field_error(page, "enterprise_credit_code")
    assert newest_case() is None


def test_the_project_category_has_no_default_and_must_be_chosen(client, quick, login):
    form = client.get(APPLY_URL).get_data(as_text=True)
    assert re.search(r'<option value="" selected>', form.split('id="project_category"', 1)[1].split("</select>")[0])
    page = send(client, project_category="").get_data(as_text=True)
    assert field_error(page, "project_category") == "此项为必填项。" and newest_case() is None
    agent = login("dlt_agent")
    assert '<option value="" selected>' in agent.get("/cases/new").get_data(as_text=True)
    page = agent.post("/cases/new", data=form_values(channel="window", project_category="")).get_data(as_text=True)
    assert "类别" in field_error(page, "project_category") and newest_case() is None


def test_an_item_outside_the_regions_published_catalog_is_refused(client, quick, staff):
    city_item = catalog_ids("150600", "取水许可审批")[0]  # the city's list, not 达拉特旗's
    page = send(client, catalog_item_id=[str(city_item)]).get_data(as_text=True)
    assert "目录" in field_error(page, "catalog_item_id") and newest_case() is None
    secret = db.session.scalar(
        select(CatalogItem.id)
        .join(Region)
        .where(Region.code == "150621", CatalogItem.name == "涉及国家安全事项的建设项目审批")
    )
    from app.services import catalog

    catalog.update_item(secret, {"unpublished": True}, staff("admin"), "涉密")
    page = send(client, catalog_item_id=[str(secret)]).get_data(as_text=True)
    assert "目录" in field_error(page, "catalog_item_id") and newest_case() is None


def test_no_item_chosen_is_refused_unless_another_approval_is_named(client, quick):
    page = send(client, catalog_item_id=[]).get_data(as_text=True)
    assert "至少" in field_error(page, "catalog_item_id") and newest_case() is None
    assert send(client, catalog_item_id=[], other_text="矿产资源开采审批").status_code == 302
    assert [item.name for item in newest_case().items] == ["其它：矿产资源开采审批"]


def test_a_wrong_answer_is_refused_with_a_new_question_and_the_other_mistakes_shown(client, quick):
    page = client.get(APPLY_URL).get_data(as_text=True)
    answer = solve(page)
    wrong = str(int(answer["challenge_answer"]) + 1)
    response = client.post(
        APPLY_URL, data=form_values(**{**answer, "challenge_answer": wrong}, enterprise_credit_code="x")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and newest_case() is None
    assert "不正确" in field_error(page, "challenge_answer")
    assert field_error(page, "enterprise_credit_code")
    assert solve(page)["challenge_token"] != answer["challenge_token"]


def test_an_expired_question_is_refused(client, quick, monkeypatch):
    from app.security import limits as pages

    page = client.get(APPLY_URL).get_data(as_text=True)
    later = pages._now() + quick.config["PUBLIC_CHALLENGE_MAX_MINUTES"] * 60 + 5
    monkeypatch.setattr(pages, "_now", lambda: later)
    page = client.post(APPLY_URL, data=form_values(**solve(page))).get_data(as_text=True)
    assert "过期" in field_error(page, "challenge_answer") and newest_case() is None


def test_a_question_answered_once_cannot_send_a_second_application(client, quick):
    answer = solve(client.get(APPLY_URL).get_data(as_text=True))
    assert client.post(APPLY_URL, data=form_values(**answer)).status_code == 302
    again = client.post(APPLY_URL, data=form_values(**answer, project_code="2026-150621-44-01-654321"))
    assert again.status_code == 400 and "不正确" in field_error(again.get_data(as_text=True), "challenge_answer")
    assert db.session.scalar(select(db.func.count(Case.id))) == 1


def test_a_wrong_answer_uses_the_question_up(client, quick):
    answer = solve(client.get(APPLY_URL).get_data(as_text=True))
    wrong = {**answer, "challenge_answer": str(int(answer["challenge_answer"]) + 1)}
    assert client.post(APPLY_URL, data=form_values(**wrong)).status_code == 400
    right = client.post(APPLY_URL, data=form_values(**answer))
    assert right.status_code == 400 and "不正确" in field_error(right.get_data(as_text=True), "challenge_answer")
    assert newest_case() is None


def test_six_applications_sent_at_once_with_one_solved_question_register_one_case(app, quick):
    import threading

    answer = solve(app.test_client().get(APPLY_URL).get_data(as_text=True))
    data = form_values(**answer)
    db.session.remove()
    start, codes = threading.Barrier(6), []

    def send_once() -> None:
        client = app.test_client()
        start.wait(10)
        codes.append(client.post(APPLY_URL, data=data).status_code)

    threads = [threading.Thread(target=send_once) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(codes) == [302, 400, 400, 400, 400, 400]
    assert db.session.scalar(select(func.count(Case.id))) == 1


def test_a_solved_question_carries_over_while_the_applicant_corrects_fields(client, quick):
    answer = solve(client.get(APPLY_URL).get_data(as_text=True))
    page = client.post(APPLY_URL, data=form_values(**answer, project_code="bad")).get_data(as_text=True)
    assert "等于多少" not in page and answer["challenge_token"] in page
    assert client.post(APPLY_URL, data=form_values(**answer)).status_code == 302


def test_a_filled_honeypot_is_refused(client, quick):
    page = send(client, website="http://spam.example").get_data(as_text=True)
    assert field_error(page, "challenge_answer") and newest_case() is None


def test_a_form_sent_faster_than_a_person_fills_it_is_refused(client, app, monkeypatch, today_is):
    monkeypatch.setitem(app.config, "PUBLIC_CHALLENGE_MIN_SECONDS", 60)
    page = send(client).get_data(as_text=True)
    assert "太快" in field_error(page, "challenge_answer") and newest_case() is None


def test_a_project_code_already_in_the_books_is_refused_without_naming_its_owner(client, quick, staff):
    from tests.factories import apply

    other = apply(staff("dlt_agent"), code="2026-150621-44-01-777777")
    page = send(client, project_code="2026-150621-44-01-777777").get_data(as_text=True)
    message = field_error(page, "project_code")
    assert "已在服务中心登记" in message and other.number not in page and newest_case().id == other.id


def test_a_registered_enterprise_is_not_rewritten_from_the_public_page(client, quick, staff):
    from tests.factories import apply

    first = apply(staff("dlt_agent"), code="2026-150621-44-01-555555")  # the same enterprise, another project
    assert send(client, enterprise_address="别处", enterprise_name="冒名公司").status_code == 302
    db.session.expire_all()
    assert first.project.enterprise.address == ENTERPRISE["address"]
    assert newest_case().enterprise_name == "冒名公司"  # the case keeps what was sent


def test_a_registered_project_is_not_rewritten_from_the_public_page(client, quick, staff):
    from tests.factories import apply

    agent = staff("dlt_agent")
    first = apply(agent, code=PROJECT["code"])  # the same enterprise and project code as the public form
    cases.refuse_case(first.id, agent, "材料不齐，申请人撤回")  # no open case: the code may be applied for again
    assert send(client, project_name="改名后的项目", project_address="别处").status_code == 302
    db.session.expire_all()
    assert (first.project.name, first.project.address) == (PROJECT["name"], PROJECT["address"])
    newest = newest_case()
    assert newest.id != first.id and newest.project_id == first.project_id
    assert newest.project_name == "改名后的项目"  # the new case keeps what was sent


# --- rate limits ------------------------------------------------------------------------------------------


@pytest.fixture
def limited(second_app):
    return second_app(
        RATELIMIT_ENABLED=True,
        PUBLIC_APPLY_RATE_LIMIT="2 per hour",
        PUBLIC_PROGRESS_RATE_LIMIT="3 per hour",
        PUBLIC_PROGRESS_NUMBER_RATE_LIMIT="100 per hour",
        PUBLIC_CHALLENGE_MIN_SECONDS=0,
    )


def _sessions() -> int:
    db.session.rollback()  # a fresh read
    return db.session.scalar(select(func.count()).select_from(ServerSession))


def test_looking_at_the_public_forms_stores_no_session_and_only_a_sent_application_does(second_app, today_is):
    guarded = second_app(WTF_CSRF_ENABLED=True, PUBLIC_CHALLENGE_MIN_SECONDS=0)  # CSRF checked, as in production
    visitor = guarded.test_client()
    before = _sessions()
    with guarded.app_context():
        page = visitor.get(APPLY_URL).get_data(as_text=True)
        assert 'name="csrf_token"' not in page
        visitor.get("/public/progress").close()
        looked_up = visitor.post("/public/progress", data={"number": "150621-2026-9999", "phone": CONTACT_PHONE})
        assert looked_up.status_code == 200
        assert _sessions() == before and visitor.get_cookie("session") is None
        sent = visitor.post(APPLY_URL, data=form_values(**solve(page)))  # no CSRF token: the signed question
        assert sent.status_code == 302 and newest_case().channel == "website"
        assert _sessions() == before + 1  # the receipt for the success page
        assert newest_case().number in visitor.get(sent.headers["Location"]).get_data(as_text=True)


def test_applications_from_one_address_are_rate_limited_and_the_form_comes_back(limited):
    client = limited.test_client()
    with limited.app_context():
        values = form_values(enterprise_credit_code="bad")
    codes = [client.post(APPLY_URL, data=values).status_code for _ in range(3)]
    assert codes == [400, 400, 429]
    page = client.post(APPLY_URL, data=values).get_data(as_text=True)
    assert "次数过多" in page and 'value="达拉特旗光伏新能源有限公司"' in page
    other_address = client.post(APPLY_URL, data=values, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other_address.status_code == 400


def test_progress_lookups_are_rate_limited_per_address_and_per_case_number(limited, second_app):
    client = limited.test_client()
    codes = [client.post("/public/progress", data={"number": "X", "phone": "1"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    per_number = second_app(RATELIMIT_ENABLED=True, PUBLIC_PROGRESS_NUMBER_RATE_LIMIT="2 per hour")
    client = per_number.test_client()
    codes = [
        client.post(
            "/public/progress", data={"number": "150621-2026-0001", "phone": "1"}, environ_base={"REMOTE_ADDR": ip}
        ).status_code
        for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4")
    ]
    # Two failures spend the number's allowance; from then on it backs off to one try per two minutes (never shut).
    assert codes == [200, 200, 200, 429]


def test_drawing_the_forms_is_capped_per_address(second_app):
    client = second_app(RATELIMIT_ENABLED=True, PUBLIC_PAGE_RATE_LIMIT="2 per minute").test_client()
    assert [client.get(APPLY_URL).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/public/progress").status_code == 429
    assert client.get("/public/catalog/150621").status_code == 200  # the catalog is not a form


# --- progress lookup --------------------------------------------------------------------------------------


@pytest.fixture
def applied(client, quick, staff):
    """A website application taken on by 达拉特旗's agent; its water item accepted by the water bureau."""
    send(client)
    case = newest_case()
    agent = staff("dlt_agent")
    cases.accept_case(case.id, agent)
    cases.assign_agent(case.id, agent.id, agent)
    cases.entrust_case(case.id, agent)
    plan = [cases.PlanLine(item.id, n, dt.date(2026, 12, 10)) for n, item in enumerate(case.items)]
    cases.plan_schedule(case.id, plan, agent)
    cases.fix_plan(case.id, agent)
    water = next(item for item in case.items if item.name == "取水许可审批")
    cases.move_item(water.id, "prepare", agent, note="内部备注：材料待补")
    cases.move_item(water.id, "accept", staff("dlt_liaison_water"), note="联络员备注")
    return newest_case()


def lookup(client, number: str, phone: str) -> str:
    return client.post("/public/progress", data={"number": number, "phone": phone}).get_data(as_text=True)


def test_the_right_number_and_phone_show_the_state_and_each_items_state(client, applied):
    page = lookup(client, applied.number, "+86 139-0477-0000")
    assert applied.number in page and "办理中" in page
    water = next(item for item in applied.items if item.name == "取水许可审批")
    assert "取水许可审批" in page and "达拉特旗水利局" in page and "部门受理" in page
    assert water.due_on is not None and water.due_on.isoformat() in page
    assert "建设用地规划许可证核发" in page and "待申报" in page
    assert "刘晓燕" in page  # the agent, the one staff name shown


def test_the_progress_shows_no_notes_and_no_other_staff(client, applied, staff):
    page = lookup(client, applied.number, "13904770000")
    assert "内部备注" not in page and "联络员备注" not in page and "希望尽快开工" not in page
    assert CREDIT_CODE not in page and ENTERPRISE["legal_representative"] not in page
    for username in ("dlt_liaison_water", "supervisor", "admin", "agent"):
        person = staff(username)
        assert f"{person.first_name or ''}{person.last_name or ''}" not in page


def test_a_wrong_phone_reads_exactly_like_an_unknown_number(client, applied):
    wrong = lookup(client, applied.number, "13904770001")
    unknown = lookup(client, "150621-2026-9999", "13904770000")
    assert applied.number not in wrong.replace(f'value="{applied.number}"', "")
    assert wrong.replace(applied.number, "N") == unknown.replace("150621-2026-9999", "N")
    assert "没有" in wrong and "取水许可审批" not in wrong


def test_the_progress_service_returns_the_same_none_for_a_wrong_phone_and_an_unknown_number(applied):
    assert channels.progress(applied.number, "13904770001") is None
    assert channels.progress("150621-2026-9999", "13904770000") is None
    assert channels.progress(applied.number, "") is None
    found = channels.progress(applied.number.lower(), "0086 139 0477 0000")
    assert found is not None and found.state == "In progress" and found.agent == "刘晓燕"
    assert set(vars(found)) == {"number", "state", "applied_on", "agent", "items"}
    assert {item.department for item in found.items} == {"达拉特旗水利局", "达拉特旗自然资源局"}


# --- the 12345 hotline intake -----------------------------------------------------------------------------


HOTLINE_URL = "/hotline/new"


def test_an_agent_registers_a_12345_call_with_its_ticket_number(login, today_is):
    agent = login("dlt_agent")
    page = agent.get(HOTLINE_URL).get_data(as_text=True)
    assert "12345" in page and 'name="channel_ref"' in page and "取水许可审批" in page
    response = agent.post(HOTLINE_URL, data=form_values(channel_ref="GD20261127001"))
    assert response.status_code == 302
    case = newest_case()
    assert (case.channel, case.channel_ref, case.state) == ("hotline", "GD20261127001", "submitted")
    assert case.created_by_id is not None
    shown = agent.get(response.headers["Location"]).get_data(as_text=True)
    assert "12345" in shown and "GD20261127001" in shown


def test_the_ticket_number_is_required(login, today_is):
    page = login("dlt_agent").post(HOTLINE_URL, data=form_values(channel_ref=" ")).get_data(as_text=True)
    assert "工单号" in field_error(page, "channel_ref") and newest_case() is None


def test_a_ticket_registered_before_is_refused_with_the_case_that_has_it(login, today_is):
    agent = login("dlt_agent")
    agent.post(HOTLINE_URL, data=form_values(channel_ref="GD1"))
    first = newest_case()
    page = agent.post(
        HOTLINE_URL, data=form_values(channel_ref="GD1", project_code="2026-150621-44-01-222222")
    ).get_data(as_text=True)
    assert first.number in field_error(page, "channel_ref")
    assert db.session.scalar(select(db.func.count(Case.id))) == 1


def test_the_hotline_intake_is_in_the_agents_menu_only(login, today_is):
    assert 'href="/hotline/new"' in login("dlt_agent").get("/queue/cases").get_data(as_text=True)
    liaison = login("dlt_liaison_water")
    assert 'href="/hotline/new"' not in liaison.get("/queue/items").get_data(as_text=True)
    assert liaison.get(HOTLINE_URL).status_code in (302, 403)
