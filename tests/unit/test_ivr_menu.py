"""The voice menu's step rules, as a caller and the voice webhook rely on them."""

import pytest

from core.languages import LANGUAGES
from geo import PostcodeInfo, PostcodeKind
from ivr.menu import (
    LINE_KEYS,
    Advance,
    Ask,
    Connect,
    ConnectReason,
    Line,
    Question,
    Step,
    advance,
    first_ask,
    language_offers,
    question,
)

HAPPY_PATH = ["1", "1", "1", "3", "30159", "1", "1"]
PERSON = Connect(ConnectReason.ASKED_FOR_PERSON, (Line("connecting_person"),))
GIVE_UP = Connect(ConnectReason.NOT_UNDERSTOOD, (Line("not_understood_connect"),))


def walk_menu(keys, *, lookup=None):
    """Press `keys` from the start; return every Advance."""
    ask = first_ask()
    results = []
    for digits in keys:
        result = (
            advance(ask.step, ask.attempt, digits)
            if lookup is None
            else advance(ask.step, ask.attempt, digits, lookup=lookup)
        )
        results.append(result)
        if isinstance(result.next, Connect):
            break
        ask = result.next
    return results


def collected(results):
    answers = {}
    for result in results:
        answers.update(result.answers)
    return answers


def test_the_call_opens_with_the_welcome_and_the_caller_type_question():
    assert first_ask() == Ask(Step.CALLER_TYPE, 1, (Line("welcome"),))


def test_gather_settings_per_step():
    for step in Step:
        q = question(step)
        assert isinstance(q, Question) and q.step is step and q.prompt == step.value
    assert question(Step.POSTCODE).num_digits == 5
    assert question(Step.CHILD_AGE).num_digits is None
    assert question(Step.CHILD_AGE).finish_on_key == "#"
    for step in set(Step) - {Step.POSTCODE, Step.CHILD_AGE}:
        assert question(step).num_digits == 1
        assert question(step).finish_on_key == ""


def test_the_happy_path_records_the_case_and_connects():
    results = walk_menu(HAPPY_PATH)
    assert len(results) == len(HAPPY_PATH)
    assert collected(results) == {
        "caller_type": "parent",
        "care_type": "child",
        "children": 1,
        "child_age": 3,
        "postcode": "30159",
        "municipality": "Hannover",
        "urgency": "now",
        "reason": "regular_care_failure",
    }
    assert results[-1].next == Connect(ConnectReason.MENU_COMPLETE, (Line("connecting"),))
    assert all(r.flags == () and r.language is None for r in results)


def test_each_advance_carries_only_the_answers_of_its_step():
    results = walk_menu(HAPPY_PATH)
    assert [dict(r.answers) for r in results] == [
        {"caller_type": "parent"},
        {"care_type": "child"},
        {"children": 1},
        {"child_age": 3},
        {"postcode": "30159", "municipality": "Hannover"},
        {"urgency": "now"},
        {"reason": "regular_care_failure"},
    ]


def test_the_happy_path_asks_the_questions_in_order():
    steps = [r.next.step for r in walk_menu(HAPPY_PATH)[:-1]]
    assert steps == [Step.CARE_TYPE, Step.CHILDREN, Step.CHILD_AGE, Step.POSTCODE, Step.URGENCY, Step.REASON]
    assert all(r.next.attempt == 1 for r in walk_menu(HAPPY_PATH)[:-1])


def test_a_relative_is_asked_the_care_level_instead_of_children():
    results = walk_menu(["1", "2", "3", "30159", "2", "2"])
    assert results[1].next == Ask(Step.CARE_LEVEL, 1)
    assert results[2].next == Ask(Step.POSTCODE, 1)
    assert collected(results) == {
        "caller_type": "parent",
        "care_type": "eldercare",
        "care_level": 3,
        "postcode": "30159",
        "municipality": "Hannover",
        "urgency": "today",
        "reason": "accident_illness",
    }
    assert results[-1].next.why is ConnectReason.MENU_COMPLETE


@pytest.mark.parametrize(
    ("step", "digits", "answer"),
    [
        (Step.URGENCY, "1", "now"),
        (Step.URGENCY, "2", "today"),
        (Step.URGENCY, "3", "tomorrow"),
        (Step.URGENCY, "4", "later"),
        (Step.REASON, "1", "regular_care_failure"),
        (Step.REASON, "2", "accident_illness"),
        (Step.REASON, "3", "work_emergency"),
        (Step.REASON, "4", "other"),
    ],
)
def test_urgency_and_reason_keys(step, digits, answer):
    assert advance(step, 1, digits).answers == {step.value: answer}


@pytest.mark.parametrize(("digits", "children"), [("1", 1), ("5", 5), ("9", 9)])
def test_children_one_to_nine(digits, children):
    assert advance(Step.CHILDREN, 1, digits).answers == {"children": children}


# --- 0: a person now --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "step", [Step.CALLER_TYPE, Step.CARE_TYPE, Step.CHILDREN, Step.POSTCODE, Step.URGENCY, Step.REASON]
)
@pytest.mark.parametrize("attempt", [1, 2])
def test_0_connects_to_a_person_at_every_step(step, attempt):
    result = advance(step, attempt, "0")
    assert result == Advance(answers={}, flags=(), language=None, next=PERSON)


def test_0_with_hash_also_asks_for_a_person():
    assert advance(Step.URGENCY, 1, "0#").next == PERSON


def test_0_at_child_age_means_under_one_year():
    result = advance(Step.CHILD_AGE, 1, "0")
    assert result.answers == {"child_age": 0}
    assert result.next == Ask(Step.POSTCODE, 1)
    assert advance(Step.CHILD_AGE, 1, "0#").answers == {"child_age": 0}


def test_0_at_care_level_means_unknown():
    result = advance(Step.CARE_LEVEL, 1, "0")
    assert result.answers == {"care_level": 0}
    assert result.next == Ask(Step.POSTCODE, 1)


def test_0_as_the_first_key_reaches_a_person():
    assert walk_menu(["0"])[0].next == PERSON


# --- not understood ---------------------------------------------------------------------------

NOT_UNDERSTOOD = [None, "", "   ", "#", "*", "abc", "1*", "12a", "5" * 5000, "１"]


@pytest.mark.parametrize("step", list(Step))
@pytest.mark.parametrize("digits", NOT_UNDERSTOOD, ids=repr)
def test_garbage_is_asked_again_then_connected(step, digits):
    first = advance(step, 1, digits)
    assert first == Advance(answers={}, flags=(), language=None, next=Ask(step, 2, (Line("not_understood"),)))
    second = advance(step, 2, digits)
    assert second == Advance(answers={}, flags=("menu_incomplete",), language=None, next=GIVE_UP)


def test_silence_twice_connects_to_a_person():
    results = walk_menu([None, None])
    assert results[0].next == Ask(Step.CALLER_TYPE, 2, (Line("not_understood"),))
    assert results[1].next == GIVE_UP
    assert results[1].flags == ("menu_incomplete",)


def test_a_good_answer_on_the_second_attempt_carries_on():
    results = walk_menu(["1", "7", "2"])
    assert results[1].next == Ask(Step.CARE_TYPE, 2, (Line("not_understood"),))
    assert results[2].next == Ask(Step.CARE_LEVEL, 1)


@pytest.mark.parametrize(
    ("step", "digits"),
    [
        (Step.CALLER_TYPE, "12"),
        (Step.CALLER_TYPE, "11"),
        (Step.CARE_TYPE, "3"),
        (Step.CARE_TYPE, "9"),
        (Step.CHILDREN, "10"),
        (Step.CHILD_AGE, "123"),
        (Step.CARE_LEVEL, "6"),
        (Step.CARE_LEVEL, "12"),
        (Step.POSTCODE, "3015"),
        (Step.POSTCODE, "301599"),
        (Step.POSTCODE, "00000"),
        (Step.URGENCY, "5"),
        (Step.URGENCY, "9"),
        (Step.REASON, "5"),
        (Step.REASON, "9"),
    ],
)
def test_keys_outside_the_menu_are_not_understood(step, digits):
    assert advance(step, 1, digits).next == Ask(step, 2, (Line("not_understood"),))


def test_digits_are_read_without_trailing_hash_and_whitespace():
    assert advance(Step.CHILD_AGE, 1, " 12# ").answers == {"child_age": 12}
    assert advance(Step.POSTCODE, 1, "30159#").answers["postcode"] == "30159"
    assert advance(Step.CALLER_TYPE, 1, "1\n").answers == {"caller_type": "parent"}


# --- caller type ------------------------------------------------------------------------------


def test_9_switches_to_english_and_repeats_the_menu():
    result = advance(Step.CALLER_TYPE, 1, "9")
    assert result == Advance(
        answers={}, flags=(), language="en", next=Ask(Step.CALLER_TYPE, 1, (Line("welcome"),))
    )


def test_9_on_a_second_attempt_starts_the_english_menu_afresh():
    assert advance(Step.CALLER_TYPE, 2, "9").next == Ask(Step.CALLER_TYPE, 1, (Line("welcome"),))


@pytest.mark.parametrize(("key", "language"), [("9", "en"), ("4", "tr"), ("5", "ar"), ("6", "ru"), ("7", "uk"),
                                               ("8", "pl")])
def test_each_language_key_at_the_first_question_starts_the_menu_in_that_language(key, language):
    result = advance(Step.CALLER_TYPE, 2, key)
    assert result == Advance(answers={}, flags=(), language=language,
                             next=Ask(Step.CALLER_TYPE, 1, (Line("welcome"),)))


def test_the_key_of_a_withdrawn_language_is_not_understood():
    result = advance(Step.CALLER_TYPE, 1, "5", offered=("de", "en", "tr"))
    assert result.language is None
    assert result.next == Ask(Step.CALLER_TYPE, 2, (Line("not_understood"),))
    assert advance(Step.CALLER_TYPE, 1, "4", offered=("de", "en", "tr")).language == "tr"


@pytest.mark.parametrize(("key", "language"), [("9", "en"), ("4", "tr"), ("5", "ar"), ("6", "ru"), ("7", "uk"),
                                               ("8", "pl")])
def test_each_language_key_switches_only_while_its_language_is_offered(key, language):
    assert advance(Step.CALLER_TYPE, 1, key, offered=("de", language)).language == language
    withdrawn = advance(Step.CALLER_TYPE, 1, key, offered=tuple(c for c in LANGUAGES if c != language))
    assert withdrawn.language is None
    assert withdrawn.next == Ask(Step.CALLER_TYPE, 2, (Line("not_understood"),))
    assert advance(Step.CALLER_TYPE, 2, key, offered=("de",)).next == GIVE_UP  # asked twice: a person


def test_every_language_is_offered_by_default_in_the_contracts_order():
    assert [line.language for line in language_offers(Step.CALLER_TYPE, "de")] == ["en", "tr", "ar", "ru", "uk", "pl"]


def test_a_german_first_question_is_followed_by_one_offer_per_other_language_in_its_own_file():
    assert language_offers(Step.CALLER_TYPE, "de", ("de", "en", "ar")) == (
        Line("language_choice", language="en"), Line("language_choice", language="ar"))
    assert language_offers(Step.CALLER_TYPE, "tr", ("de", "en", "tr")) == ()
    assert language_offers(Step.CARE_TYPE, "de") == ()


@pytest.mark.parametrize("key", ["4", "5", "6", "7", "8", "9"])
def test_a_language_key_elsewhere_is_not_understood(key):
    assert advance(Step.URGENCY, 1, key).language is None


def test_9_elsewhere_is_not_understood():
    assert advance(Step.CARE_TYPE, 1, "9").language is None
    assert advance(Step.CARE_TYPE, 1, "9").next == Ask(Step.CARE_TYPE, 2, (Line("not_understood"),))


def test_employers_are_connected_straight_away():
    result = advance(Step.CALLER_TYPE, 1, "2")
    assert result.answers == {"caller_type": "employer"}
    assert result.next == Connect(ConnectReason.EMPLOYER, (Line("connecting"),))


def test_caregivers_are_connected_straight_away():
    result = advance(Step.CALLER_TYPE, 1, "3")
    assert result.answers == {"caller_type": "caregiver"}
    assert result.next == Connect(ConnectReason.CAREGIVER, (Line("connecting"),))


# --- child age --------------------------------------------------------------------------------


def test_a_child_over_13_is_recorded_and_flagged_and_the_call_continues():
    result = advance(Step.CHILD_AGE, 1, "14#")
    assert result.answers == {"child_age": 14}
    assert result.flags == ("child_over_13",)
    assert result.next == Ask(Step.POSTCODE, 1)


def test_13_is_not_flagged():
    assert advance(Step.CHILD_AGE, 1, "13").flags == ()


# --- postcode ---------------------------------------------------------------------------------


def test_a_region_postcode_is_read_back_with_its_municipality():
    result = advance(Step.POSTCODE, 1, "30159")
    assert result.answers == {"postcode": "30159", "municipality": "Hannover"}
    assert result.next == Ask(
        Step.URGENCY,
        1,
        (Line("postcode_readback", {"digits": "3 0 1 5 9", "municipality": "Hannover"}),),
    )


def test_the_airport_postcode_names_both_municipalities_and_records_the_first():
    result = advance(Step.POSTCODE, 1, "30669")
    assert result.answers == {"postcode": "30669", "municipality": "Hannover"}
    assert result.next == Ask(
        Step.URGENCY,
        1,
        (
            Line(
                "postcode_readback_shared",
                {"digits": "3 0 6 6 9", "municipality": "Hannover", "other_municipality": "Langenhagen"},
            ),
        ),
    )


def test_a_company_postcode_asks_for_the_home_postcode():
    result = advance(Step.POSTCODE, 1, "30417")
    assert result == Advance(
        answers={}, flags=(), language=None, next=Ask(Step.POSTCODE, 2, (Line("postcode_company"),))
    )


def test_a_company_postcode_twice_connects_with_flags():
    result = advance(Step.POSTCODE, 2, "30125")
    assert result.answers == {}
    assert result.flags == ("company_postcode", "menu_incomplete")
    assert result.next == GIVE_UP


def test_a_home_postcode_after_a_company_one_carries_on():
    results = walk_menu(["1", "1", "2", "5", "30417", "30851", "1", "1"])
    assert results[4].next == Ask(Step.POSTCODE, 2, (Line("postcode_company"),))
    assert collected(results)["municipality"] == "Langenhagen"
    assert results[-1].next.why is ConnectReason.MENU_COMPLETE


def test_a_postcode_outside_the_region_is_recorded_and_connected():
    result = advance(Step.POSTCODE, 1, "10115")
    assert result.answers == {"postcode": "10115", "municipality": None}
    assert result.flags == ("outside_region",)
    assert result.next == Connect(
        ConnectReason.OUTSIDE_REGION, (Line("postcode_outside"), Line("connecting"))
    )


def test_the_postcode_lookup_can_be_replaced():
    def lookup(code):
        return PostcodeInfo(code, PostcodeKind.REGION, ("Testdorf",), 1.0, 2.0)

    result = advance(Step.POSTCODE, 1, "12345", lookup=lookup)
    assert result.answers == {"postcode": "12345", "municipality": "Testdorf"}


def test_an_invalid_postcode_from_the_lookup_is_not_understood():
    def lookup(code):
        return PostcodeInfo(code, PostcodeKind.INVALID, (), None, None)

    assert advance(Step.POSTCODE, 2, "30159", lookup=lookup).next == GIVE_UP


# --- the contract with the prompt files -------------------------------------------------------


def test_line_keys_lists_every_key_the_menu_emits():
    emitted = set()
    cases = [
        (step, attempt, digits)
        for step in Step
        for attempt in (1, 2)
        for digits in ["0", "1", "2", "3", "9", "14", "x", None, "30159", "30669", "30417", "10115"]
    ]
    for step, attempt, digits in cases:
        result = advance(step, attempt, digits)
        emitted |= {line.key for line in result.next.say_first}
    emitted |= {line.key for line in first_ask().say_first}
    emitted |= {line.key for line in language_offers(Step.CALLER_TYPE, "de")}
    assert emitted == set(LINE_KEYS)


def test_step_and_attempt_are_validated():
    with pytest.raises(ValueError):
        advance("nonsense", 1, "1")
    with pytest.raises(ValueError):
        advance(Step.CALLER_TYPE, 0, "1")
    assert advance("caller_type", 1, "1").answers == {"caller_type": "parent"}
