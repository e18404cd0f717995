"""Deployment tests: the files in deploy/ checked by the tools that will read them."""
