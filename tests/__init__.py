"""The test suite: unit, integration, functional, scenarios, browser, deploy and scale-out tests (README)."""
