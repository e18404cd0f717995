"""Lead only: the doctor's checks as a page (the same checks as `flask --app app doctor`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from flask_babel import get_locale

from core.container import current_services
from dashboard.auth import lead_required
from ops.checkup import run_doctor
from ops.doctor import exit_status

bp = Blueprint("doctor", __name__, template_folder="templates")


@bp.get("/doctor")
@lead_required
def page() -> Any:
    """Run every check and show one line each, in the signed-in person's language."""
    results = run_doctor(current_services(), secret_key=current_app.config.get("SECRET_KEY"),
                         instance_path=current_app.instance_path)
    language = "en" if str(get_locale()) == "en" else "de"
    return render_template("doctor.html", results=results, language=language, failed=exit_status(results) != 0)
