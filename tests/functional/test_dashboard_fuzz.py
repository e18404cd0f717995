"""Property: every dashboard route and form, as a lead and as a coordinator, with random and hostile
values (every Unicode digit class, huge numbers, empty, very long) — never a 5xx, never past a generous
time limit (a hang fails), and a refused request writes nothing.

The routes come from the app's URL map; FIELDS names what each one reads. A route missing from FIELDS
fails `test_every_dashboard_route_is_in_the_field_table`: add it there (its query or form fields).
The budget is fixed (FUZZ_EXAMPLES per route, default 8; a few minutes on both databases together).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import sys
import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from accounts import create_user
from models import Base, User
from tests.deadline import within
from tests.functional.test_dashboard_authz import world  # noqa: F401 - the shared fixture of ids

PASSWORD = "ein-langes-passwort"
#: Not dashboard routes: Twilio's webhooks (voice*, sms; fuzzed in test_webhook_fuzz.py), files, health, metrics.
NOT_DASHBOARD = ("voice", "sms.", "assets.", "static", "health.", "metrics.")

CARE_TIMES = ("start_date", "start_time", "start_time_reading", "end_date", "end_time", "end_time_reading",
              "care_session_id", "confirmed")
CAREGIVER = ("name", "phone", "postcode", "max_distance_km", "min_age", "max_age", "languages", "eldercare",
             "active", "police_certificate_date", "police_certificate_excluded", "first_aid_date")
EMPLOYER = ("name", "contract_number", "starts_on", "ends_on", "fee_period", "fee_amount", "address", "postcode",
            "contact_person", "contact_phone", "email", "notes")
FAMILY = ("name", "address", "postcode", "employer_id", "tariff_code", "phones", "children", "pickup_authorised",
          "notes")
SHIFT = ("name", "phone", "start", "end", "role", "languages")
#: What each dashboard route reads: query arguments for GET, form fields for POST.
FIELDS: dict[str, tuple[str, ...]] = {
    "auth.login": ("username", "password", "next"),
    "auth.logout": (),
    "auth.set_language": ("next",),
    "board.board": (),
    "board.rows": (),
    "board.switch_surge": ("on", "why"),
    "calendar.feed": (),
    "cases.show": (),
    "cases.edit": ("parent_name", "address", "care_date", "care_time", "care_time_reading", "expected_hours",
                   "notes"),
    "cases.dispatch": (),
    "cases.redispatch": (),
    "cases.assign": ("caregiver_id",),
    "cases.close": (),
    "cases.cancel": (),
    "cases.callback": (),
    "cases.voicemail": (),
    "billing.link_employer": ("employer_id",),
    "billing.set_tariff": ("tariff_code",),
    "billing.care_times": CARE_TIMES,
    "billing.index": ("month",),
    "billing.run": ("month",),
    "billing.invoice_pdf_download": (),
    "billing.invoice_csv_download": (),
    "billing.statement_csv_download": (),
    "billing.accounting_download": (),
    "caregivers.index": ("age", "municipality", "eldercare", "checks"),
    "caregivers.detail": (),
    "caregivers.edit": CAREGIVER,
    "caregivers.add_period": ("starts_on", "ends_on", "reason"),
    "caregivers.remove_period": (),
    "caregivers.opt_out": ("opted_out",),
    "doctor.page": (),
    "partners.employers": (),
    "partners.new_employer": EMPLOYER,
    "partners.edit_employer": EMPLOYER,
    "partners.families": ("q",),
    "partners.family": (),
    "partners.new_family": FAMILY,
    "partners.edit_family": FAMILY,
    "partners.members": ("municipality", "action"),
    "partners.tariffs": ("code", "hourly_rate", "valid_from"),
    "prompts.index": ("language",),
    "reports.index": ("from", "to"),
    "reports.export": ("from", "to"),
    "roster.week": ("week",),
    "roster.new_shift": SHIFT,
    "roster.edit_shift": SHIFT,
    "roster.remove_shift": ("week",),
    "roster.save_languages": ("phone", "languages", "week"),
    "roster.upload": ("file",),
    "roster.renew_feed": ("phone", "week"),
    "simulator.page": (),
    "simulator.messages": ("after",),
    "simulator.relay": ("path", "params"),
    "account.page": (),
    "account.phone": ("phone",),
    "account.password": ("current", "new", "repeated"),
    "users.edit": ("name", "role", "phone", "active"),
    "users.index": (),
    "users.create": ("username", "name", "role", "phone", "password", "generate"),
    "users.toggle_active": ("active",),
    "users.new_password": (),
    "users.unlock_sign_in": (),
}
#: Routes after which the fuzzing user may be signed out (she signs in again).
SIGNS_OUT = {"auth.logout", "auth.login", "account.password"}
#: Tables a refused request may still write: the audit log (who looked) and sign-in bookkeeping.
MAY_WRITE = {"audit_log", "login_attempts", "job_runs", "worker_heartbeats"}

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
REQUEST_LIMIT_SECONDS = 10

NON_ASCII_DIGITS = "".join(
    ch for ch in map(chr, range(0x80, sys.maxunicode + 1)) if ch.isdigit() or unicodedata.category(ch) == "Nd"
)
HOSTILE = [
    "", " ", "0", "-1", "1", "²", "٢٠٢٦-١١", "２０２６-１１", "２０２６-１０", "2026-10", "2026-11", "9" * 40,
    str(2**31), str(2**63), str(10**400), "1e308", "NaN", "-inf", "\x00", "a" * 5000, "ä" * 300,
    '=HYPERLINK("http://evil.example")', "<script>alert(1)</script>", "25.10.2026", "2026-10-25", "02:30",
    "02:30 MEZ", "MESZ", "２５.１０.２０２６", "１２:３０", "30159", "３０１５９", "0151 23456789",
    "０１５１ ２３４５６７８９", "yes", "no", "1,5", "1.234,50", "lead", "coordinator", "de", "en", "//evil.example/",
    "/%09/evil.example/", "2026-W48", "2026-W99", "regular", "student",
]
value = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(alphabet=st.sampled_from("0123456789-.:, " + NON_ASCII_DIGITS), max_size=24),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=40),
)
#: A path segment: real ids of the world, or anything without a slash.
segment = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=20)).map(lambda s: s.replace("/", "") or "x")


def dashboard_rules(app: Any) -> list[Any]:
    """Return the app's dashboard rules (not Twilio's webhooks, files, health or metrics)."""
    return [r for r in app.url_map.iter_rules() if not r.endpoint.startswith(NOT_DASHBOARD)]


def fingerprint(session: Any) -> dict[str, str]:
    """Return a digest of every row of every table a refused request must not change."""
    digests = {}
    for table in Base.metadata.sorted_tables:
        if table.name in MAY_WRITE:
            continue
        order = ", ".join(c.name for c in table.primary_key.columns) or "1"
        rows = session.execute(text(f"SELECT * FROM {table.name} ORDER BY {order}")).all()  # noqa: S608 - names from the models
        digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests


def token_of(client: Any) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    assert match
    return match.group(1)


def sign_in(client: Any, username: str) -> None:
    client.post("/logout", data={"csrf_token": token_of(client)})
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token_of(client)})
    assert response.status_code == 302, "the fuzzing user signs in"


def test_every_dashboard_route_is_in_the_field_table(app: Any) -> None:
    endpoints = {rule.endpoint for rule in dashboard_rules(app)}
    missing = endpoints - set(FIELDS)
    assert not missing, f"add these routes to FIELDS in {__name__} (what they read): {sorted(missing)}"
    assert not set(FIELDS) - endpoints, "FIELDS names a route that is gone"


@pytest.fixture
def fuzz_world(session: Any, clock: Any, world: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    """The authz test's world, plus a user the users page may change (not the ones signed in)."""
    victim = create_user(session, username="victim", name="Victim", role="coordinator", password=PASSWORD,
                         now=clock.now())
    session.flush()
    ids = {k: v for k, v in world.items() if isinstance(v, int)}
    return {**world, "user_id": victim.id, "ids": sorted(set(ids.values()) | {victim.id})}


@pytest.mark.parametrize("endpoint", sorted(FIELDS))
def test_no_dashboard_route_fails_on_hostile_input(
    app: Any, session: Any, fuzz_world: dict[str, Any], endpoint: str
) -> None:
    rules = [r for r in dashboard_rules(app) if r.endpoint == endpoint]
    assert rules, f"{endpoint} is in FIELDS but not in the app"
    rule = rules[0]
    clients = {}
    for role in ("lead", "coordinator"):
        clients[role] = app.test_client()
        sign_in(clients[role], role)
    tokens = {role: token_of(c) for role, c in clients.items()}
    methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
    fields = FIELDS[endpoint]

    def path_value(arg: str) -> st.SearchStrategy[str]:
        real = fuzz_world.get(arg)
        known = [str(real)] if real is not None else []
        is_id = type(rule._converters[arg]).__name__ == "IdConverter"
        pool = st.sampled_from(known + [str(i) for i in fuzz_world["ids"]]) if is_id else st.sampled_from(known or ["x"])
        return st.one_of(pool, pool, segment)

    path = st.fixed_dictionaries({arg: path_value(arg) for arg in sorted(rule.arguments)})
    form = st.dictionaries(st.sampled_from(fields), value, max_size=len(fields)) if fields else st.just({})

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(role=st.sampled_from(["lead", "coordinator"]), method=st.sampled_from(methods), args=path, data=form,
           keep_token=st.booleans() | st.just(True))
    def hostile_request(role: str, method: str, args: dict[str, str], data: dict[str, str], keep_token: bool) -> None:
        client = clients[role]
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: _quote(args[m.group(1)]), rule.rule)
        session.expire_all()
        before = fingerprint(session)
        with within(REQUEST_LIMIT_SECONDS, f"{method} {url}"):
            if method == "GET":
                response = client.get(url, query_string=data)
            elif endpoint == "simulator.relay":
                response = client.post(url, json=data, headers={"X-CSRFToken": tokens[role]})
            elif endpoint == "roster.upload":
                upload = (io.BytesIO("\n".join(data.values()).encode("utf-8", "surrogatepass")), "dienstplan.csv")
                response = client.post(url, data={"csrf_token": tokens[role], "file": upload},
                                       content_type="multipart/form-data")
            else:
                body = {**data, "csrf_token": tokens[role]} if keep_token else data
                response = client.post(url, data=body)
        assert response.status_code < 500, (method, url, data, response.status_code)
        if response.status_code >= 400:
            session.expire_all()
            after = fingerprint(session)
            changed = [name for name in before if before[name] != after[name]]
            assert not changed, f"{method} {url} was refused ({response.status_code}) but wrote {changed}"
        if endpoint in SIGNS_OUT:
            sign_in(client, role)
            tokens[role] = token_of(client)

    hostile_request()


def _quote(segment_text: str) -> str:
    from urllib.parse import quote

    return quote(segment_text, safe="")


def test_the_fuzzing_users_are_still_there(session: Any, fuzz_world: dict[str, Any]) -> None:
    names = set(session.scalars(select(User.username)))
    assert {"lead", "coordinator", "victim"} <= names
