"""Browser tests: the dashboard in headless Chromium via Playwright (`-m browser`)."""
