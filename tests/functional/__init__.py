"""Functional tests: HTTP through the Flask test client (signed Twilio requests, dashboard pages) and commands."""
