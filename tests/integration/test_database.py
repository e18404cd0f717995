"""The database's three ways to write: what a caller of each can rely on, on a real engine.

These use their own engine on the test database (not the test's rolled-back transaction), so
what they write is really committed; each test works in a scratch table it drops again.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from core.database import Database


@pytest.fixture
def real(engine: Engine) -> Iterator[Database]:
    database = Database(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE scratch_database_test (id INTEGER PRIMARY KEY)"))
    yield database
    database.engine.dispose()
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE scratch_database_test"))


def rows(engine: Engine) -> list[int]:
    """What another connection sees."""
    with engine.connect() as connection:
        return list(connection.execute(text("SELECT id FROM scratch_database_test ORDER BY id")).scalars())


def test_a_transaction_commits_when_the_block_succeeds_and_writes_nothing_when_it_fails(
    real: Database, engine: Engine
) -> None:
    with real.transaction() as connection:
        connection.execute(text("INSERT INTO scratch_database_test (id) VALUES (1)"))
    with pytest.raises(RuntimeError), real.transaction() as connection:
        connection.execute(text("INSERT INTO scratch_database_test (id) VALUES (2)"))
        raise RuntimeError("the second statement of the block failed")
    assert rows(engine) == [1]


def test_an_autocommit_statement_is_committed_as_soon_as_it_ran(real: Database, engine: Engine) -> None:
    with real.autocommit() as connection:
        connection.execute(text("INSERT INTO scratch_database_test (id) VALUES (7)"))
        if real.dialect_name == "postgresql":  # no transaction is held open around it
            assert rows(engine) == [7]
    assert rows(engine) == [7]
