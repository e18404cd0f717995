"""Words that tell the truth (issue 11 §4): one vocabulary, no placeholders, and why nobody matched."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.settings import SIMULATOR_HOTLINE, Settings
from dispatch.matching import Candidate, CaseNeeds, NoMatchReasons, explain_no_match
from ivr.summary import describe_case
from messaging.texts import describe_no_match, describe_who
from reports.charts import Bar, bar_chart, line_chart

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
TODAY = NOW.date()


def test_care_level_zero_is_unknown_in_the_offer_as_in_the_voice_summary() -> None:
    offer = describe_who(care_type="eldercare", children=None, child_age=None, care_level=0, language="de")
    spoken = describe_case({"care_type": "eldercare", "care_level": 0})
    assert offer == "Angehörige, Pflegegrad unbekannt" and spoken.startswith(offer)
    assert "care level unknown" in describe_who(care_type="eldercare", children=None, child_age=None,
                                                care_level=0, language="en")
    assert describe_who(care_type="eldercare", children=None, child_age=None, care_level=None,
                        language="de") == "Angehörige"


def test_the_callable_hotline_is_never_a_placeholder() -> None:
    assert Settings(database_url="sqlite://").callable_hotline == SIMULATOR_HOTLINE  # make run: simulator mode
    real = Settings(database_url="sqlite://", twilio_account_sid="AC1", twilio_auth_token="t")
    assert real.callable_hotline is None
    assert real.with_overrides(fallback_number="+495111680000").callable_hotline == "+495111680000"
    assert real.with_overrides(hotline_number="+4951187654321", fallback_number="+495111680000").callable_hotline \
        == "+4951187654321"


# --- why nobody matched ----------------------------------------------------------------------

HANNOVER = (52.3759, 9.7320)
NEEDS = CaseNeeds(care_type="child", child_age=3, postcode="30159", lat=HANNOVER[0], lon=HANNOVER[1],
                  language="de", window_start=NOW, window_end=NOW + timedelta(hours=4))


def candidate(cid: int, **changes: object) -> Candidate:
    """A caregiver next door who takes a 3-year-old and has a fresh certificate, unless told otherwise."""
    values: dict[str, Any] = dict(
        caregiver_id=cid, phone=f"+49160000000{cid:02d}", lat=HANNOVER[0], lon=HANNOVER[1], max_distance_km=10.0,
        min_age=0, max_age=13, eldercare=False, languages=("de",), active=True, opted_out=False,
        police_certificate_date=date(2025, 1, 15), police_certificate_excluded=False, unavailable=(), busy=(),
        recent_assignments=0)
    values.update(changes)
    return Candidate(**values)


def test_each_caregiver_is_counted_once_at_the_first_gate_she_fails() -> None:
    pool = [
        candidate(1, police_certificate_date=None),
        candidate(2, police_certificate_date=date(2020, 1, 1)),  # expired
        candidate(3, lat=53.55, lon=9.99),  # Hamburg
        candidate(4, lat=53.55, lon=9.99, police_certificate_date=None),  # far away first
        candidate(5, min_age=6),
        candidate(6, unavailable=((TODAY, TODAY),)),
        candidate(7, busy=((NOW, NOW + timedelta(hours=2)),)),
        candidate(8, opted_out=True, police_certificate_date=None),
        candidate(9, active=False),  # has left: not counted at all
        candidate(10),  # declined this case already
    ]
    reasons = explain_no_match(NEEDS, pool, today=TODAY, exclude={10})
    assert reasons == NoMatchReasons(no_certificate=2, too_far=2, wrong_ages=1, unavailable=2, opted_out=1,
                                     declined=1)
    assert reasons.total == 9


def test_eldercare_counts_who_does_no_eldercare() -> None:
    needs = CaseNeeds(**{**NEEDS.__dict__, "care_type": "eldercare", "child_age": None})
    reasons = explain_no_match(needs, [candidate(1), candidate(2, eldercare=True, police_certificate_date=None)],
                               today=TODAY)
    assert reasons == NoMatchReasons(no_eldercare=1, eligible=1)


def test_the_reasons_read_as_a_sentence_in_both_languages() -> None:
    counts = NoMatchReasons(no_certificate=4, too_far=2, opted_out=1).as_dict()
    assert describe_no_match(counts, language="de") == (
        "Warum niemand passt: 4 in Reichweite ohne gültiges Führungszeugnis, 2 zu weit entfernt, 1 abgemeldet (STOP)")
    assert describe_no_match(counts, language="en").startswith("Why nobody matches: 4 within reach without a valid")
    assert describe_no_match(NoMatchReasons().as_dict(), language="de") == (
        "Warum niemand passt: keine aktive Betreuungskraft eingetragen")


# --- the reports' first month label ----------------------------------------------------------

def _first_label(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    labels = [t for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("transform")]
    assert labels, "twelve months are drawn rotated"
    return labels[0]


def test_the_first_month_label_of_a_year_is_not_cut_off() -> None:
    months = [Bar(label=f"{m} 26", value=float(i), text=str(i)) for i, m in enumerate(
        ["Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"], 1)]
    for svg in (bar_chart(months, title="Fälle", chart_id="c1"), line_chart(months, title="Fälle", chart_id="c2")):
        first = _first_label(svg)
        x = float(first.get("x", "0"))
        # The label ends at x and rises to the left at 45 degrees: even at 6.5 units a character it must fit.
        assert x - len(first.text or "") * 6.5 * 0.71 >= 0, (first.text, x)
        assert re.fullmatch(r"Jan 26", first.text or "")
