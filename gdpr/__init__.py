"""Data protection: retention rules, and export and erasure of everything held about a person."""

from gdpr.erasure import EraseReport, anonymise_case, erase_person
from gdpr.export import export_person
from gdpr.retention import RetentionPolicy, RetentionReport, apply_retention, find_expired_voicemails

__all__ = [
    "EraseReport",
    "RetentionPolicy",
    "RetentionReport",
    "anonymise_case",
    "apply_retention",
    "erase_person",
    "export_person",
    "find_expired_voicemails",
]
