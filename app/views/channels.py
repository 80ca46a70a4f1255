"""Channels (#12): the public online application (政务服务网) and progress lookup; the 12345 hotline intake.

Public pages need no login and are guarded instead by: rate limits counted in Flask-Limiter's storage (the one
`app.security.signin.configure_rate_limits` sets up, shared by every worker when REDIS_URL is set), a question a
script cannot answer without reading Chinese (its answer HMAC-signed with SECRET_KEY into a token with its issue
time; used once), a honeypot field and a minimum fill time; CSRF tokens like every form of the app.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_appbuilder import AppBuilder, BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import get_locale, gettext, lazy_gettext
from werkzeug.datastructures import MultiDict

from app.domain.channels import normalise_phone
from app.domain.enums import Stage
from app.domain.errors import DomainError, NotFound
from app.domain.workflow import Channel, ProjectCategory
from app.extensions import db
from app.models import Region
from app.security import limits
from app.security.limits import (
    HONEYPOT,
    TooManyAttempts,
    claim_challenge,
    client_address,
    count_failure,
    may_try_again,
    new_challenge,
    release_challenge,
    within_limit,
)
from app.services import channels as channel_service
from app.services.catalog import published_catalog
from app.services.clock import today
from app.views.base import actor, error_text, scoped_regions

bp = Blueprint("channels", __name__, url_prefix="/public")

APPLIED = "channels.applied"


def _limit_views() -> None:
    """A generous cap on drawing the forms (they cost a catalog read and a signed question each)."""
    if request.method == "GET" and not within_limit("PUBLIC_PAGE_RATE_LIMIT", client_address()):
        abort(429)


# --- pages ------------------------------------------------------------------------------------------------


def _page(template: str, status: int = 200, **context: Any) -> Any:
    html_lang = "en" if str(get_locale()) == "en" else "zh-CN"
    return render_template(template, html_lang=html_lang, **context), status


@bp.route("/apply")
def apply_index() -> Any:
    return _page("channels/apply_index.html", regions=channel_service.regions_taking_applications())


def _published(code: str) -> tuple[Region, list[Any]]:
    try:
        region, items = published_catalog(code)
    except NotFound:
        abort(404)
    if not region.active:
        abort(404)
    return region, items


@bp.route("/apply/<code>", methods=["GET", "POST"])
def apply_form(code: str) -> Any:
    """Attachment 4 on the web: every mistake shown at its field, nothing typed lost, a new question when needed."""
    region, items = _published(code)
    _limit_views()
    values: MultiDict = request.form if request.method == "POST" else MultiDict()
    problems: dict[str, str] = {}
    challenge, keep_answer, status = None, False, 200
    form = _with_region(values, region.code)
    if request.method == "POST":
        if not within_limit("PUBLIC_APPLY_RATE_LIMIT", client_address()):
            problems[""], status = error_text(TooManyAttempts()), 429
        else:
            try:
                nonce = claim_challenge(values)
            except DomainError as refusal:
                # Every other mistake shows too, so one more round fixes all of them.
                problems = {name: error_text(error) for name, error in channel_service.check_application(form).items()}
                problems["challenge_answer"], status = error_text(refusal), 400
            else:
                keep_answer = True  # solved: the applicant corrects fields without answering again
                try:
                    case = channel_service.apply_online(form)
                except channel_service.ApplicationRefused as refused:
                    release_challenge(nonce)  # nothing was written: the same question serves the corrected form
                    problems = {name: error_text(error) for name, error in refused.problems.items()}
                    status = 400
                else:
                    session[APPLIED] = {
                        "number": case.number,
                        "receipt": case.channel_ref,
                        "phone": _masked(values.get("enterprise_contact_phone", "")),
                        "region": region.code,
                    }
                    return redirect(url_for(".apply_done", code=region.code))
        if not problems.get(""):
            problems.setdefault("", gettext("The application was not sent: correct the fields marked below."))
    if not keep_answer:
        challenge = new_challenge()
    return _page(
        "channels/apply.html",
        status,
        region=region,
        items=items,
        values=values,
        problems=problems,
        chosen={int(v) for v in values.getlist("catalog_item_id") if v.isdigit()},
        challenge=challenge,
        honeypot=HONEYPOT,
        ProjectCategory=ProjectCategory,
        Stage=Stage,
    )


def _with_region(values: MultiDict, code: str) -> MultiDict:
    """The form's fields with the region of the page (never one sent in the form)."""
    return MultiDict([*((k, v) for k, v in values.items(multi=True) if k != "region"), ("region", code)])


def _masked(phone: str) -> str:
    """The registered phone with its middle hidden (139****0000), for the receipt page."""
    digits = normalise_phone(phone)
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else digits


@bp.route("/apply/<code>/done")
def apply_done(code: str) -> Any:
    region, _items = _published(code)
    applied = session.get(APPLIED)
    if not applied or applied.get("region") != region.code:
        return redirect(url_for(".apply_form", code=region.code))
    return _page("channels/apply_done.html", region=region, applied=applied)


@bp.route("/progress", methods=["GET", "POST"])
def progress_page() -> Any:
    """Case number + registered phone → the case's state and items; a wrong pair reads as an unknown number."""
    _limit_views()
    number = (request.form.get("number") or request.args.get("number") or "").strip()[:32]
    found, refusal, status = None, None, 200
    if request.method == "POST":
        if not within_limit("PUBLIC_PROGRESS_RATE_LIMIT", client_address()) or not may_try_again(
            "PUBLIC_PROGRESS_NUMBER_RATE_LIMIT", "PUBLIC_PROGRESS_NUMBER_BACKOFF", number.upper()
        ):
            refusal, status = gettext(TooManyAttempts.template), 429
        else:
            found = channel_service.progress(number, request.form.get("phone", ""))
            if found is None:
                count_failure("PUBLIC_PROGRESS_NUMBER_RATE_LIMIT", number.upper())
                refusal = gettext(
                    "No application matches this case number and phone number. Check both: the phone is the "
                    "contact phone given with the application."
                )
    return _page("channels/progress.html", status, number=number, found=found, refusal=refusal)


# --- the 12345 hotline intake (back-office) ---------------------------------------------------------------


class HotlineView(BaseView):
    """An agent registers a 12345 call as an application: the new-application form with the ticket number."""

    route_base = "/hotline"
    default_view = "new"

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self) -> Any:
        user = actor()
        region_ids = scoped_regions()
        region_id = request.form.get("region_id", type=int) or user.region_id or next(iter(region_ids), None)
        if region_id not in region_ids:
            abort(404)
        region = db.session.get(Region, region_id)
        try:
            _region, catalog = published_catalog(region.code)
        except NotFound:
            abort(404)
        values: MultiDict = request.form if request.method == "POST" else MultiDict()
        problems: dict[str, str] = {}
        if request.method == "POST":
            try:
                case = channel_service.apply_online(
                    _with_region(values, region.code),
                    channel=Channel.HOTLINE.value,
                    channel_ref=values.get("channel_ref", ""),
                    actor=user,
                )
            except channel_service.ApplicationRefused as refused:
                problems = {name: error_text(error) for name, error in refused.problems.items()}
            except DomainError as error:
                problems[""] = error_text(error)
            else:
                flash(
                    gettext(
                        "12345 ticket %(ticket)s registered as application %(number)s.",
                        ticket=case.channel_ref,
                        number=case.number,
                    ),
                    "success",
                )
                return redirect(url_for("CasePageView.case", case_id=case.id))
            problems.setdefault("", gettext("The application was not registered: correct the fields marked below."))
        return self.render_template(
            "cases/new.html",
            title=gettext("12345 hotline intake"),
            intake="hotline",
            values=values,
            lead=None,
            region_id=region_id,
            catalog=sorted(catalog, key=lambda item: item.seq),  # as the window's form lists them
            chosen={int(v) for v in values.getlist("catalog_item_id") if v.isdigit()},
            problems=problems,
            required_fields=channel_service.REQUIRED,
            Channel=Channel,
            ProjectCategory=ProjectCategory,
            today=today(),
        )


def register(appbuilder: AppBuilder) -> None:
    """Add the back-office views of this module (the 12345 intake)."""
    appbuilder.add_view(
        HotlineView,
        "12345 hotline intake",
        href="/hotline/new",
        label=lazy_gettext("12345 hotline intake"),
        icon="fa-phone",
        category="Cases",
    )


def register_public(app: Flask) -> None:
    """Add the public pages of this module (no login), counting in the sign-in limits' storage."""
    limits.init_app(app)
    app.register_blueprint(bp)
    # No CSRF token on these forms, and so no session for a visitor who only looks: a token guards a signed-in
    # user's session, and an anonymous form has none to ride on. What a POST must carry instead is the signed,
    # timed question drawn with the form (used once for an application); a progress lookup changes nothing.
    # Only a sent application stores a session (its receipt for the success page), within its rate limit.
    app.extensions["csrf"].exempt(bp)
