"""The live board: the cases waiting for care, refreshed in place every few seconds (live.js)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cases.board import find_board_rows
from core.container import current_services
from dashboard.auth import lead_required
from routing import surge
from routing.waiting import queue_rows

bp = Blueprint("board", __name__, template_folder="templates")

#: How often the board's rows are fetched again, in milliseconds.
REFRESH_MS = 3000


@bp.before_app_request
def _front_page_to_board() -> Any:
    """Send a signed-in coordinator from the plain front page straight to the board."""
    if request.path == "/" and request.method == "GET" and current_user.is_authenticated:
        return redirect(url_for("board.board"))
    return None


@bp.get("/board")
@login_required
def board() -> Any:
    """Show the live board."""
    return render_template("board.html", refresh_ms=REFRESH_MS, **_rows())


#: The longest reason for a switch a lead can type (kept in the audit log).
WHY_LENGTH = 200


@bp.post("/board/surge")
@lead_required
def switch_surge() -> Any:
    """Switch surge mode on or off (a lead, audited with her reason)."""
    services = current_services()
    on = request.form.get("on") == "1"
    why = " ".join((request.form.get("why") or "").split())[:WHY_LENGTH] or "by hand"
    with services.database.unit_of_work() as session:
        switched = surge.switch(session, on=on, now=services.clock.now(), user_id=current_user.id, why=why)
    if not switched:
        flash(_("Der Ansturm-Modus war schon an.") if on else _("Der Ansturm-Modus war schon aus."), "ok")
    else:
        flash(_("Ansturm-Modus eingeschaltet.") if on else _("Ansturm-Modus ausgeschaltet."), "ok")
    return redirect(url_for("board.board"))


@bp.get("/board/rows")
def rows() -> Any:
    """Return the board's table alone (what live.js swaps in); 401 rather than a sign-in page."""
    if not current_user.is_authenticated:
        return "", 401
    return render_template("board_rows.html", **_rows())


def _rows() -> dict[str, Any]:
    services = current_services()
    now = services.clock.now()
    with services.database.unit_of_work() as session:
        return {"rows": find_board_rows(session, now=now), "queue": queue_rows(session), "now": now,
                "surge": surge.get_state(session)}
