"""The printed papers of a case: the one-time notice and Attachments 4–9, as print pages and as PDFs.

Each paper carries the case's own data (the applicant and project as submitted, the items, the agent, the dates,
the evaluation, the reason of a termination), in Chinese, in the HTML and in the text of the PDF; the completion
slip prints its two copies on one A4 page; papers are printed only when they fit the case's state; a case the user
cannot open is a 404; liaisons print nothing; a server without the PDF engine or a Chinese font says so.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import sys

import pytest
from pypdf import PdfReader

from app.extensions import db
from app.models import Case
from app.services import cases, paper
from app.services.cases import PlanLine
from tests.factories import CREDIT_CODE, ENTERPRISE, PROJECT, apply

D = dt.date
pytestmark = pytest.mark.usefixtures("today_is")

AGENT_NAME = "刘晓燕"  # dlt_agent in the demo data
WATER, LAND = "取水许可审批", "建设用地规划许可证核发"
WATER_MATERIALS = ("取水许可申请书", "建设项目水资源论证报告书（表）", "取水退水对第三者影响的说明")
LAND_MATERIALS = ("建设用地规划许可申请表", "国有土地使用权出让合同或划拨决定书")
AGENCY = "达拉特旗行政审批和政务服务局"


def _case(staff, state: str) -> Case:
    """A 达拉特旗 case (water and land items) taken by its agent to `state` through the services."""
    agent = staff("dlt_agent")
    case = apply(agent)
    if state == "submitted":
        return case
    cases.accept_case(case.id, agent, D(2026, 9, 2))
    if state == "accepted":
        return _fresh(case)
    if state == "terminated":
        cases.terminate_case(case.id, agent, "项目暂缓建设，申请人撤回", D(2026, 9, 10))
        return _fresh(case)
    cases.entrust_case(case.id, agent, D(2026, 9, 3))
    lines = [PlanLine(item.id, n, D(2026, 9, 20)) for n, item in enumerate(_fresh(case).items)]
    cases.plan_schedule(case.id, lines, agent)
    cases.fix_plan(case.id, agent, D(2026, 9, 4))
    if state == "planned":
        return _fresh(case)
    for item, liaison in zip(_items(case), ("dlt_liaison_water", "dlt_liaison_land"), strict=True):
        cases.accept_item(item.id, staff(liaison), D(2026, 9, 21))
    if state == "in_progress":
        return _fresh(case)
    for item, liaison in zip(_items(case), ("dlt_liaison_water", "dlt_liaison_land"), strict=True):
        cases.approve_item(item.id, staff(liaison), D(2026, 10, 12))
    cases.complete_case(case.id, agent, D(2026, 10, 21), archived=True)
    if state == "evaluated":
        cases.evaluate_case(case.id, agent, "very_satisfied", "代办员服务周到，全程帮办")
    return _fresh(case)


def _fresh(case: Case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


def _items(case: Case) -> list:
    """The case's water item first, then its land item (the liaisons' order above)."""
    found = {i.name: i for i in _fresh(case).items}
    return [found[WATER], found[LAND]]


def _html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def _squeezed(text: str) -> str:
    """Text without whitespace: names wrap across lines in table cells of the PDF."""
    return re.sub(r"\s+", "", text)


def _pdf_text(client, url: str) -> tuple[str, int]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.headers.get("Location"))
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("inline; filename=")
    reader = PdfReader(io.BytesIO(response.data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)  # A4
    return _squeezed("".join(page.extract_text() for page in reader.pages)), len(reader.pages)


# --- each paper in HTML ---------------------------------------------------------------------------------------


def test_the_one_time_notice_lists_every_approval_with_its_department_stage_limit_and_materials(login, staff):
    case = _case(staff, "planned")
    page = _html(login("dlt_agent"), f"/paper/{case.id}/notice")
    assert "“帮您办”代办帮办服务一次性告知书" in page
    for text in (ENTERPRISE["name"], CREDIT_CODE, case.project_code, case.number, WATER, LAND, AGENCY):
        assert text in page, text
    assert "达拉特旗水利局" in page and "达拉特旗自然资源局" in page  # each approval's department
    water = next(i for i in case.items if i.name == WATER)
    assert f'<td class="num">{water.time_limit_days}</td>' in page
    for name in WATER_MATERIALS + LAND_MATERIALS:
        assert name in page, name
    assert "原件" in page and "复印件" in page and "加盖公章" in page  # form and notes of each material
    assert page.count('<table class="form list materials">') == 2
    assert AGENT_NAME in page and "2026 年 11 月 27 日" in page  # signed by the agent, dated the day printed
    assert "申请人签收" in page
    phone = staff("dlt_agent").phone
    assert phone and f'<span class="fill">{phone}</span>' in page  # the applicant can call the agent
    assert f'<span class="code">{CREDIT_CODE}</span>' in page and ".code { overflow-wrap: normal" in page  # whole


def test_the_notice_says_which_materials_are_still_to_hand_in_and_which_are_promised(login, staff):
    from app.models import CaseItem
    from app.services import materials

    case = _case(staff, "planned")
    water = db.session.get(CaseItem, next(i.id for i in case.items if i.name == WATER))
    water.allows_incomplete = True  # planned under a catalog entry with 容缺受理
    db.session.commit()
    rows = {m.name: m for m in water.materials}
    agent = staff("dlt_agent")
    materials.receive(rows["取水许可申请书"].id, agent, D(2026, 9, 5))
    materials.mark_missing(rows["建设项目水资源论证报告书（表）"].id, agent, "报告未编制完成")
    materials.promise(rows["取水退水对第三者影响的说明"].id, agent, D(2026, 10, 9), on=D(2026, 9, 5))
    page = _html(login("dlt_agent"), f"/paper/{case.id}/notice")
    assert "尚需提交材料" in page  # the summary above the lists
    owed = re.search(r'<p class="indent owed">([^<]+)</p>', page).group(1)
    expected = sum(
        m.state in ("pending", "missing", "promised") for i in _fresh(case).items for m in i.materials
    )  # everything but the one received (and nothing of the land item is in yet)
    assert expected == sum(len(i.materials) for i in _fresh(case).items) - 1
    assert f"尚需提交材料 {expected} 项（其中容缺承诺 1 项）" in owed
    row = lambda name: page[page.index(f'<td class="value">{name}</td>') :].split("</tr>")[0]  # noqa: E731
    assert "已收取" in row("取水许可申请书") and "待提交" not in row("取水许可申请书")
    assert "待提交" in row("建设项目水资源论证报告书（表）") and "缺件" in row("建设项目水资源论证报告书（表）")
    assert "承诺于 2026-10-09 前提交" in row("取水退水对第三者影响的说明")


def test_the_application_form_prints_the_applicant_and_project_as_submitted_with_the_items_ticked(login, staff):
    case = _case(staff, "submitted")
    # A later correction of the enterprise does not rewrite what the application said.
    cases.update_enterprise(
        case.project.enterprise_id, {**ENTERPRISE, "name": "达拉特旗光伏能源集团"}, staff("dlt_agent")
    )
    page = _html(login("dlt_agent"), f"/paper/{case.id}/application")
    assert "附件4" in page and "“帮您办”代办帮办服务申请表" in page
    assert ENTERPRISE["name"] in page and "达拉特旗光伏能源集团" not in page
    for text in (CREDIT_CODE, ENTERPRISE["address"], ENTERPRISE["legal_representative"], ENTERPRISE["postcode"]):
        assert text in page, text
    for text in (PROJECT["name"], case.project_code, PROJECT["fund_source"], PROJECT["land_nature"]):
        assert text in page, text
    assert "总投资 98000 万元，当年计划投资 30000 万元" in page
    assert "项目单位名称（盖章）" in page and "目前审批进展情况" in page and PROJECT["progress_before"] in page
    ticked = re.findall(r'<li class="checked"><span class="box"><i>√</i></span>([^<]+)</li>', page)
    assert sorted(ticked) == sorted([WATER, LAND])
    assert page.count('<span class="box"></span>') >= 25  # the rest of the region's catalog, unticked
    assert "申请人（签字盖章）" in page and "2026 年 9 月 1 日" in page  # the date of application


def test_the_authorisation_names_the_legal_representative_the_agent_and_the_ticked_items(login, staff):
    case = _case(staff, "planned")
    page = _html(login("dlt_agent"), f"/paper/{case.id}/authorisation")
    assert "附件5" in page and "“帮您办”代办帮办服务授权委托书" in page
    declaration = re.sub(r"<[^>]+>", "", page.split('declaration">')[1].split("</p>")[0])
    assert declaration.startswith(
        f"本授权委托书声明：我{ENTERPRISE['legal_representative']}系{ENTERPRISE['name']}的法人代表，"
        f"现授权委托{AGENCY}的{AGENT_NAME}为我单位项目代办人"
    )
    assert PROJECT["name"] in declaration
    ticked = re.findall(r'<li class="checked">([^<]+)<span class="box"><i>√</i></span></li>', page)
    assert sorted(ticked) == sorted([WATER, LAND])
    assert "代办人无转委托权，特此委托。" in page and "2026 年 9 月 3 日" in page  # signed on entrustment


def test_the_commitment_names_the_service_centre_in_its_seven_obligations(login, staff):
    case = _case(staff, "accepted")
    page = _html(login("dlt_agent"), f"/paper/{case.id}/commitment")
    assert "附件6" in page and "“帮您办”代办帮办服务承诺书" in page
    assert re.sub(r"<[^>]+>", "", page).count(f"{AGENCY}") >= 2  # the opening line and the seventh obligation
    for clause in (
        "一、配合填写《代办帮办服务申请表》",
        "五、对建设项目及相关申报材料的真实合法性负责",
        "七、因项目或事项本身不具备办理条件",
    ):
        assert clause in page, clause
    assert ENTERPRISE["name"] in page and "项目单位经办人签字" in page


def test_the_completion_slip_prints_two_copies_on_one_page(login, staff):
    case = _case(staff, "completed")
    page = _html(login("dlt_agent"), f"/paper/{case.id}/completion")
    assert "附件7" in page
    assert "“帮您办”代办帮办服务办结单（第一联）" in page and "“帮您办”代办帮办服务办结单（第二联）" in page
    assert page.count("（第一联：申请人留存   第二联：代办帮办服务机构留存）") == 2
    text = re.sub(r"<[^>]+>", "", page)
    assert (
        text.count(
            f"兹有帮代办项目（项目名称）{PROJECT['name']}（项目编号：{case.project_code}），已于2026 年 10 月 21 日"
        )
        == 2
    )
    assert text.count("代办帮办员签字") == 2


def test_the_evaluation_form_ticks_the_recorded_level_and_prints_the_comments(login, staff):
    case = _case(staff, "evaluated")
    page = _html(login("dlt_agent"), f"/paper/{case.id}/evaluation")
    assert "附件8" in page and "“帮您办”代办帮办服务评价表" in page
    assert re.search(r'class="level-very_satisfied chosen">非常满意<span class="box"><i>√</i></span>', page)
    assert page.count("√") == 1
    assert "代办员服务周到，全程帮办" in page and case.project_code in page and "2026 年 10 月 21 日" in page


def test_a_blank_evaluation_form_can_be_printed_for_a_completed_case_not_evaluated_yet(login, staff):
    case = _case(staff, "completed")
    page = _html(login("dlt_agent"), f"/paper/{case.id}/evaluation")
    assert "非常满意" in page and "√" not in page


def test_the_termination_slip_gives_the_reason_and_the_date(login, staff):
    case = _case(staff, "terminated")
    page = _html(login("dlt_agent"), f"/paper/{case.id}/termination")
    assert "附件9" in page and "“帮您办”代办帮办服务终止单" in page
    text = re.sub(r"<[^>]+>", "", page)
    assert f"编号：{case.number}" in text
    assert (
        f"（项目编码：{case.project_code}），现因项目暂缓建设，申请人撤回经双方认可，于2026 年 9 月 10 日终止帮代办委托"
        in text
    )


def test_the_papers_print_in_english_for_an_english_user(login, staff):
    case = _case(staff, "planned")
    client = login("dlt_agent")
    client.get("/lang/en")
    page = _html(client, f"/paper/{case.id}/authorisation")
    assert "letter of authorisation" in page and "Attachment 5" in page and AGENT_NAME in page


# --- PDF --------------------------------------------------------------------------------------------------------

CODE = "<the case's project code>"


@pytest.mark.parametrize(
    ("form", "state", "wanted"),
    [
        (
            "notice",
            "planned",
            (
                "一次性告知书",
                ENTERPRISE["name"],
                CREDIT_CODE,
                CODE,
                WATER,
                LAND,
                *WATER_MATERIALS,
                AGENT_NAME,
                "2026年11月27日",
            ),
        ),
        (
            "application",
            "submitted",
            ("代办帮办服务申请表", ENTERPRISE["name"], CREDIT_CODE, CODE, WATER, LAND, "2026年9月1日"),
        ),
        (
            "authorisation",
            "planned",
            ("授权委托书", ENTERPRISE["name"], ENTERPRISE["legal_representative"], AGENT_NAME, AGENCY, WATER),
        ),
        (
            "commitment",
            "planned",
            ("代办帮办服务承诺书", ENTERPRISE["name"], AGENCY, "七、因项目或事项本身不具备办理条件"),
        ),
        ("completion", "completed", ("办结单（第一联）", "办结单（第二联）", PROJECT["name"], CODE, "2026年10月21日")),
        ("evaluation", "evaluated", ("代办帮办服务评价表", "代办员服务周到", PROJECT["name"], CODE, "非常满意", "√")),
        (
            "termination",
            "terminated",
            ("代办帮办服务终止单", "项目暂缓建设，申请人撤回", PROJECT["name"], CODE, "2026年9月10日"),
        ),
    ],
)
def test_each_paper_is_an_a4_pdf_whose_text_carries_the_cases_data(login, staff, form, state, wanted):
    case = _case(staff, state)
    text, pages = _pdf_text(login("dlt_agent"), f"/paper/{case.id}/{form}.pdf")
    for value in (*wanted, case.number):
        value = case.project_code if value == CODE else value
        assert _squeezed(value) in text, value
    if form != "notice":  # a notice is as long as the case's list of materials
        assert pages == 1, f"{form} spills over one A4 page"


def test_the_completion_slip_pdf_holds_both_copies_on_one_a4_page(login, staff):
    case = _case(staff, "completed")
    text, pages = _pdf_text(login("dlt_agent"), f"/paper/{case.id}/completion.pdf")
    assert pages == 1
    assert text.count(_squeezed(PROJECT["name"])) == 2 and text.count("现作办结处理") == 2


def test_without_the_pdf_engine_the_pdf_link_says_so_and_the_print_page_still_works(login, staff, monkeypatch):
    case = _case(staff, "planned")
    client = login("dlt_agent")
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # `import weasyprint` now fails, as on a bare server
    response = client.get(f"/paper/{case.id}/notice.pdf")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/paper/{case.id}/notice")
    page = _html(client, f"/paper/{case.id}/notice")
    assert "无法生成 PDF" in page and "WeasyPrint" in page and WATER in page


def test_without_a_chinese_font_no_pdf_of_empty_boxes_is_made(login, staff, monkeypatch):
    case = _case(staff, "planned")
    client = login("dlt_agent")
    monkeypatch.setattr(paper, "_has_chinese_font", lambda: False)
    response = client.get(f"/paper/{case.id}/application.pdf", follow_redirects=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "未安装中文字体" in response.get_data(as_text=True)


# --- state rules and the case page's buttons -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "offered"),
    [
        ("submitted", ["notice", "application"]),
        ("accepted", ["notice", "application", "authorisation", "commitment"]),
        ("in_progress", ["notice", "application", "authorisation", "commitment"]),
        ("completed", ["notice", "application", "authorisation", "commitment", "completion", "evaluation"]),
        ("terminated", ["application", "termination"]),
    ],
)
def test_the_case_page_offers_exactly_the_papers_that_fit_the_cases_state(login, staff, state, offered):
    case = _case(staff, state)
    page = _html(login("dlt_agent"), f"/cases/{case.id}")
    shown = re.findall(rf'href="/paper/{case.id}/([a-z]+)"', page)
    assert shown == offered
    assert re.findall(rf'href="/paper/{case.id}/([a-z]+)\.pdf"', page) == offered


def test_a_paper_that_does_not_fit_the_state_is_refused_with_the_reason(login, staff):
    case = _case(staff, "in_progress")
    client = login("dlt_agent")
    for form, reason in (("completion", "案件办结后"), ("evaluation", "案件办结后"), ("termination", "已终止的案件")):
        for suffix in ("", ".pdf"):
            response = client.get(f"/paper/{case.id}/{form}{suffix}")
            assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case.id}")
        page = client.get(f"/paper/{case.id}/{form}", follow_redirects=True).get_data(as_text=True)
        assert reason in page, form


def test_an_unknown_paper_is_not_found(login, staff):
    case = _case(staff, "submitted")
    client = login("dlt_agent")
    assert client.get(f"/paper/{case.id}/receipt").status_code == 404
    assert client.get(f"/paper/{case.id}/receipt.pdf").status_code == 404


# --- who may print -----------------------------------------------------------------------------------------------


def test_another_regions_agent_gets_not_found(login, staff, other_banner_agent):
    case = _case(staff, "completed")
    client = login("yjhl_agent")
    for form in ("notice", "application", "completion"):
        assert client.get(f"/paper/{case.id}/{form}").status_code == 404
        assert client.get(f"/paper/{case.id}/{form}.pdf").status_code == 404
    assert client.get("/paper/999999/application").status_code == 404


def test_the_city_supervisor_prints_with_the_applicants_phone_masked(login, staff):
    case = _case(staff, "planned")
    client = login("supervisor")
    page = _html(client, f"/paper/{case.id}/application")
    assert ENTERPRISE["name"] in page and ENTERPRISE["contact_phone"] not in page and "139****0000" in page
    assert 'class="paper-buttons"' in _html(client, f"/cases/{case.id}")
    agent_page = _html(login("dlt_agent"), f"/paper/{case.id}/application")
    assert ENTERPRISE["contact_phone"] in agent_page  # the agent calls the applicant: the number in full


def test_a_liaison_prints_nothing_even_on_a_case_of_their_department(login, staff):
    case = _case(staff, "in_progress")
    client = login("dlt_liaison_water")
    assert 'class="paper-buttons"' not in _html(client, f"/cases/{case.id}")
    for url in (f"/paper/{case.id}/notice", f"/paper/{case.id}/application.pdf"):
        response = client.get(url)
        denied = response.status_code in (401, 403) or (
            response.status_code == 302 and "/login/" in response.headers.get("Location", "")
        )
        assert denied, (url, response.status_code)


def test_no_paper_is_offered_for_a_case_the_user_cannot_open(app, staff, other_banner_agent):
    case = _case(staff, "completed")
    assert paper.forms_for(case, other_banner_agent) == []
    assert [f.key for f in paper.forms_for(case, staff("dlt_agent"))][-2:] == ["completion", "evaluation"]


def test_the_print_page_stands_alone_with_a_print_button_hidden_in_print(login, staff):
    case = _case(staff, "submitted")
    page = _html(login("dlt_agent"), f"/paper/{case.id}/application")
    assert "navbar" not in page  # no FAB page around the paper
    assert "@page { size: A4;" in page and '"Noto Serif CJK SC"' in page and '"SimSun"' in page
    assert 'id="print-page"' in page and "@media print { .no-print { display: none !important; }" in page
    assert "http://" not in page and "https://" not in page  # nothing from elsewhere


def test_the_pdf_is_laid_out_in_a_child_process_not_in_the_worker(login, staff, monkeypatch):
    import weasyprint

    case = _case(staff, "planned")
    monkeypatch.setattr(weasyprint, "HTML", None)  # the worker's own engine cannot lay out anything now
    text, pages = _pdf_text(login("dlt_agent"), f"/paper/{case.id}/notice.pdf")
    assert WATER in text and pages >= 1


def test_a_pdf_over_its_memory_cap_fails_alone_and_the_page_still_prints(app, login, staff, monkeypatch):
    case = _case(staff, "planned")
    client = login("dlt_agent")
    monkeypatch.setitem(app.config, "PDF_MEMORY_MB", 40)  # less than the engine needs to start
    response = client.get(f"/paper/{case.id}/notice.pdf", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "无法生成 PDF" in page or "PDF 未能生成" in page
    assert "内存" in page and WATER in page
    monkeypatch.setitem(app.config, "PDF_MEMORY_MB", 2048)
    assert _pdf_text(client, f"/paper/{case.id}/notice.pdf")[1] >= 1  # the next one is made as usual


def test_a_pdf_that_takes_too_long_is_stopped_with_its_reason(app, staff):
    with pytest.raises(paper.PdfFailed) as failed:
        paper.render_pdf("<p>慢</p>", timeout=0.01)
    assert "longer" in failed.value.params["why"]


def test_the_english_application_form_fits_one_a4_page_with_whole_words_and_whole_codes(login, staff):
    case = _case(staff, "submitted")
    client = login("dlt_agent")
    client.get("/lang/en")
    response = client.get(f"/paper/{case.id}/application.pdf")
    pdf = PdfReader(io.BytesIO(response.data))
    assert len(pdf.pages) == 1, "the English form spills over one A4 page"
    lines = [line.strip() for line in pdf.pages[0].extract_text().splitlines()]
    # A label breaks between words, or with a hyphen where a word is longer than its cell; never "Telephon / e".
    pairs = list(itertools.pairwise(lines))
    for word in ("Telephone", "Postcode", "information", "representative", "Approvals"):
        split = [
            (a, b) for a, b in pairs for k in range(1, len(word)) if a.endswith(word[:k]) and b.startswith(word[k:])
        ]
        assert split == [], (word, split)
    page = _html(client, f"/paper/{case.id}/application")
    assert "hyphens: auto" in page and f'<span class="code">{case.project_code}</span>' in page
