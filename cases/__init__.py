"""The case log and its timeline."""

from cases.events import EventKind
from cases.references import new_reference, normalize_reference
from cases.service import (
    CaseNotFound,
    apply_answers,
    case_fields,
    case_to_json,
    find_cases,
    get_case_by_call_sid,
    get_case_by_reference,
    open_case_for_call,
    record_event,
    require_case,
)

__all__ = [
    "CaseNotFound",
    "EventKind",
    "apply_answers",
    "case_fields",
    "case_to_json",
    "find_cases",
    "get_case_by_call_sid",
    "get_case_by_reference",
    "new_reference",
    "normalize_reference",
    "open_case_for_call",
    "record_event",
    "require_case",
]
