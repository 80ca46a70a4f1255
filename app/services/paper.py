"""The printable papers of a case: what each one says, gathered from the case, and its PDF.

`sheet(case_id, key, actor)` loads the case exactly as its page does (`case_loading.case_for`: region scope, a liaison
only with an item of their department), checks that the paper fits the case's state (`app.domain.paper`) and
returns everything the paper prints: the applicant and project as submitted, the items (ticked against the
region's catalog on the application and the authorisation), the agent and the service centre, the dates, the
evaluation, the reason of a termination, and for the one-time notice each item's materials.

`render_pdf(html)` turns the paper's own print page into a PDF with WeasyPrint, in a child process; a server without
WeasyPrint, its system libraries (Pango) or a Chinese font gets `PdfUnavailable`, never a broken file.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import subprocess  # `fc-list` and the PDF child: fixed commands, no shell  # nosec B404
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select

from app.domain.errors import N_, DomainError, NotFound
from app.domain.paper import FORMS, FORMS_BY_KEY, PaperForm, available, check_available
from app.domain.privacy import mask_phone
from app.domain.workflow import CaseState, ItemState
from app.extensions import db
from app.models import Case, CaseItem, CatalogItem, Department, Evaluation, Staff
from app.services import cases
from app.services.case_loading import can_open_case, case_for
from app.services.clock import today
from app.services.scope import sees_full_phones
from app.services.seeding import LEAD_KIND


class PdfUnavailable(DomainError):
    """The server cannot make PDFs (engine, system library or Chinese font missing)."""

    template = N_(
        "The PDF cannot be made on this server (%(why)s). Print this page from the browser instead "
        "(Print → Save as PDF); an administrator can install what is missing with `make fonts`."
    )


NO_ENGINE = N_("the PDF engine WeasyPrint or its system library Pango is missing")
NO_FONT = N_("no Chinese font is installed")
TOO_SLOW = N_("it took longer than the server allows")
TOO_BIG = N_("it needed more memory than the server allows")
FAILED = N_("the PDF engine stopped with an error")
PDF_CHILD = Path(__file__).with_name("pdf_child.py")
# How a child that hit its address-space cap dies: Python's MemoryError, or the loader unable to map a library.
OUT_OF_MEMORY = (b"MemoryError", b"failed to map segment", b"Cannot allocate memory", b"std::bad_alloc")
log = logging.getLogger(__name__)


class PdfFailed(DomainError):
    """This one PDF could not be made (too slow, too big, or the engine failed); the page still prints."""

    template = N_(
        "The PDF could not be made (%(why)s). Print this page from the browser instead (Print → Save as PDF)."
    )


@dataclass(frozen=True)
class CheckLine:
    """One box of the items list on the application and the authorisation: a catalog item, ticked or not."""

    name: str
    checked: bool


@dataclass
class Sheet:
    """What one paper of one case prints."""

    form: PaperForm
    case: Case
    enterprise: dict[str, Any]
    project: dict[str, Any]
    items: list[CaseItem]
    agent_name: str
    agent_phone: str
    agency: str
    printed_on: dt.date
    checklist: list[CheckLine] = field(default_factory=list)
    other_checked: bool = False
    other_text: str = ""
    notices: list[Any] = field(default_factory=list)
    evaluation: Evaluation | None = None
    close_reason: str = ""
    closed_on: dt.date | None = None


def _items(case: Case) -> list[CaseItem]:
    """The items the case serves; a terminated case's items were withdrawn by the termination, so all of them."""
    if case.state == CaseState.TERMINATED.value:
        return list(case.items)
    return [i for i in case.items if i.state != ItemState.WITHDRAWN.value]


def _has_items(case: Case) -> bool:
    return any(i.state != ItemState.WITHDRAWN.value for i in case.items)


def forms_for(case: Case, actor: Staff) -> list[PaperForm]:
    """The papers that fit the case now, in the plan's order; none for a case the actor cannot open."""
    if not can_open_case(case, actor):
        return []  # e.g. a case of another region shown read-only through a cross-level link
    has_items = _has_items(case)
    return [f for f in FORMS if available(f, case.state, case.entrusted_on, has_items)]


def form_for(key: str) -> PaperForm:
    """The paper named `key` in a URL; `NotFound` for any other name."""
    try:
        return FORMS_BY_KEY[key]
    except KeyError:
        raise NotFound() from None


def _agency(case: Case) -> str:
    """The service centre (代办帮办服务机构): the agent's department, else the region's service department."""
    if case.agent is not None and case.agent.department is not None:
        return case.agent.department.name
    lead = db.session.scalar(
        select(Department.name).where(Department.region_id == case.region_id, Department.kind == LEAD_KIND)
    )
    return lead or case.region.name


def _checklist(case: Case, items: list[CaseItem]) -> tuple[list[CheckLine], bool, str]:
    """The region's catalog (items in use, and retired ones the case still holds), the case's items ticked;
    with whether the "other approvals" box is ticked and what the applicant named there."""
    held = {i.catalog_item_id for i in items}
    entries = db.session.scalars(
        select(CatalogItem)
        .where(CatalogItem.region_id == case.region_id)
        .where(CatalogItem.retired_at.is_(None) | CatalogItem.id.in_(held))
        .order_by(CatalogItem.seq, CatalogItem.id)
    ).all()
    others = [e.id for e in entries if e.is_other]
    lines = [CheckLine(e.name, e.id in held) for e in entries if not e.is_other]
    other_items = [i for i in items if i.catalog_item_id in others]
    other_text = case.other_items_text or "、".join(i.name.removeprefix("其它：") for i in other_items)
    return lines, bool(other_items), other_text


def _person(staff: Staff | None) -> str:
    return f"{staff.first_name or ''}{staff.last_name or ''}".strip() if staff is not None else ""


def _notices(case: Case, actor: Staff) -> list[Any]:
    from app.services import materials  # the materials checklists (#12)

    return list(materials.notice(case.id, actor))


def sheet(case_id: int, key: str, actor: Staff) -> Sheet:
    """What the paper `key` of the case prints; `NotFound` outside the actor's cases, `PaperNotAvailable` when the
    paper does not fit the case's state."""
    form = form_for(key)
    case = case_for(case_id, actor)
    check_available(form, case.state, case.entrusted_on, _has_items(case))
    submitted = cases.submitted_as(case)
    enterprise = dict(submitted["enterprise"])
    if not sees_full_phones(actor):  # as on the case page: only agents see applicants' numbers in full
        for key_ in ("phone", "contact_phone"):
            enterprise[key_] = mask_phone(enterprise.get(key_))
    items = _items(case)
    paper = Sheet(
        form=form,
        case=case,
        enterprise=enterprise,
        project=dict(submitted["project"]),
        items=items,
        agent_name=_person(case.agent),
        agent_phone=(case.agent.phone or "") if case.agent is not None else "",
        agency=_agency(case),
        printed_on=today(),
        evaluation=case.evaluation,
        close_reason=cases.note_for(case, actor, case.close_reason),
        closed_on=case.closed_on,
    )
    if key in ("application", "authorisation"):
        paper.checklist, paper.other_checked, paper.other_text = _checklist(case, items)
    if key == "notice":
        paper.notices = _notices(case, actor)
    return paper


# --- PDF ----------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _has_chinese_font() -> bool:
    """Whether fontconfig knows a font covering Chinese (what `make fonts` installs: fonts-noto-cjk)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    try:
        # A fixed command, no shell, no user input.
        found = subprocess.run(  # noqa: S603  # nosec B603
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(found.stdout.strip())


def _engine() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError):  # the package, or Pango under it, is missing
        raise PdfUnavailable(why=NO_ENGINE) from None
    return weasyprint


def render_pdf(html: str, memory_mb: int | None = None, timeout: float | None = None) -> bytes:
    """The paper's print page as an A4 PDF (its own `@page` rules); `PdfUnavailable` when the server cannot.

    Rendered in a short-lived child process (`pdf_child.py`) capped at `memory_mb` of address space and
    `timeout` seconds (PDF_MEMORY_MB, PDF_TIMEOUT_SECONDS): the worker's memory stays what it was, and a page
    that would need more fails on its own with `PdfFailed`. The page is self-contained: WeasyPrint may read
    `data:` URLs only, never a file or the network.
    """
    _engine()
    if not _has_chinese_font():
        raise PdfUnavailable(why=NO_FONT)
    memory_mb = memory_mb or int(_setting("PDF_MEMORY_MB", 2048))
    timeout = timeout or float(_setting("PDF_TIMEOUT_SECONDS", 60))

    try:
        # A fixed command: this interpreter, isolated (-I), on the app's own script; the page goes in on stdin.
        done = subprocess.run(  # noqa: S603  # nosec B603
            [sys.executable, "-I", str(PDF_CHILD), str(memory_mb)],
            input=html.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise PdfFailed(why=TOO_SLOW) from None
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF"):
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        log.warning("PDF child failed (exit %s): %s", done.returncode, tail[0][:300])
        out_of_memory = any(sign in done.stderr for sign in OUT_OF_MEMORY) or done.returncode < 0
        raise PdfFailed(why=TOO_BIG if out_of_memory else FAILED)
    return done.stdout


def _setting(name: str, default: Any) -> Any:
    return current_app.config.get(name, default) if has_app_context() else default
