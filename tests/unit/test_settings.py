"""Settings: one definition per setting, read strictly, and README's configuration table matches it."""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import timedelta
from pathlib import Path

import pytest

from billing.hours import DEFAULT_UNIT_MINUTES
from core.settings import (
    READ_ELSEWHERE,
    Settings,
    default,
    load_settings,
    read_whole_number,
    shown_default,
    variables,
)
from dispatch.policy import GROWING_CAP, URGENCIES, DispatchPolicy
from gdpr.retention import RetentionPolicy

REPO = Path(__file__).resolve().parents[2]
TABLE_HEADER = "| variable | meaning | default |"
#: Where code reads the environment itself (tests and benchmarks set up their own).
_ENV_READ = re.compile(r"""(?:environ\.get|environ\[|getenv)\(?\s*["']([A-Z][A-Z0-9_]*)["']""")


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def _names(cell: str) -> list[str]:
    """Return the variables a table cell names: `A`, `B` and `A_{X,Y}_B` (each brace choice a name)."""
    names = []
    for code in re.findall(r"`([^`]+)`", cell):
        if match := re.fullmatch(r"([A-Z0-9_]*)\{([A-Z0-9_,]+)\}([A-Z0-9_]*)", code):
            names += [match[1] + choice + match[3] for choice in match[2].split(",")]
        else:
            names.append(code)
    return names


def readme_table() -> list[tuple[list[str], str]]:
    """Return README's configuration table as (variable names, default cell) per row."""
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index(TABLE_HEADER) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = _cells(line)
        rows.append((_names(cells[0]), cells[-1]))
    return rows


def documented_defaults() -> dict[str, str]:
    """Return every variable's default as the definitions say README shows it."""
    defaults = {variable.name: shown_default(f, variable) for f, variable in variables()}
    defaults.update({other.name: other.shown_default for other in READ_ELSEWHERE})
    return defaults


def test_readme_table_names_every_setting_with_its_default_and_nothing_else() -> None:
    defaults = documented_defaults()
    seen: list[str] = []
    for names, cell in readme_table():
        unknown = [name for name in names if name not in defaults]
        assert not unknown, (f"README's configuration table names {unknown}, which no setting defines: add a field "
                             "made by setting() to core.settings.Settings (or an entry to READ_ELSEWHERE)")
        shown = [defaults[name] for name in names]
        expected = shown[0] if len(set(shown)) == 1 else ", ".join(shown)
        assert cell == expected, f"README shows the default of {', '.join(names)} as {cell!r}; it is {expected!r}"
        seen += names
    assert len(seen) == len(set(seen)), "a variable has two rows in README's configuration table"
    missing = sorted(set(defaults) - set(seen))
    assert not missing, f"settings missing from README's configuration table: {missing}"


def test_names_in_braces_and_lists_are_read_from_the_table() -> None:
    assert _names("`DISPATCH_WAIT_{NOW,LATER}_MINUTES`") == ["DISPATCH_WAIT_NOW_MINUTES", "DISPATCH_WAIT_LATER_MINUTES"]
    assert _names("`VOICE_DE`, `VOICE_EN`") == ["VOICE_DE", "VOICE_EN"]


def test_variables_read_elsewhere_are_read_where_the_definition_says() -> None:
    for other in READ_ELSEWHERE:
        assert other.name in (REPO / other.read_in).read_text(encoding="utf-8"), other


def test_code_reads_no_environment_variable_without_a_definition() -> None:
    defined = set(documented_defaults())
    skip = {"tests", "bench", ".venv", "node_modules", "migrations"}
    undefined = {}
    for path in REPO.rglob("*.py"):
        if skip.intersection(path.relative_to(REPO).parts):
            continue
        for name in _ENV_READ.findall(path.read_text(encoding="utf-8")):
            if name not in defined:
                undefined[name] = str(path.relative_to(REPO))
    assert not undefined, f"environment variables read without a definition in core.settings: {undefined}"


def test_the_deployment_environment_file_sets_only_defined_variables() -> None:
    lines = (REPO / "deploy" / "fluxx.env.example").read_text(encoding="utf-8").splitlines()
    names = {line.split("=", 1)[0] for line in lines if line.strip() and not line.startswith("#")}
    assert names and names <= set(documented_defaults()), names - set(documented_defaults())


def test_every_variable_is_defined_once() -> None:
    names = [variable.name for _, variable in variables()] + [other.name for other in READ_ELSEWHERE]
    assert len(names) == len(set(names))


def test_an_empty_environment_gives_the_defaults(tmp_path: Path) -> None:
    settings = load_settings({}, instance_path=tmp_path)
    for f, _ in variables():
        if f.name != "database_url":
            assert getattr(settings, f.name) == f.default, f.name
    assert settings.database_url == f"sqlite:///{tmp_path / 'fluxx.sqlite3'}"
    assert settings.simulator_mode and settings.simulator_auth_token == (tmp_path / "simulator_auth_token").read_text()


def test_each_variable_is_read_into_its_field(tmp_path: Path) -> None:
    env = {"DATABASE_URL": " sqlite:// ", "HOTLINE_NUMBER": "+4951100000001", "SERVICE_ON_HOLIDAYS": "Ja",
           "RING_TIMEOUT_SECONDS": "25", "DISPATCH_WAIT_LATER_MINUTES": "90", "TRUSTED_PROXY_HOPS": "2",
           "SIMULATOR_CLOCK_OFFSET": "30d", "CASE_RETENTION_MONTHS": "6", "METRICS_TOKEN": "m", "VOICE_EN": ""}
    settings = load_settings(env, instance_path=tmp_path)
    assert settings.database_url == "sqlite://"
    assert settings.hotline_number == "+4951100000001"
    assert settings.service_on_holidays is True
    assert settings.ring_timeout_seconds == 25
    assert settings.dispatch_wait_later_minutes == 90
    assert settings.trusted_proxy_hops == 2
    assert settings.simulator_clock_offset == timedelta(days=30)
    assert settings.case_retention_months == 6
    assert settings.metrics_token == "m" and "'m'" not in repr(settings)
    assert settings.voice_en == "Polly.Amy"  # empty is unset


@pytest.mark.parametrize("flag", ["false", "no", "0", "nein"])
def test_anything_but_a_yes_is_false(tmp_path: Path, flag: str) -> None:
    assert load_settings({"SERVICE_ON_HOLIDAYS": flag}, instance_path=tmp_path).service_on_holidays is False


@pytest.mark.parametrize("text", ["zwanzig", "2.5", "1_000", "+5", "２０", "٢٠", "²", "5 0", "-"])
def test_a_number_is_ascii_digits_only(tmp_path: Path, text: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"RING_TIMEOUT_SECONDS must be a whole number, not {text!r}")):
        load_settings({"RING_TIMEOUT_SECONDS": text}, instance_path=tmp_path)


def test_a_number_has_at_most_nine_digits(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="VOICEMAIL_RETENTION_DAYS must be from 1 to 3650, not 999999999"):
        load_settings({"VOICEMAIL_RETENTION_DAYS": "999999999"}, instance_path=tmp_path)
    with pytest.raises(ValueError, match="VOICEMAIL_RETENTION_DAYS must be a whole number of at most 9 digits"):
        load_settings({"VOICEMAIL_RETENTION_DAYS": "1" + "0" * 9}, instance_path=tmp_path)


def _bounded() -> list[tuple[str, int, int]]:
    return [(v.name, *v.bounds) for _, v in variables() if v.bounds is not None]


def test_every_whole_number_setting_has_bounds_around_its_default() -> None:
    numbers = [(f, v) for f, v in variables() if v.read is read_whole_number]
    assert numbers and all(v.bounds is not None for _, v in numbers), [v.name for _, v in numbers if not v.bounds]
    for f, variable in numbers:
        low, high = variable.bounds or (0, 0)
        assert isinstance(f.default, int), variable.name
        assert low <= f.default <= high and low >= 0, variable.name


def test_readme_table_shows_each_range() -> None:
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    rows: dict[str, str] = {}
    for line in lines[lines.index(TABLE_HEADER) + 2:]:
        if not line.startswith("|"):
            break
        rows.update(dict.fromkeys(_names(_cells(line)[0]), _cells(line)[1]))
    for name, low, high in _bounded():
        assert f"({low} to {high}" in rows[name], name


@pytest.mark.parametrize(("name", "low", "high"), _bounded())
def test_a_number_setting_is_refused_outside_its_bounds(tmp_path: Path, name: str, low: int, high: int) -> None:
    by_name = {v.name: f.name for f, v in variables()}
    for value in (low, high):
        assert getattr(load_settings({name: str(value)}, instance_path=tmp_path), by_name[name]) == value
    for value in (low - 1, high + 1, -1, -30):
        if low <= value <= high:
            continue
        with pytest.raises(ValueError, match=f"^({name} must be from {low} to {high}, not {value}|{name} must be .*)$"):
            load_settings({name: str(value)}, instance_path=tmp_path)


@pytest.mark.parametrize(("name", "text"), [("VOICEMAIL_RETENTION_DAYS", "-1"), ("TRUSTED_PROXY_HOPS", "-1"),
                                            ("RING_TIMEOUT_SECONDS", "-20"), ("SMS_RETENTION_DAYS", "0")])
def test_a_value_that_makes_no_sense_stops_the_start_with_its_range(tmp_path: Path, name: str, text: str) -> None:
    low, high = next((low, high) for n, low, high in _bounded() if n == name)
    with pytest.raises(ValueError, match=f"^{name} must be from {low} to {high}, not {text}$"):
        load_settings({name: text}, instance_path=tmp_path)


@pytest.mark.parametrize("text", ["0", "-60"])
def test_the_billing_unit_is_positive(tmp_path: Path, text: str) -> None:
    with pytest.raises(ValueError, match="^BILLING_UNIT_MINUTES must be a positive number of minutes$"):
        load_settings({"BILLING_UNIT_MINUTES": text}, instance_path=tmp_path)


@pytest.mark.parametrize("text", ["30", "1e3d", "nand", "infd", "٣d", "1_0d", "1234567d"])
def test_a_clock_offset_is_refused_unless_plain(tmp_path: Path, text: str) -> None:
    with pytest.raises(ValueError, match="SIMULATOR_CLOCK_OFFSET must look like 30d"):
        load_settings({"SIMULATOR_CLOCK_OFFSET": text}, instance_path=tmp_path)


def test_the_policies_default_to_the_settings_defaults() -> None:
    from_settings = DispatchPolicy.from_settings(Settings(database_url="sqlite://"))
    assert DispatchPolicy() == from_settings
    assert DispatchPolicy().wave_size == default("dispatch_wave_size") == 3
    assert [DispatchPolicy().wait_for(u) for u in URGENCIES] == [timedelta(minutes=m) for m in (5, 15, 60, 120)]
    assert [DispatchPolicy().deadline_for(u) for u in URGENCIES] == [timedelta(minutes=m) for m in (60, 180, 720, 1440)]
    assert RetentionPolicy() == RetentionPolicy.from_settings(Settings(database_url="sqlite://"))
    assert RetentionPolicy() == RetentionPolicy(voicemail_days=30, case_months=12, certificate_months=3, sms_days=30)
    assert DEFAULT_UNIT_MINUTES == default("billing_unit_minutes") == 60


def test_the_policies_follow_the_settings(tmp_path: Path) -> None:
    env = {"DISPATCH_WAVE_SIZE": "5", "DISPATCH_DEADLINE_TOMORROW_MINUTES": "600", "CERTIFICATE_RETENTION_MONTHS": "2"}
    settings = load_settings(env, instance_path=tmp_path)
    policy = DispatchPolicy.from_settings(settings)
    assert policy.wave_size == 5 and policy.deadline_for("tomorrow") == timedelta(minutes=600)
    assert RetentionPolicy.from_settings(settings).certificate_months == 2


def test_every_field_but_the_local_token_has_a_variable() -> None:
    with_variable = {f.name for f, _ in variables()}
    assert {f.name for f in fields(Settings)} - with_variable == {"simulator_auth_token"}


def test_dispatch_policy_selects_the_growing_waves(tmp_path: Path) -> None:
    settings = load_settings({"DISPATCH_POLICY": "growing", "DISPATCH_WAVE_SIZE": "3"}, instance_path=tmp_path)
    policy = DispatchPolicy.from_settings(settings)
    assert [policy.size_of_wave(n) for n in (1, 2, 3, 4, 5)] == [3, 6, 12, GROWING_CAP, GROWING_CAP]
    today = DispatchPolicy.from_settings(load_settings({}, instance_path=tmp_path))
    assert [today.size_of_wave(n) for n in (1, 2, 3)] == [3, 3, 3]
