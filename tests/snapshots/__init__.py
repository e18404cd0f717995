"""Snapshot tests: what users see (TwiML of every menu path, SMS texts, CSV exports, the case JSON) kept identical."""
