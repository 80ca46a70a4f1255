"""纵向三级联动: linking a case to its counterpart case at the upper or lower service centre, by consent.

An agent requests a link from an open case, naming the region directly above or below and the project as that
level knows it (case numbers of the other level are not known to them); agents and supervisors of the region asked
see the request — what the requester typed and the requester's case — and accept it with their own open counterpart
case (or register one), or refuse it. Only an active link lets agents and supervisors of one side read the other
side's case, read-only (that one case: lists, ledgers and queues do not widen). Every move goes through the one
engine (`app.services.engine`) and leaves an entry on the timeline of each case the link joins.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from app.domain.engine import Step, Transition
from app.domain.enums import RoleName
from app.domain.errors import N_, Forbidden, NotFound, ValidationError
from app.domain.links import (
    ACTION_LABELS,
    ANSWERER_MOVES,
    CASE_EVENT_LABELS,
    LINK_ANSWERERS,
    LINK_READERS,
    LINK_TRANSITIONS,
    MAX_OPEN_REQUESTS,
    NEED_CHECKS,
    REQUESTER_MOVES,
    AlreadyLinked,
    AlreadyRequested,
    Direction,
    LinkState,
    NotLinkable,
    RegionRef,
    TooManyRequests,
    check_direction,
    check_external,
    check_project_reference,
    check_purpose,
    clean_text,
    invalid_move,
    pair_direction,
)
from app.domain.workflow import OPEN_CASE_VALUES
from app.extensions import db
from app.models import Case, CaseEvent, Region, Staff
from app.models.links import CaseLink
from app.services import engine
from app.services.clock import today
from app.services.engine import check_date, check_version, committing, record_event, touch
from app.services.entries import masked_for_everyone
from app.services.scope import is_admin, role_names, visible_region_ids
from app.services.uow import transaction


def _reader(actor: Staff) -> bool:
    """Agents and supervisors follow links; liaisons never gain access through one."""
    return bool(role_names(actor) & {r.value for r in LINK_READERS})


def _is_agent(actor: Staff) -> bool:
    return RoleName.AGENT.value in role_names(actor)


def _answers_for(link: CaseLink, actor: Staff) -> bool:
    """An agent or supervisor whose own region is the one asked: the only people who may give the key."""
    return (
        link.target_region_id is not None
        and actor.region_id == link.target_region_id
        and bool(role_names(actor) & {r.value for r in LINK_ANSWERERS})
    )


def _requests_for(link: CaseLink, actor: Staff) -> bool:
    """An agent of the requesting case's own region."""
    return _is_agent(actor) and actor.region_id == link.case.region_id


def _on_side(link: CaseLink, actor: Staff, action: str) -> bool:
    """May the actor take `action` from where they stand: the requesting side, the side asked, or either."""
    if action in REQUESTER_MOVES:
        return _requests_for(link, actor)
    if action in ANSWERER_MOVES:
        return _answers_for(link, actor)
    sides = {link.case.region_id} | ({link.counterpart.region_id} if link.counterpart else set())
    return _is_agent(actor) and actor.region_id in sides  # ending: an agent of either side


def _ref(region: Region) -> RegionRef:
    return RegionRef(region.id, region.parent_id, region.name)


# --- loading in scope ---------------------------------------------------------------------------------


def load_link(link_id: int, actor: Staff) -> CaseLink:
    """A link either of whose sides lies in the actor's regions (agents and supervisors only).

    The side asked is the target region while a request waits, its counterpart case once accepted.
    """
    link = db.session.get(CaseLink, link_id)
    if link is None or not (_reader(actor) or is_admin(actor)):
        raise NotFound()
    regions = set(visible_region_ids(actor))
    sides = {link.case.region_id} | ({link.counterpart.region_id} if link.counterpart else set())
    if link.target_region_id is not None:
        sides.add(link.target_region_id)
    if not sides & regions:
        raise NotFound()
    return link


def linked_case_for(case_id: int, actor: Staff) -> Case:
    """A case outside the actor's regions that an active link ties to a case inside them: read-only access.

    The narrowest widening: this one case, while the link is active (accepted), for agents and supervisors only.
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


def linked_timeline(case: Case) -> list[Any]:
    """The linked case's timeline, for a reader through an active link (checked by `linked_case_for`): its phones
    masked, as on the rest of the read-only page."""
    query = select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.at, CaseEvent.id)
    return masked_for_everyone(db.session.scalars(query))


# --- the engine's machine -------------------------------------------------------------------------------


class _CaseNotes:
    """The links' context: puts an entry on the timeline of each case a link joins."""

    def note_on_cases(self, link: CaseLink, action: str, step: Step) -> None:
        actor = db.session.get(Staff, step.actor_id) if step.actor_id else None
        note_both(link, action, actor, step.on, step.note)


def note_both(link: CaseLink, action: str, actor: Staff | None, on: dt.date, note: str = "") -> None:
    """One timeline entry on each linked case (the requesting case alone while no counterpart is chosen)."""
    if link.counterpart is None and link.counterpart_case_id is not None:
        db.session.flush()
        db.session.refresh(link, ["counterpart"])
    sides = [(link.case, _other_name(link, link.case))]
    if link.counterpart is not None:
        sides.append((link.counterpart, _other_name(link, link.counterpart)))
    for case, other in sides:
        text = f"{other}" + (f"：{note}" if note else "")
        record_event("case", case.id, action, actor, case_id=case.id, on_date=on, note=text[:4000])


def _other_name(link: CaseLink, seen_from: Case) -> str:
    if link.counterpart is None:
        if link.target_region is not None:
            return f"{link.target_region.name}（{link.project_reference}）"
        return link.external_party
    other = link.counterpart if seen_from.id == link.case_id else link.case
    return f"{other.number}（{other.region.name}）"


engine.register(
    engine.Machine(
        subject="link",
        labels=ACTION_LABELS,
        states=LinkState,
        case_labels=CASE_EVENT_LABELS,
        table=LINK_TRANSITIONS,
        load=load_link,
        need_checks=NEED_CHECKS,
        invalid=invalid_move,
        earliest=lambda link: link.linked_on or link.requested_on,
        case_id=lambda link: None,  # the cases' own entries are written by the effect, one on each side
        context=_CaseNotes,
    )
)


# --- requesting, answering, ending, updating --------------------------------------------------------------------


@dataclass(frozen=True)
class LinkRequest:
    """What an agent fills in: the region directly above or below and the project there, or an outside party."""

    purpose: str
    region_id: int | None = None
    project_reference: str = ""
    counterpart_hint: str = ""  # the other level's case number, when the requester happens to know it
    external_party: str = ""
    external_reference: str = ""
    external_state: str = ""
    direction: str = ""  # outside parties only: internal links take it from the regions
    on: dt.date | None = None


def link_regions(case: Case) -> list[Region]:
    """The regions a case may ask: the one directly above and those directly below (public facts)."""
    query = select(Region).where(
        or_(Region.id == case.region.parent_id, Region.parent_id == case.region_id), Region.active
    )
    return list(db.session.scalars(query.order_by(Region.code)))


def _active_between(case_id: int, other_id: int) -> bool:
    pair = or_(
        and_(CaseLink.case_id == case_id, CaseLink.counterpart_case_id == other_id),
        and_(CaseLink.case_id == other_id, CaseLink.counterpart_case_id == case_id),
    )
    return db.session.scalar(select(CaseLink.id).where(pair, CaseLink.state == LinkState.ACTIVE.value)) is not None


def request_link(case_id: int, request: LinkRequest, actor: Staff) -> CaseLink:
    """An agent of the case's region asks the level above or below for a link, or records an outside party.

    A request to a region of this system waits for that region's answer; nothing of the other side is read
    until it is accepted. An outside party (the autonomous region) is recorded at once: there is nothing to read.
    """
    from app.services.case_loading import case_for

    if not _is_agent(actor):
        raise Forbidden()
    case = case_for(case_id, actor)
    if actor.region_id != case.region_id:
        raise Forbidden()  # a supervisor-agent above may read the case, but only its own region asks for it
    if case.state not in OPEN_CASE_VALUES:
        raise ValidationError(N_("Only an open case can be linked to the other level."))
    purpose = check_purpose(request.purpose)
    on = check_date(request.on or today(), not_before=case.applied_on)
    if (request.external_party or "").strip() and request.region_id is None:
        return _record_external(case, request, purpose, on, actor)
    target = db.session.get(Region, request.region_id) if request.region_id else None
    if target is None or not target.active:
        raise NotLinkable()
    direction = pair_direction(_ref(case.region), _ref(target))
    reference = check_project_reference(request.project_reference)
    waiting = db.session.scalars(
        select(CaseLink.target_region_id).where(
            CaseLink.case_id == case.id, CaseLink.state == LinkState.REQUESTED.value
        )
    ).all()
    if target.id in waiting:
        raise AlreadyRequested(region=target.name)
    if len(waiting) >= MAX_OPEN_REQUESTS:
        raise TooManyRequests(limit=MAX_OPEN_REQUESTS)
    with transaction():
        link = CaseLink(
            case_id=case.id,
            target_region_id=target.id,
            project_reference=reference,
            counterpart_hint=clean_text(request.counterpart_hint, 32),
            direction=direction.value,
            purpose=purpose,
            state=LinkState.REQUESTED.value,
            requested_on=on,
            answer="",
            created_by_id=actor.id,
        )
        link.target_region = target
        touch(link, actor)
        db.session.add(link)
        db.session.flush()
        record_event("link", link.id, "request", actor, to_state=link.state, on_date=on, note=purpose)
        note_both(link, "request_link", actor, on, purpose)
    return link


def _record_external(case: Case, request: LinkRequest, purpose: str, on: dt.date, actor: Staff) -> CaseLink:
    party, reference, state = check_external(request.external_party, request.external_reference, request.external_state)
    direction = check_direction(request.direction)
    with transaction():
        link = CaseLink(
            case_id=case.id,
            external_party=party,
            external_reference=reference,
            external_state=state,
            direction=direction.value,
            purpose=purpose,
            state=LinkState.ACTIVE.value,
            requested_on=on,
            linked_on=on,
            answer="",
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


def _load_for(link_id: int, actor: Staff, action: str, expected_version: int | None) -> CaseLink:
    """The link, when the actor stands on the side that takes `action` (else refused as not theirs)."""
    link = load_link(link_id, actor)
    check_version(link, expected_version)
    if not _on_side(link, actor, action):
        raise Forbidden()
    return link


def _counterpart(link: CaseLink, case_id: int | None) -> Case:
    """The case the side asked chose: one of its own region's open cases, not yet linked to the requester's."""
    case = db.session.get(Case, case_id) if case_id else None
    if case is None or case.region_id != link.target_region_id or case.state not in OPEN_CASE_VALUES:
        raise NotLinkable()
    if _active_between(link.case_id, case.id):
        raise AlreadyLinked(number=case.number)
    return case


def accept_link(
    link_id: int,
    counterpart_case_id: int | None,
    actor: Staff,
    on: dt.date | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> CaseLink:
    """The region asked gives the key: its agent or supervisor names their own open counterpart case."""
    link = _load_for(link_id, actor, "accept", expected_version)
    if link.case.state not in OPEN_CASE_VALUES:
        raise NotLinkable()
    counterpart = _counterpart(link, counterpart_case_id)
    step = Step(on or today(), note, {"counterpart_case_id": counterpart.id})
    with committing(link):
        engine.take("link", link, "accept", actor, step)
    return link


def accept_into_new_case(link_id: int, case: Case, actor: Staff) -> None:
    """Inside the case service's transaction: the request is accepted with the case just registered for it."""
    link = _load_for(link_id, actor, "accept", None)
    if link.case.state not in OPEN_CASE_VALUES or case.region_id != link.target_region_id:
        raise NotLinkable()
    engine.take("link", link, "accept", actor, Step(case.applied_on, "", {"counterpart_case_id": case.id}))


def refuse_link(
    link_id: int, actor: Staff, reason: str, on: dt.date | None = None, expected_version: int | None = None
) -> CaseLink:
    """The region asked says no, with the reason; the requester sees it, and a new request needs a new answer."""
    _load_for(link_id, actor, "refuse", expected_version)
    return engine.move("link", link_id, "refuse", actor, Step(on or today(), reason), expected_version)


def withdraw_link(
    link_id: int, actor: Staff, reason: str = "", on: dt.date | None = None, expected_version: int | None = None
) -> CaseLink:
    """The requesting side takes its request back before it is answered."""
    _load_for(link_id, actor, "withdraw", expected_version)
    return engine.move("link", link_id, "withdraw", actor, Step(on or today(), reason), expected_version)


def end_link(
    link_id: int, actor: Staff, reason: str, on: dt.date | None = None, expected_version: int | None = None
) -> CaseLink:
    """End an active link (an agent of either side); the row stays, access through it stops."""
    _load_for(link_id, actor, "end", expected_version)
    return engine.move("link", link_id, "end", actor, Step(on or today(), reason), expected_version)


def record_external_state(
    link_id: int, state: str, actor: Staff, on: dt.date | None = None, expected_version: int | None = None
) -> CaseLink:
    """What the outside party's case stands at, as learned on `on` (agents of the linked case's region)."""
    link = load_link(link_id, actor)
    check_version(link, expected_version)
    if not _is_agent(actor) or link.case.region_id not in visible_region_ids(actor):
        raise Forbidden()
    if link.counterpart_case_id is not None or link.target_region_id is not None:
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
    other: Case | None  # None: an outside party, or a request not (yet) accepted
    can_open: bool
    moves: list[Transition]  # the moves the actor may take from this page (end, withdraw)
    can_update: bool
    state_on: dt.date | None  # when the outside party's state was learned

    @property
    def active(self) -> bool:
        return self.link.state == LinkState.ACTIVE.value

    @property
    def asked(self) -> bool:
        """A request to a region of this system that was never accepted (waiting, refused or withdrawn)."""
        return self.other is None and self.link.target_region_id is not None

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


def _page_moves(link: CaseLink, actor: Staff) -> list[Transition]:
    """The moves of this link the actor may take, as the services will accept them (answers have their own page)."""
    offered = engine.offered("link", link, actor)
    return [t for t in offered if t.action not in ANSWERER_MOVES and _on_side(link, actor, t.action)]


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
            selectinload(CaseLink.target_region),
        )
        .order_by(CaseLink.state, CaseLink.requested_on, CaseLink.id)
    ).all()
    learned = _state_dates([r.id for r in rows if r.counterpart_case_id is None])
    sides = []
    for link in rows:
        mine = link.case_id == case.id
        other = link.counterpart if mine else link.case
        if not in_scope and (other is None or other.region_id not in regions or link.state != LinkState.ACTIVE.value):
            continue  # a reader through a link sees that link only
        active = link.state == LinkState.ACTIVE.value
        sides.append(
            LinkSide(
                link=link,
                direction=Direction(link.direction) if mine else Direction(link.direction).opposite,
                other=other,
                can_open=other is not None and (other.region_id in regions or active),
                moves=_page_moves(link, actor) if in_scope else [],  # read-only page: no step buttons
                can_update=active and in_scope and other is None and link.target_region_id is None and _is_agent(actor),
                state_on=learned.get(link.id),
            )
        )
    return CaseLinks(
        sides=sides,
        can_link=in_scope and _is_agent(actor) and actor.region_id == case.region_id and case.state in OPEN_CASE_VALUES,
        through_link=not in_scope,
        labels=ACTION_LABELS,
    )


@dataclass
class LinkRequests:
    """The requests page: those waiting for the actor's region to answer, and those its cases sent."""

    incoming: list[CaseLink]
    outgoing: list[CaseLink]
    can_answer: bool


def requests_for(actor: Staff) -> LinkRequests:
    """Waiting requests: to the actor's own region (answered by its agents and supervisors) and from their cases."""
    options = (selectinload(CaseLink.case).selectinload(Case.region), selectinload(CaseLink.target_region))
    can_answer = actor.region_id is not None and bool(role_names(actor) & {r.value for r in LINK_ANSWERERS})
    waiting = select(CaseLink).where(CaseLink.state == LinkState.REQUESTED.value).options(*options)
    incoming = (
        db.session.scalars(
            waiting.where(CaseLink.target_region_id == actor.region_id).order_by(CaseLink.requested_on, CaseLink.id)
        ).all()
        if can_answer
        else []
    )
    mine = select(Case.id).where(Case.region_id.in_(visible_region_ids(actor)))
    outgoing = (
        db.session.scalars(
            waiting.where(CaseLink.case_id.in_(mine)).order_by(CaseLink.requested_on.desc(), CaseLink.id.desc())
        ).all()
        if _reader(actor)
        else []
    )
    return LinkRequests(list(incoming), list(outgoing), can_answer)


def waiting_count(actor: Staff) -> int:
    """How many requests wait for the actor's region to answer (the requests page lists exactly these)."""
    if actor.region_id is None or not role_names(actor) & {r.value for r in LINK_ANSWERERS}:
        return 0
    query = select(func.count(CaseLink.id)).where(
        CaseLink.state == LinkState.REQUESTED.value, CaseLink.target_region_id == actor.region_id
    )
    return db.session.scalar(query) or 0


def request_to_answer(link_id: int, actor: Staff) -> CaseLink:
    """A waiting request for the answer page: only the region asked answers it, once (404 otherwise)."""
    link = db.session.get(CaseLink, link_id)
    if link is None or link.state != LinkState.REQUESTED.value or not _answers_for(link, actor):
        raise NotFound()
    return link


def can_register_counterpart(actor: Staff) -> bool:
    """Only agents register applications: a supervisor answering chooses one of the region's cases."""
    return _is_agent(actor)


def counterpart_candidates(link: CaseLink, limit: int = 200) -> list[tuple[Case, bool]]:
    """The open cases of the region asked that could answer the request, likeliest first (True: they match).

    A case matches by the number the requester gave, the project code, or the project name it names.
    """
    reference = link.project_reference.strip()
    wanted = [Case.number == link.counterpart_hint] if link.counterpart_hint else []
    wanted += [Case.project_code == code for code in {reference, link.case.project_code or ""} if code]
    wanted += [Case.project_name.contains(reference, autoescape=True)] if reference else []
    matches = or_(*wanted) if wanted else Case.id.is_(None)
    rows = db.session.execute(
        select(Case, matches.label("matches"))
        .where(Case.region_id == link.target_region_id, Case.state.in_(sorted(OPEN_CASE_VALUES)))
        .order_by(matches.desc(), Case.applied_on.desc(), Case.id.desc())
        .limit(limit)
    ).all()
    return [(case, bool(match)) for case, match in rows]


def application_values(link: CaseLink) -> list[tuple[str, str]]:
    """The application form filled from the requesting case, to register the counterpart case it asks for."""
    from app.services.cases import submitted_as

    data = submitted_as(link.case)
    fields = {"link_id": str(link.id)}
    for group in ("enterprise", "project"):
        for key, value in data[group].items():
            if value is None or isinstance(value, bool):
                value = "y" if value else ""
            fields[f"{group}_{key}"] = str(value)
    return list(fields.items())


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
    regions = visible_region_ids(actor)
    mine = select(Case.id).where(Case.region_id.in_(regions))
    return select(CaseLink.id).where(
        or_(
            CaseLink.case_id.in_(mine),
            CaseLink.counterpart_case_id.in_(mine),
            CaseLink.target_region_id.in_(regions),
        )
    )


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
