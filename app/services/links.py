"""纵向三级联动: linking a case to its counterpart case at the upper or lower service centre.

A link is one row seen from both sides. While it is active, agents and supervisors of the counterpart's
region may open the linked case's page read-only (that one case: lists, ledgers and queues do not widen).
The link ends through the one engine (`app.services.engine`); making, ending and external state updates
leave an entry on the timeline of each linked case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from app.domain.engine import Step, Transition, actions_for
from app.domain.enums import RoleName
from app.domain.errors import N_, Forbidden, NotFound, ValidationError
from app.domain.links import (
    ACTION_LABELS,
    LINK_READERS,
    LINK_TRANSITIONS,
    NEED_CHECKS,
    AlreadyLinked,
    Direction,
    LinkState,
    NoSuchCase,
    RegionRef,
    check_direction,
    check_external,
    check_purpose,
    clean_text,
    invalid_move,
    pair_direction,
)
from app.domain.workflow import OPEN_CASE_VALUES
from app.extensions import db
from app.models import Case, CaseEvent, Region, Staff
from app.models.followup import CaseLink
from app.services import engine
from app.services.clock import today
from app.services.engine import check_date, check_version, committing, record_event, touch
from app.services.scope import is_admin, role_names, visible_region_ids
from app.services.uow import transaction


def _reader(actor: Staff) -> bool:
    """Agents and supervisors follow links; liaisons never gain access through one."""
    return bool(role_names(actor) & {r.value for r in LINK_READERS})


def _is_agent(actor: Staff) -> bool:
    return RoleName.AGENT.value in role_names(actor)


def _ref(region: Region) -> RegionRef:
    return RegionRef(region.id, region.parent_id, region.name)


# --- loading in scope ---------------------------------------------------------------------------------


def load_link(link_id: int, actor: Staff) -> CaseLink:
    """A link either of whose cases lies in the actor's regions (agents and supervisors only)."""
    link = db.session.get(CaseLink, link_id)
    if link is None or not (_reader(actor) or is_admin(actor)):
        raise NotFound()
    regions = set(visible_region_ids(actor))
    sides = {link.case.region_id} | ({link.counterpart.region_id} if link.counterpart else set())
    if not sides & regions:
        raise NotFound()
    return link


def linked_case_for(case_id: int, actor: Staff) -> Case:
    """A case outside the actor's regions that an active link ties to a case inside them: read-only access.

    The narrowest widening: this one case, while the link is active, for agents and supervisors only.
    """
    if not _reader(actor):
        raise NotFound()
    regions = visible_region_ids(actor)
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound()
    mine = select(Case.id).where(Case.region_id.in_(regions))
    found = db.session.scalar(
        select(CaseLink.id).where(
            CaseLink.state == LinkState.ACTIVE.value,
            or_(
                and_(CaseLink.case_id == case.id, CaseLink.counterpart_case_id.in_(mine)),
                and_(CaseLink.counterpart_case_id == case.id, CaseLink.case_id.in_(mine)),
            ),
        )
    )
    if found is None:
        raise NotFound()
    return case


def read_only_access(case: Case) -> Any:
    """What a reader through a link may do on the case page: nothing."""
    from app.services.cases import CaseAccess

    return CaseAccess([], {item.id: [] for item in case.items}, False, False, False)


def linked_timeline(case: Case) -> list[CaseEvent]:
    """The linked case's timeline, for a reader through an active link (checked by `linked_case_for`)."""
    query = select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.at, CaseEvent.id)
    return list(db.session.scalars(query))


# --- the engine's machine -------------------------------------------------------------------------------


class _CaseNotes:
    """The links' context: puts an entry on the timeline of each case a link joins."""

    def note_on_cases(self, link: CaseLink, action: str, step: Step) -> None:
        actor = db.session.get(Staff, step.actor_id) if step.actor_id else None
        note_both(link, action, actor, step.on, step.note)


def note_both(link: CaseLink, action: str, actor: Staff | None, on: dt.date, note: str = "") -> None:
    """One timeline entry on each linked case, naming the other side."""
    sides = [(link.case, _other_name(link, link.case))]
    if link.counterpart is not None:
        sides.append((link.counterpart, _other_name(link, link.counterpart)))
    for case, other in sides:
        text = f"{other}" + (f"：{note}" if note else "")
        record_event("case", case.id, action, actor, case_id=case.id, on_date=on, note=text[:4000])


def _other_name(link: CaseLink, seen_from: Case) -> str:
    if link.counterpart is None:
        return link.external_party
    other = link.counterpart if seen_from.id == link.case_id else link.case
    return f"{other.number}（{other.region.name}）"


engine.register(
    engine.Machine(
        subject="link",
        table=LINK_TRANSITIONS,
        load=load_link,
        need_checks=NEED_CHECKS,
        invalid=invalid_move,
        earliest=lambda link: link.linked_on,
        case_id=lambda link: None,  # the cases' own entries are written by the effect, one on each side
        context=_CaseNotes,
    )
)


# --- making, ending, updating ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkRequest:
    """What an agent fills in to link a case: a counterpart case number, or an outside party by name."""

    purpose: str
    counterpart_number: str = ""
    external_party: str = ""
    external_reference: str = ""
    external_state: str = ""
    direction: str = ""  # outside parties only: internal links take it from the regions
    on: dt.date | None = None


def _existing(case: Case, other: Case) -> bool:
    pair = or_(
        and_(CaseLink.case_id == case.id, CaseLink.counterpart_case_id == other.id),
        and_(CaseLink.case_id == other.id, CaseLink.counterpart_case_id == case.id),
    )
    return db.session.scalar(select(CaseLink.id).where(pair, CaseLink.state == LinkState.ACTIVE.value)) is not None


def link_case(case_id: int, request: LinkRequest, actor: Staff) -> CaseLink:
    """An agent of the case's region links it to a case directly above or below, or to an outside party."""
    from app.services.cases import case_for

    if not _is_agent(actor):
        raise Forbidden()
    case = case_for(case_id, actor)
    if case.state not in OPEN_CASE_VALUES:
        raise ValidationError(N_("Only an open case can be linked to the other level."))
    purpose = check_purpose(request.purpose)
    on = check_date(request.on or today(), not_before=case.applied_on)
    number = clean_text(request.counterpart_number, 32)
    counterpart = None
    party = reference = state = ""
    if number:
        counterpart = db.session.scalar(select(Case).where(Case.number == number))
        if counterpart is None:
            raise NoSuchCase(number=number)
        if counterpart.id == case.id:
            raise ValidationError(N_("A case cannot be linked to itself."))
        direction = pair_direction(_ref(case.region), _ref(counterpart.region))
        if _existing(case, counterpart):
            raise AlreadyLinked(number=counterpart.number)
    elif (request.external_party or "").strip():
        party, reference, state = check_external(
            request.external_party, request.external_reference, request.external_state
        )
        direction = check_direction(request.direction)
    else:
        raise ValidationError(N_("Give the counterpart case number, or name the other party."))
    with transaction():
        link = CaseLink(
            case_id=case.id,
            counterpart_case_id=counterpart.id if counterpart else None,
            external_party=party,
            external_reference=reference,
            external_state=state,
            direction=direction.value,
            purpose=purpose,
            state=LinkState.ACTIVE.value,
            linked_on=on,
            created_by_id=actor.id,
        )
        touch(link, actor)
        db.session.add(link)
        db.session.flush()
        record_event("link", link.id, "link", actor, to_state=link.state, on_date=on, note=purpose)
        if state:
            record_event("link", link.id, "link_state", actor, on_date=on, note=state)
        note_both(link, "link_case", actor, on, purpose)
    return link


def end_link(
    link_id: int, actor: Staff, reason: str, on: dt.date | None = None, expected_version: int | None = None
) -> CaseLink:
    """End an active link (an agent of either side); the row stays, access through it stops."""
    return engine.move("link", link_id, "end", actor, Step(on or today(), reason), expected_version)


def record_external_state(
    link_id: int, state: str, actor: Staff, on: dt.date | None = None, expected_version: int | None = None
) -> CaseLink:
    """What the outside party's case stands at, as learned on `on` (agents of the linked case's region)."""
    link = load_link(link_id, actor)
    check_version(link, expected_version)
    if not _is_agent(actor) or link.case.region_id not in visible_region_ids(actor):
        raise Forbidden()
    if link.counterpart_case_id is not None:
        raise ValidationError(N_("The state of a linked case in this system is shown as it is; it is not typed in."))
    if link.state != LinkState.ACTIVE.value:
        raise ValidationError(N_("The state of an ended link cannot change."))
    state = clean_text(state, 200)
    if not state:
        raise ValidationError(N_("Write the other party's state."))
    on = check_date(on or today(), not_before=link.linked_on)
    with committing(link):
        link.external_state = state
        touch(link, actor)
        record_event("link", link.id, "link_state", actor, on_date=on, note=state)
        record_event("case", link.case_id, "link_state", actor, case_id=link.case_id, on_date=on, note=state)
    return link


# --- reading ------------------------------------------------------------------------------------------------


@dataclass
class LinkSide:
    """One link as the case page shows it, seen from `case`: the other side and what the actor may do."""

    link: CaseLink
    direction: Direction
    other: Case | None  # None: an outside party
    can_open: bool
    end: Transition | None  # the end move, when the actor may take it
    can_update: bool
    state_on: dt.date | None  # when the outside party's state was learned

    @property
    def active(self) -> bool:
        return self.link.state == LinkState.ACTIVE.value

    @property
    def state_label(self) -> str:
        return LinkState(self.link.state).label


@dataclass
class CaseLinks:
    """The case page's panel: the links, whether the actor may add one, whether the page is read through one."""

    sides: list[LinkSide]
    can_link: bool
    through_link: bool
    labels: dict[str, str]


def for_case(case: Case, actor: Staff) -> CaseLinks | None:
    """What the case page shows about this case's cross-level links (nothing for liaisons)."""
    if not (_reader(actor) or is_admin(actor)):
        return None
    regions = set(visible_region_ids(actor))
    in_scope = case.region_id in regions
    rows = db.session.scalars(
        select(CaseLink)
        .where(or_(CaseLink.case_id == case.id, CaseLink.counterpart_case_id == case.id))
        .options(
            selectinload(CaseLink.case).selectinload(Case.items),
            selectinload(CaseLink.counterpart).selectinload(Case.items),
        )
        .order_by(CaseLink.state, CaseLink.linked_on, CaseLink.id)
    ).all()
    learned = _state_dates([r.id for r in rows if r.counterpart_case_id is None])
    sides = []
    for link in rows:
        mine = link.case_id == case.id
        other = link.counterpart if mine else link.case
        if not in_scope and (other is None or other.region_id not in regions or link.state != LinkState.ACTIVE.value):
            continue  # a reader through a link sees that link only
        active = link.state == LinkState.ACTIVE.value
        keeper = actions_for(LINK_TRANSITIONS, link.state, role_names(actor))
        sides.append(
            LinkSide(
                link=link,
                direction=Direction(link.direction) if mine else Direction(link.direction).opposite,
                other=other,
                can_open=other is not None and (other.region_id in regions or active),
                end=keeper[0] if keeper and in_scope else None,  # read-only page: no step buttons
                can_update=active and in_scope and other is None and _is_agent(actor),
                state_on=learned.get(link.id),
            )
        )
    return CaseLinks(
        sides=sides,
        can_link=in_scope and _is_agent(actor) and case.state in OPEN_CASE_VALUES,
        through_link=not in_scope,
        labels=ACTION_LABELS,
    )


def _state_dates(link_ids: list[int]) -> dict[int, dt.date]:
    """The date each outside party's state was last recorded."""
    if not link_ids:
        return {}
    rows = db.session.execute(
        select(CaseEvent.subject_id, CaseEvent.on_date)
        .where(CaseEvent.subject_type == "link", CaseEvent.action == "link_state", CaseEvent.subject_id.in_(link_ids))
        .order_by(CaseEvent.at, CaseEvent.id)
    )
    return {link_id: on for link_id, on in rows}


def visible_link_ids(actor: Staff) -> Any:
    """A subquery of the links touching the actor's regions (either side), for the links list."""
    if not (_reader(actor) or is_admin(actor)):
        return select(CaseLink.id).where(CaseLink.id.is_(None))
    mine = select(Case.id).where(Case.region_id.in_(visible_region_ids(actor)))
    return select(CaseLink.id).where(or_(CaseLink.case_id.in_(mine), CaseLink.counterpart_case_id.in_(mine)))


def readable_case_ids(actor: Staff) -> set[int]:
    """Cases outside the actor's regions that an active link lets them read."""
    if not _reader(actor):
        return set()
    mine = select(Case.id).where(Case.region_id.in_(visible_region_ids(actor)))
    rows = db.session.execute(
        select(CaseLink.case_id, CaseLink.counterpart_case_id).where(
            CaseLink.state == LinkState.ACTIVE.value,
            or_(CaseLink.case_id.in_(mine), CaseLink.counterpart_case_id.in_(mine)),
        )
    )
    return {i for pair in rows for i in pair if i is not None}


# --- demo -------------------------------------------------------------------------------------------------


DEMO_PURPOSE_UP = "取水许可需报市水利局审批（市级权限），请市政务服务中心代办对接"
DEMO_PARTY = "内蒙古自治区政务服务与数据管理局"
DEMO_PURPOSE_EXTERNAL = "建设项目用地预审需报自治区自然资源厅审查"


def seed_demo_links() -> int:
    """Demo links between city and banner cases; returns how many were made."""
    city = db.session.scalar(select(Region).where(Region.code == "150600"))
    banner = db.session.scalar(select(Region).where(Region.code == "150621"))
    if city is None or banner is None:
        return 0
    made = 0
    open_states = sorted(OPEN_CASE_VALUES)

    def first_open(region: Region, *, skip: set[int]) -> Case | None:
        return db.session.scalars(
            select(Case)
            .where(Case.region_id == region.id, Case.state.in_(open_states), Case.id.not_in(skip or {0}))
            .order_by(Case.id)
        ).first()

    def agent_of(region: Region) -> Staff | None:
        for person in db.session.scalars(
            select(Staff).where(Staff.region_id == region.id, Staff.active).order_by(Staff.id)
        ):
            if _is_agent(person):
                return person
        return None

    linked = set(db.session.scalars(select(CaseLink.case_id)))
    already_up = db.session.scalar(
        select(CaseLink.id)
        .join(Case, Case.id == CaseLink.case_id)
        .where(Case.region_id == banner.id, CaseLink.counterpart_case_id.is_not(None))
    )
    dlt_agent = agent_of(banner)
    if dlt_agent is None:
        return 0
    if already_up is None:
        lower, upper = first_open(banner, skip=linked), first_open(city, skip=linked)
        if lower is not None and upper is not None:
            link_case(
                lower.id,
                LinkRequest(
                    DEMO_PURPOSE_UP, counterpart_number=upper.number, on=max(lower.applied_on, upper.applied_on)
                ),
                dlt_agent,
            )
            linked |= {lower.id}
            made += 1
    already_out = db.session.scalar(select(CaseLink.id).where(CaseLink.external_party == DEMO_PARTY))
    if already_out is None:
        case = first_open(banner, skip=linked)
        if case is not None:
            link = link_case(
                case.id,
                LinkRequest(
                    DEMO_PURPOSE_EXTERNAL,
                    external_party=DEMO_PARTY,
                    external_reference="蒙政数函〔2026〕118号",
                    external_state="已受理，待自治区自然资源厅出具审查意见",
                    direction=Direction.UPPER.value,
                    on=case.applied_on,
                ),
                dlt_agent,
            )
            record_external_state(link.id, "审查中：已组织专家现场踏勘", dlt_agent, today())
            made += 1
    return made
