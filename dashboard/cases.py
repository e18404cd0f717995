"""The case page: what the voice menu captured, editing, the timeline, and the coordinator's actions.

Views parse, call one domain function (cases.editing, dispatch.manual) inside a unit of work,
flash and redirect. Every view of a case's personal data writes the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts import record_audit
from cases.editing import edit_case, format_hours, local_date_and_time
from cases.service import CaseNotFound, require_case
from core.container import current_services
from core.inputs import get_id
from core.phones import format_national
from dashboard import error_text
from dashboard.billing import case_billing_panel
from dashboard.case_form import CaseForm
from dashboard.timeline import describe_event
from dashboard.words import (
    age_label,
    caller_language_direction,
    caller_language_label,
    caller_language_native,
    caller_type_label,
    care_label,
    dispatch_label,
    duration_label,
    field_label,
    flag_label,
    local_time,
    offer_status_label,
    reason_label,
    status_label,
    urgency_label,
    waiting_label,
)
from dispatch.manual import (
    ManualActionError,
    ManualReason,
    assign_by_hand,
    cancel_case,
    close_case,
    dispatch_case,
    find_hand_candidates,
    redispatch_case,
)
from dispatch.offers import DispatchError, describe_why_nobody
from dispatch.policy import DispatchPolicy
from models import Caregiver, Case, Offer, Shift, User
from routing.callbacks import request_callback

bp = Blueprint("cases", __name__, template_folder="templates")


def action_error_message(reason: ManualReason | str) -> str:
    """Return a refusal in words."""
    messages: dict[str, str] = {
        ManualReason.CLOSED: _("Der Fall ist abgeschlossen."),
        ManualReason.CANCELLED: _("Der Fall ist storniert."),
        ManualReason.ALREADY_ASSIGNED: _("Der Fall ist schon an eine Betreuungskraft vergeben."),
        ManualReason.NOT_ASSIGNABLE: _("Der Fall kann gerade nicht vermittelt werden."),
        ManualReason.NO_POSTCODE: _("Ohne Postleitzahl in der Region Hannover kann niemand gesucht werden."),
        ManualReason.UNKNOWN_CAREGIVER: _("Diese Betreuungskraft gibt es nicht."),
        ManualReason.CAREGIVER_INACTIVE: _("Diese Betreuungskraft ist nicht mehr aktiv."),
        ManualReason.NO_USER_PHONE: _(
            "Für Ihr Konto ist keine Telefonnummer hinterlegt. Bitten Sie die "
            "Leitung, Ihre Nummer einzutragen."
        ),
        ManualReason.NO_CALLER: _(
            "Die Familie hat mit unterdrückter Nummer angerufen; ein Rückruf ist nicht möglich."
        ),
        ManualReason.NO_PUBLIC_URL: _("Rückruf nicht möglich: PUBLIC_BASE_URL ist nicht eingerichtet."),
    }
    return messages.get(reason, _("Das ging nicht."))


@bp.app_template_global()
def case_words() -> dict[str, Any]:
    """Give templates the label helpers (one name, so other pages' globals never clash)."""
    return {
        "urgency": urgency_label,
        "reason": reason_label,
        "status": status_label,
        "caller_type": caller_type_label,
        "flag": flag_label,
        "care": care_label,
        "age": age_label,
        "waiting": waiting_label,
        "duration": duration_label,
        "time": local_time,
        "offer_status": offer_status_label,
        "dispatch": dispatch_label,
        "phone": format_national,
        "field": field_label,
        "language": caller_language_label,
        "language_native": caller_language_native,
        "language_dir": caller_language_direction,
    }


# --- Views ------------------------------------------------------------------------------------------


@bp.get("/cases/<int:case_id>")
@login_required
def show(case_id: int) -> Any:
    """Show a case: the menu's answers, editing, actions, offers and the timeline (audited)."""
    services = current_services()
    with services.database.unit_of_work() as session:
        case = _case_or_404(session, case_id)
        record_audit(
            session, user=_me(session), action="view_case", now=services.clock.now(), case_id=case.id
        )
        return _render_case(session, case)


@bp.post("/cases/<int:case_id>/edit")
@login_required
def edit(case_id: int) -> Any:
    """Save the coordinator's details; show the form again with the errors when something is wrong."""
    services = current_services()
    now = services.clock.now()
    with services.database.unit_of_work() as session:
        case = _case_or_404(session, case_id)
        form = CaseForm(request.form, now=now)
        ok = form.validate()
        record_audit(session, user=_me(session), action="edit_case", now=now, case_id=case.id, detail={"ok": ok})
        if not ok:
            errors = form.messages()
            flash(_("Bitte prüfen Sie die markierten Angaben."), "error")
            return _render_case(session, case, form=request.form, errors=errors), 422
        changed = edit_case(session, case=case, details=form.details(), by=current_user.username, now=now)
    if changed:
        flash(_("Gespeichert: %(fields)s.", fields=", ".join(field_label(f) for f in changed)), "success")
    else:
        flash(_("Keine Änderungen."), "success")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.post("/cases/<int:case_id>/dispatch")
@login_required
def dispatch(case_id: int) -> Any:
    """Start sending SMS offers for the case."""
    return _act(case_id, "dispatch")


@bp.post("/cases/<int:case_id>/redispatch")
@login_required
def redispatch(case_id: int) -> Any:
    """Withdraw the open offers and start a new dispatch."""
    return _act(case_id, "redispatch")


@bp.post("/cases/<int:case_id>/assign")
@login_required
def assign(case_id: int) -> Any:
    """Give the case to a caregiver the coordinator picked."""
    return _act(case_id, "assign")


@bp.post("/cases/<int:case_id>/close")
@login_required
def close(case_id: int) -> Any:
    """Close the case."""
    return _act(case_id, "close")


@bp.post("/cases/<int:case_id>/cancel")
@login_required
def cancel(case_id: int) -> Any:
    """Cancel the case and tell an assigned caregiver."""
    return _act(case_id, "cancel")


@bp.post("/cases/<int:case_id>/callback")
@login_required
def callback(case_id: int) -> Any:
    """Ring the coordinator's own phone, then connect her to the parent (the worker places the call)."""
    return _act(case_id, "callback")


@bp.get("/cases/<int:case_id>/voicemail")
@login_required
def voicemail(case_id: int) -> Any:
    """Stream the case's voicemail from Twilio (audited); in simulator mode there is none."""
    from telephony.calls import RecordingError, open_recording

    services = current_services()
    settings = services.settings
    with services.database.unit_of_work() as session:
        case = _case_or_404(session, case_id)
        sid, url = case.voicemail_sid, case.voicemail_url
        if not (sid or url):
            return render_template(
                "case_message.html",
                title=_("Keine Sprachnachricht"),
                message=_("Zu diesem Fall gibt es keine Sprachnachricht."),
                case_id=case_id,
            ), 404
        record_audit(
            session, user=_me(session), action="listen_voicemail", now=services.clock.now(), case_id=case.id
        )
    if settings.simulator_mode:
        return render_template(
            "case_message.html",
            title=_("Keine Aufnahme im Simulatormodus"),
            message=_(
                "Im Simulatormodus werden keine Sprachnachrichten aufgenommen; es gibt nichts abzuspielen."
            ),
            case_id=case_id,
        ), 404
    try:
        upstream = open_recording(settings, recording_sid=sid, recording_url=url)
    except RecordingError as exc:
        status = 404 if exc.not_found else 502
        return render_template(
            "case_message.html",
            title=_("Sprachnachricht nicht abrufbar"),
            message=_("Die Aufnahme konnte bei Twilio nicht abgerufen werden."),
            case_id=case_id,
        ), status

    def body() -> Any:
        try:
            yield from upstream.iter_content(chunk_size=64 * 1024)
        finally:
            upstream.close()

    headers = {"Cache-Control": "private, no-store"}
    if upstream.headers.get("Content-Length"):
        headers["Content-Length"] = upstream.headers["Content-Length"]
    return Response(
        stream_with_context(body()),
        mimetype=upstream.headers.get("Content-Type", "audio/mpeg"),
        headers=headers,
    )


# --- Helpers ------------------------------------------------------------------------------------------


def _act(case_id: int, action: str) -> Any:
    """Run one action on a case inside a unit of work, flash what happened, and go back to the case."""
    services = current_services()
    now = services.clock.now()
    policy = DispatchPolicy.from_settings(services.settings)
    by = current_user.username
    message: str | None = None
    try:
        with services.database.unit_of_work() as session:
            case = _case_or_404(session, case_id)
            if action == "dispatch":
                started = dispatch_case(session, case=case, now=now, by=by, policy=policy)
                if started.started_at != now:
                    message = _("Die Vermittlung läuft bereits.")
                elif started.status.value == "exhausted":
                    message = _("Keine passende Betreuungskraft gefunden; die Koordination wurde benachrichtigt.")
                    why = describe_why_nobody(session, dispatch_id=started.id,
                                              language="en" if str(get_locale()) == "en" else "de")
                    message += f" {why}." if why else ""
                else:
                    message = _("Vermittlung gestartet: Die Anfragen gehen per SMS hinaus.")
            elif action == "redispatch":
                redispatch_case(session, case=case, now=now, by=by, policy=policy)
                message = _("Neue Vermittlung gestartet; die offenen Anfragen wurden zurückgezogen.")
            elif action == "assign":
                caregiver_id = get_id(request.form.get("caregiver_id", ""))
                if caregiver_id is None:
                    flash(_("Bitte wählen Sie eine Betreuungskraft aus."), "error")
                    return redirect(url_for("cases.show", case_id=case_id) + "#zuweisen")
                result = assign_by_hand(
                    session, case=case, caregiver_id=caregiver_id, now=now, by=by, policy=policy
                )
                message = _("Der Fall ist vergeben.")
                if not result.caregiver_texted:
                    message += " " + _(
                        "Die Betreuungskraft hat SMS abbestellt: Bitte geben Sie ihr die Details "
                        "telefonisch durch."
                    )
                if not result.parent_texted:
                    message += " " + _("Die Familie hat keine Handynummer: Bitte rufen Sie sie an.")
            elif action == "close":
                close_case(session, case=case, now=now, by=by)
                message = _("Der Fall ist abgeschlossen.")
            elif action == "cancel":
                outcome = cancel_case(session, case=case, now=now, by=by, policy=policy)
                message = _("Der Fall ist storniert.")
                if outcome.caregiver_told:
                    message += " " + _("Die Betreuungskraft bekommt eine SMS, dass der Einsatz entfällt.")
            elif action == "callback":
                user = _me(session)
                if user is None:
                    abort(403)
                request_callback(
                    session,
                    case=case,
                    user=user,
                    now=now,
                    public_base_url=services.settings.public_base_url or request.host_url,
                    hotline_number=services.settings.hotline_number,
                )
                message = _(
                    "Ihr Telefon klingelt gleich. Wenn Sie abnehmen, werden Sie mit der Familie verbunden."
                )
            else:  # pragma: no cover - only the routes above call this
                abort(404)
    except ManualActionError as exc:
        flash(action_error_message(exc.reason), "error")
    except DispatchError as exc:
        flash(error_text(exc), "error")
    else:
        flash(message or _("Erledigt."), "success")
    return redirect(url_for("cases.show", case_id=case_id))


def _case_or_404(session: Session, case_id: int) -> Case:
    try:
        return require_case(session, case_id)
    except CaseNotFound:
        abort(404)


def _me(session: Session) -> User | None:
    return session.get(User, int(current_user.get_id()))


def _render_case(
    session: Session,
    case: Case,
    *,
    form: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> str:
    """Render the case page with the form showing either the case's values or what was submitted."""
    services = current_services()
    now = services.clock.now()
    offers = session.execute(
        select(Offer, Caregiver.name)
        .join(Caregiver, Caregiver.id == Offer.caregiver_id)
        .where(Offer.case_id == case.id)
        .order_by(Offer.created_at, Offer.id)
    ).all()
    names = _names(session, case)
    timeline = [{"at": e.at, "kind": e.kind, "text": describe_event(e, names)} for e in case.events]
    if form is None:
        care_date, care_time = local_date_and_time(case.care_starts_at)
        values = {
            "parent_name": case.parent_name or "",
            "address": case.address or "",
            "care_date": care_date,
            "care_time": care_time,
            "expected_hours": format_hours(case.expected_hours),
            "notes": case.notes or "",
        }
    else:
        values = {
            k: form.get(k, "")
            for k in ("parent_name", "address", "care_date", "care_time", "expected_hours", "notes")
        }
    finished = case.status.value in ("closed", "cancelled")
    assigned = case.caregiver_id is not None
    candidates = [] if finished or assigned else find_hand_candidates(session, case=case, now=now)
    caregiver_name = names.get(f"cg:{case.caregiver_id}") if case.caregiver_id else None
    billing_panel = case_billing_panel(session, case) if "billing" in current_app.blueprints else None
    return render_template(
        "case.html",
        case=case,
        now=now,
        values=values,
        errors=errors or {},
        offers=offers,
        timeline=timeline,
        candidates=candidates,
        caregiver_name=caregiver_name,
        finished=finished,
        assigned=assigned,
        has_voicemail=bool(case.voicemail_sid or case.voicemail_url),
        my_phone=getattr(current_user, "phone", None),
        billing_panel=billing_panel,
    )


def _names(session: Session, case: Case) -> dict[str, str]:
    """Return display names for the timeline: caregivers by "cg:<id>", coordinators by phone."""
    names: dict[str, str] = {}
    ids = {
        e.detail.get("caregiver")
        for e in case.events
        if isinstance(e.detail, dict) and e.detail.get("caregiver")
    }
    if case.caregiver_id:
        ids.add(case.caregiver_id)
    ids = {i for i in ids if isinstance(i, int)}
    if ids:
        for cid, name in session.execute(select(Caregiver.id, Caregiver.name).where(Caregiver.id.in_(ids))):
            names[f"cg:{cid}"] = name
    phones: set[str] = set()
    for e in case.events:
        d = e.detail if isinstance(e.detail, dict) else {}
        phones.update(str(n) for n in d.get("numbers") or [])
        if d.get("coordinator"):
            phones.add(str(d["coordinator"]))
    if case.coordinator:
        phones.add(case.coordinator)
    if phones:
        for phone, name in session.execute(select(Shift.phone, Shift.name).where(Shift.phone.in_(phones))):
            names.setdefault(phone, name)
        for phone, name in session.execute(select(User.phone, User.name).where(User.phone.in_(phones))):
            if phone:
                names[phone] = name
    return names
