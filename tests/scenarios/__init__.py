"""Scenario tests: stories read like the operations manual, on a frozen clock that the test advances."""
