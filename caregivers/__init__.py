"""Caregivers: their records, the CSV import, look-ups, and demo data."""

from caregivers.demo import load_demo_caregivers
from caregivers.importer import (
    CaregiverImportError,
    CaregiverImportReport,
    CaregiverRow,
    import_caregivers,
    parse_caregivers_csv,
)
from caregivers.queries import (
    CaregiverNotFound,
    InvalidUnavailability,
    add_unavailability,
    find_caregivers,
    get_caregiver_by_phone,
    require_caregiver,
)

__all__ = [
    "CaregiverImportError",
    "CaregiverImportReport",
    "CaregiverNotFound",
    "CaregiverRow",
    "InvalidUnavailability",
    "add_unavailability",
    "find_caregivers",
    "get_caregiver_by_phone",
    "import_caregivers",
    "load_demo_caregivers",
    "parse_caregivers_csv",
    "require_caregiver",
]
