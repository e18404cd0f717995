"""The demo: invented data for a first try, marked `demo`, renewed on every `make run`, removable in one go."""

from demo.data import (
    DEMO_LEAD_USERNAME,
    DemoLoad,
    DemoRefused,
    find_lead_usernames,
    load_demo,
    real_data_found,
    remove_demo,
)

__all__ = [
    "DEMO_LEAD_USERNAME",
    "DemoLoad",
    "DemoRefused",
    "find_lead_usernames",
    "load_demo",
    "real_data_found",
    "remove_demo",
]
