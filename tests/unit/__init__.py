"""Unit tests: mostly pure functions over plain data, fast, without a database."""
