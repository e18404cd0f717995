"""Routing: the call's way to a person — the call flow, the dial plan, escalation and screening, the call's TwiML, call-backs."""
