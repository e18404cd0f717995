"""Core services shared by every package: settings, database, clock, log masking."""

from core.clock import Clock, FrozenClock, SystemClock
from core.database import Database, insert_ignore
from core.logs import mask_phone
from core.settings import Settings, load_settings

__all__ = [
    "Clock",
    "Database",
    "FrozenClock",
    "Settings",
    "SystemClock",
    "insert_ignore",
    "load_settings",
    "mask_phone",
]
