"""The case summary the coordinator hears before taking a call, and its SMS form."""

from enum import StrEnum

import pytest

from ivr.summary import describe_case

CHILD = {
    "caller_type": "parent",
    "care_type": "child",
    "children": 1,
    "child_age": 3,
    "postcode": "30159",
    "municipality": "Hannover",
    "urgency": "now",
    "reason": "regular_care_failure",
    "flags": [],
}
RELATIVE = {
    "caller_type": "parent",
    "care_type": "eldercare",
    "care_level": 2,
    "postcode": "30851",
    "municipality": "Langenhagen",
    "urgency": "today",
    "reason": "accident_illness",
}


def test_a_child_case_in_speech():
    assert (
        describe_case(CHILD)
        == "Kind, 3 Jahre, Postleitzahl 3 0 1 5 9, Hannover, sofort, Betreuung ausgefallen."
    )


def test_a_child_case_as_sms():
    assert describe_case(CHILD, style="sms") == "Kind 3 J., 30159 Hannover, sofort, Betreuung ausgefallen"


def test_a_child_case_in_english():
    assert describe_case(CHILD, language="en") == (
        "Child, 3 years old, postcode 3 0 1 5 9, Hannover, now, usual care unavailable."
    )
    assert describe_case(CHILD, language="en", style="sms") == (
        "Child aged 3, 30159 Hannover, now, usual care unavailable"
    )


def test_a_relative_with_a_care_level():
    assert describe_case(RELATIVE) == (
        "Angehörige, Pflegegrad 2, Postleitzahl 3 0 8 5 1, Langenhagen, heute, Unfall oder Krankheit."
    )
    assert (
        describe_case(RELATIVE, style="sms")
        == "Angehörige, Pflegegrad 2, 30851 Langenhagen, heute, Unfall oder Krankheit"
    )


def test_care_level_0_is_unknown():
    assert describe_case({"care_type": "eldercare", "care_level": 0}) == "Angehörige, Pflegegrad unbekannt."
    assert (
        describe_case({"care_type": "eldercare", "care_level": 0}, language="en")
        == "Relative, care level unknown."
    )


def test_several_children_name_the_youngest():
    fields = {**CHILD, "children": 3, "child_age": 0, "urgency": "tomorrow", "reason": "work_emergency"}
    assert describe_case(fields) == (
        "3 Kinder, jüngstes unter 1 Jahr, Postleitzahl 3 0 1 5 9, Hannover, morgen, Notfall bei der Arbeit."
    )
    assert describe_case(fields, style="sms").startswith("3 Kinder, jüngstes unter 1 J., 30159 Hannover")


def test_ages_0_and_1():
    assert describe_case({"care_type": "child", "child_age": 0}) == "Kind, unter 1 Jahr."
    assert describe_case({"care_type": "child", "child_age": 1}) == "Kind, 1 Jahr."


@pytest.mark.parametrize(
    ("caller_type", "de", "en"),
    [
        ("employer", "Anruf eines Arbeitgebers.", "Call from an employer."),
        ("caregiver", "Anruf einer Betreuungskraft.", "Call from a carer."),
    ],
)
def test_employer_and_caregiver_calls(caller_type, de, en):
    assert describe_case({"caller_type": caller_type}) == de
    assert describe_case({"caller_type": caller_type}, language="en") == en


def test_unknown_parts_are_left_out():
    assert (
        describe_case({"caller_type": "parent", "care_type": "child", "urgency": "later"}) == "Kind, später."
    )
    assert describe_case({"postcode": "30159", "municipality": "Hannover", "reason": "other"}) == (
        "Postleitzahl 3 0 1 5 9, Hannover, anderer Grund."
    )


def test_a_case_without_any_answer():
    assert describe_case({}) == "Keine Angaben."
    assert describe_case({"caller_type": None, "flags": ["menu_incomplete"]}) == (
        "Keine Angaben. Hinweis: Menü nicht beendet."
    )
    assert describe_case({}, language="en", style="sms") == "No details"


def test_flags_are_mentioned_briefly():
    fields = {
        **CHILD,
        "child_age": 14,
        "postcode": "10115",
        "municipality": None,
        "flags": ["child_over_13", "outside_region"],
    }
    assert describe_case(fields) == (
        "Kind, 14 Jahre, Postleitzahl 1 0 1 1 5, sofort, Betreuung ausgefallen. "
        "Hinweis: Kind über 13, außerhalb der Region."
    )
    assert describe_case(fields, style="sms") == (
        "Kind 14 J., 10115, sofort, Betreuung ausgefallen, Kind über 13, außerhalb der Region"
    )
    assert describe_case(fields, language="en").endswith("Note: child over 13, outside the region.")


def test_enum_values_and_string_numbers_are_accepted():
    class Urgency(StrEnum):
        NOW = "now"

    fields = {**CHILD, "urgency": Urgency.NOW, "children": "1", "child_age": "3"}
    assert describe_case(fields) == describe_case(CHILD)


def test_unknown_language_or_style_is_refused():
    with pytest.raises(ValueError):
        describe_case(CHILD, language="fr")
    with pytest.raises(ValueError):
        describe_case(CHILD, style="fax")


def test_the_callers_language_comes_first_and_the_summary_stays_german():
    turkish = {**CHILD, "language": "tr"}
    assert describe_case(turkish) == (
        "Anruferin spricht Türkisch. Kind, 3 Jahre, Postleitzahl 3 0 1 5 9, Hannover, sofort, Betreuung ausgefallen."
    )
    assert describe_case(turkish, style="sms") == (
        "Anruferin spricht Türkisch, Kind 3 J., 30159 Hannover, sofort, Betreuung ausgefallen"
    )
    assert describe_case({**CHILD, "language": "uk"}, language="en").startswith("Caller speaks Ukrainian. Child,")
    assert describe_case({"language": "ar"}) == "Anruferin spricht Arabisch. Keine Angaben."


def test_german_or_an_unknown_language_is_not_named():
    plain = describe_case(CHILD)
    assert describe_case({**CHILD, "language": "de"}) == plain
    assert describe_case({**CHILD, "language": None}) == plain
    assert describe_case({**CHILD, "language": "xx"}) == plain
