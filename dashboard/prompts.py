"""The prompt overview ("Ansagen"): every caller language, its review marks and settings, its prompts and SMS beside German.

Read-only: the office edits the prompt files (ivr/prompts/<code>.toml), the SMS texts
(messaging/texts/) and the settings; the page shows what callers hear and families read now. Every
signed-in user (lead and coordinators) may look.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_login import login_required

from core.container import current_services
from core.languages import DEFAULT, LANGUAGES
from ivr.overview import find_prompt_overview, pair_prompts, pair_texts

bp = Blueprint("prompts", __name__, template_folder="templates")

#: The language compared with German when none is asked for.
FIRST_SHOWN = "en"


@bp.get("/prompts")
@login_required
def index() -> Any:
    """Show the languages and the prompts of one of them beside German (?language=tr)."""
    chosen = (request.args.get("language") or FIRST_SHOWN).strip().lower()
    if chosen not in LANGUAGES:
        abort(404)
    languages = find_prompt_overview(current_services().settings)
    by_code = {overview.language: overview for overview in languages}
    german, shown = by_code[DEFAULT], by_code[chosen]
    pairs = pair_prompts(german, shown)
    sms_pairs = pair_texts(german.sms.texts if german.sms else {}, shown.sms.texts if shown.sms else {})
    return render_template("prompts.html", languages=languages, german=german, shown=shown, pairs=pairs,
                           sms_pairs=sms_pairs)
