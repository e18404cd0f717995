"""Reports on a real database: hand-made cases with known figures, anonymised ones too, and a CSV
that carries no phone number, name, address or reference even though the data has them."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from core.clock import berlin
from gdpr.erasure import anonymise_case
from models import (
    CallerType,
    CareSession,
    CareType,
    Case,
    Dispatch,
    DispatchStatus,
    Employer,
    Offer,
    OfferStatus,
    Reason,
    Urgency,
)
from reports import COLUMNS, Period, compile_report, present, report_csv
from tests.factories import make_case
from tests.factories_dispatch import DORA, EVA, FIONA, make_caregiver

PARENTS = ["+4915111111101", "+4915111111102", "+4915111111103", "+4915111111104", "+4915111111105",
           "+4915111111106"]
NAMES = ["Petra Pan", "Karl Klein", "Jana Jung", "Olga Ost", "Wilma Weiß", "Otto Okt"]
ADDRESS = "Lindenallee 5, 30159 Hannover"
CONTACT = ("Erika Mustermann", "erika@stadtwerke.example", "+495111234567")


@dataclass
class World:
    """The hand-made month: what was put in, to look for it in the output."""

    cases: list[Case]
    caregiver_phones: list[str]
    employer: Employer


def _dispatch(session: Session, case: Case, caregivers: list, *, offers: int, at: datetime,
              filled: bool, undeliverable: int = 0) -> None:
    dispatch = Dispatch(case_id=case.id, status=DispatchStatus.FILLED if filled else DispatchStatus.EXHAUSTED,
                        wave=1, deadline_at=at + timedelta(hours=2), started_at=at, started_by="auto")
    session.add(dispatch)
    session.flush()
    for index in range(offers + undeliverable):
        status = OfferStatus.UNDELIVERABLE if index >= offers else OfferStatus.DECLINED
        session.add(Offer(dispatch_id=dispatch.id, case_id=case.id, caregiver_id=caregivers[index].id,
                          code=f"K{index}", wave=1, rank=index, status=status, created_at=at))
    session.flush()


def _care(session: Session, case: Case, *, start: datetime, minutes: int, flag: str | None = None) -> None:
    session.add(CareSession(case_id=case.id, caregiver_id=case.caregiver_id, started_at=start,
                            ended_at=start + timedelta(minutes=minutes), source="sms", flag=flag,
                            created_at=start, updated_at=start))
    session.flush()


def build_world(session: Session, *, now: datetime) -> World:
    """Five November calls (one at night, one on the voicemail, one eldercare in Wennigsen, anonymised)
    and one October call; three filled for employees of a partner employer."""
    caregivers = [make_caregiver(session, phone=phone, now=now, name=f"Betreuerin {i}")
                  for i, phone in enumerate((DORA, EVA, FIONA, "+4916000000015", "+4916000000016",
                                             "+4916000000017"))]
    employer = Employer(name="Stadtwerke Beispiel GmbH", contract_number="RV-2026-0042", starts_on=date(2026, 1, 1),
                        ends_on=None, fee_period="monthly", fee_amount=Decimal("250.00"),
                        contact_name=CONTACT[0], contact_email=CONTACT[1], contact_phone=CONTACT[2], created_at=now)
    quiet = Employer(name="Ruhige Partner AG", contract_number="RV-2026-0043", starts_on=date(2026, 6, 1),
                     ends_on=None, fee_period="yearly", fee_amount=Decimal("1200.00"), created_at=now)
    session.add_all([employer, quiet])
    session.flush()
    times = [berlin(2026, 11, 2, 9), berlin(2026, 11, 2, 10), berlin(2026, 11, 2, 11), berlin(2026, 11, 2, 21),
             berlin(2026, 11, 5, 14), berlin(2026, 10, 15, 12)]
    to_human = [20, 40, 60, None, 15, 30]
    to_caregiver = [30, 60, 120, None, None, None]
    cases = []
    for index, at in enumerate(times):
        eldercare = index == 4
        human, assigned_after = to_human[index], to_caregiver[index]
        case = make_case(
            session, now=at, call_sid=f"CA{index:032d}", caller=PARENTS[index], parent_name=NAMES[index],
            address=ADDRESS, postcode="30974" if eldercare else "30159",
            municipality="Wennigsen" if eldercare else "Hannover",
            care_type=CareType.ELDERCARE if eldercare else CareType.CHILD, care_level=3 if eldercare else None,
            child_age=None if eldercare else 4, caller_type=CallerType.PARENT, urgency=Urgency.NOW,
            reason=Reason.ACCIDENT_ILLNESS, notes="Rückruf unter 0511 9876543",
            coordinator="+4915700000001" if human is not None else None,
            connected_at=at + timedelta(seconds=human) if human is not None else None,
            dial_stage="primary" if human is not None else "voicemail",
            employer_id=employer.id if index < 3 else None,
        )
        if assigned_after is not None:
            case.caregiver_id = caregivers[index].id
            case.caregiver = caregivers[index].phone
            case.assigned_at = at + timedelta(minutes=assigned_after)
        cases.append(case)
    session.flush()
    _dispatch(session, cases[0], caregivers, offers=2, at=times[0], filled=True)
    _dispatch(session, cases[1], caregivers, offers=3, at=times[1], filled=True)
    _dispatch(session, cases[2], caregivers, offers=4, at=times[2], filled=True, undeliverable=1)
    _dispatch(session, cases[3], caregivers, offers=2, at=times[3], filled=False)
    _care(session, cases[0], start=times[0] + timedelta(hours=1), minutes=120)
    _care(session, cases[1], start=times[1] + timedelta(hours=2), minutes=90)
    _care(session, cases[2], start=times[2] + timedelta(hours=3), minutes=45)
    _care(session, cases[2], start=times[2] + timedelta(hours=5), minutes=17 * 60, flag="longer_than_16h")
    session.add(CareSession(case_id=cases[1].id, caregiver_id=cases[1].caregiver_id, started_at=now,
                            ended_at=None, source="sms", flag=None, created_at=now, updated_at=now))
    anonymise_case(session, cases[4], now=now)
    session.flush()
    return World(cases=cases, caregiver_phones=[c.phone for c in caregivers], employer=employer)


@pytest.fixture
def world(session: Session, clock) -> World:
    return build_world(session, now=clock.now())


NOVEMBER = Period("2026-11", "2026-11")


def test_the_month_has_the_figures_the_cases_were_made_with(session: Session, world: World) -> None:
    figures = compile_report(session, period=NOVEMBER).get()
    assert figures.calls == 5
    assert figures.night_calls == 1
    assert (figures.connected, figures.voicemail) == (4, 1)
    assert figures.human_median == 30 and figures.human_p90 == 60
    assert (figures.sought, figures.filled) == (4, 3)
    assert figures.caregiver_median == 60 and figures.caregiver_p90 == 120
    assert figures.within_promise == 2
    assert figures.offers_per_filled == 3  # (2 + 3 + 4) / 3; the undeliverable SMS does not count
    assert figures.care_minutes == 255  # flagged and unfinished sessions are left out
    shown = present(figures)
    assert shown["care_hours"] == "4,3"
    assert shown["filled_share"] == "75,0" and shown["promise_share"] == "66,7"
    assert shown["night_share"] == "20,0"


def test_anonymised_cases_still_count(session: Session, world: World) -> None:
    anonymised = world.cases[4]
    assert anonymised.caller is None and anonymised.call_sid is None and anonymised.anonymised_at is not None
    report = compile_report(session, period=NOVEMBER)
    elder = report.get(dimension="care_type", value="eldercare")
    assert elder.calls == 1 and elder.connected == 1
    assert report.get(dimension="municipality", value="Wennigsen").calls == 1


def test_eldercare_and_childcare_are_apart(session: Session, world: World) -> None:
    report = compile_report(session, period=NOVEMBER)
    assert report.get(dimension="care_type", value="child").calls == 4
    assert report.get(dimension="care_type", value="eldercare").calls == 1


def test_partner_employers_and_their_staffs_usage(session: Session, world: World) -> None:
    report = compile_report(session, period=NOVEMBER)
    rows = {row.value: row.figures for row in report.employer_rows()}
    assert set(rows) == {"Stadtwerke Beispiel GmbH", "Ruhige Partner AG"}
    assert rows["Stadtwerke Beispiel GmbH"].calls == 3
    assert rows["Stadtwerke Beispiel GmbH"].care_minutes == 255
    assert present(rows["Ruhige Partner AG"])["calls"] == "0"


def test_a_range_of_months(session: Session, world: World) -> None:
    report = compile_report(session, period=Period("2026-10", "2026-11"))
    assert report.get(month="2026-10").calls == 1
    assert report.get(month="2026-11").calls == 5
    assert report.get().calls == 6


def parse_csv(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))


def test_the_csv_has_one_row_per_month_dimension_and_value(session: Session, world: World) -> None:
    text = report_csv(compile_report(session, period=Period("2026-10", "2026-11")))
    assert text[1:].splitlines()[0] == ";".join(COLUMNS)
    assert "\r\n" in text
    rows = parse_csv(text)
    keys = [(r["Monat"], r["Dimension"], r["Auspraegung"]) for r in rows]
    assert len(keys) == len(set(keys))
    total = next(r for r in rows if r["Monat"] == "2026-11" and r["Dimension"] == "gesamt")
    assert total["Anrufe"] == "5" and total["Betreuungsstunden"] == "4,3"
    assert total["Anteil_in_90_Min_Prozent"] == "66,7" and total["Angebote_je_Einsatz"] == "3,0"
    assert total["Zeit_bis_Betreuung_Median_Min"] == "60,0" and total["Zeit_bis_Person_Median_Sek"] == "30"
    assert rows[-1]["Monat"] == "gesamt"
    elder = next(r for r in rows if r["Monat"] == "2026-11" and r["Auspraegung"] == "Betreuung von Angehörigen")
    assert elder["Dimension"] == "Betreuungsart"
    employer = next(r for r in rows if r["Monat"] == "gesamt" and r["Dimension"] == "Arbeitgeber")
    assert employer["Auspraegung"] == "Stadtwerke Beispiel GmbH" and employer["Anrufe"] == "3"


def test_small_cells_are_suppressed_in_the_csv(session: Session, world: World) -> None:
    rows = parse_csv(report_csv(compile_report(session, period=NOVEMBER)))
    wennigsen = next(r for r in rows if r["Monat"] == "2026-11" and r["Auspraegung"] == "Wennigsen")
    assert wennigsen["Anrufe"] == "<3"
    assert all(value in ("", "<3", "0", "0,0") for key, value in wennigsen.items()
               if key not in ("Monat", "Dimension", "Auspraegung")), wennigsen
    voicemail_night = next(r for r in rows if r["Monat"] == "2026-11" and r["Dimension"] == "gesamt")
    assert voicemail_night["Anrufe"] == "5"
    for row in rows:
        for key in COLUMNS[3:]:
            assert row[key] not in ("1", "2"), (row["Dimension"], row["Auspraegung"], key)


def test_the_csv_carries_no_personal_data(session: Session, world: World) -> None:
    text = report_csv(compile_report(session, period=Period("2026-10", "2026-11")))
    digits = "".join(ch for ch in text if ch.isdigit() or ch in "+;\n")
    forbidden = [*PARENTS, *NAMES, ADDRESS, "Lindenallee", "30159", "30974", "9876543", *CONTACT,
                 "RV-2026-0042", "+4915700000001", *world.caregiver_phones,
                 *(case.reference for case in world.cases), *(f"CA{i:032d}" for i in range(6))]
    for value in forbidden:
        assert value not in text, value
    for phone in (*PARENTS, *world.caregiver_phones):
        assert phone[3:] not in digits, phone  # not even without the country code
    assert "Betreuerin" not in text


def test_calls_are_counted_by_the_callers_language(session: Session, world: World) -> None:
    for case in world.cases[:3]:
        case.language = "tr"
    world.cases[3].language = "ar"
    session.flush()
    report = compile_report(session, period=NOVEMBER)
    assert report.get(dimension="language", value="tr").calls == 3
    assert report.get(dimension="language", value="ar").calls == 1
    assert report.get(dimension="language", value="de").calls == 1  # the anonymised case keeps its language
    assert report.get(dimension="language", value="tr").filled == 3
    text = report_csv(report)
    assert text[1:].splitlines()[0] == ";".join(COLUMNS)  # rows were added, no column
    rows = parse_csv(text)
    turkish = next(r for r in rows if r["Monat"] == "gesamt" and r["Auspraegung"] == "Türkisch")
    assert turkish["Dimension"] == "Sprache" and turkish["Anrufe"] == "3"
    arabic = next(r for r in rows if r["Monat"] == "2026-11" and r["Auspraegung"] == "Arabisch")
    assert arabic["Anrufe"] == "<3"
