"""The prompt overview ("Ansagen"): every caller language, its review mark and settings, its prompts beside German.

Read-only: the office edits the prompt files (ivr/prompts/<code>.toml) and the settings; the page
shows what callers hear now. Every signed-in user (lead and coordinators) may look.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_login import login_required

from core.container import current_services
from core.languages import DEFAULT, LANGUAGES
from ivr.overview import find_prompt_overview, pair_prompts

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
    pairs = pair_prompts(german, shown) if chosen != DEFAULT else pair_prompts(german, german)
    return render_template("prompts.html", languages=languages, german=german, shown=shown, pairs=pairs)
