"""The import contracts (import-linter, pyproject.toml): every package placed, kept today, a wrong import fails."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from importlinter import configuration
from importlinter.application import use_cases
from importlinter.application.app_config import settings

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
#: Top-level packages that are no part of the app: the tests and the benchmarks may import anything.
NOT_LAYERED = {"tests", "bench"}


def layer_members() -> list[str]:
    """Return every package named in the layers contract, line by line."""
    (layers,) = [c for c in CONFIG["contracts"] if c["type"] == "layers"]
    return [name.strip() for line in layers["layers"] for name in line.split("|")]


def test_every_package_of_the_app_is_placed_in_exactly_one_layer() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - NOT_LAYERED
    members = layer_members()
    assert sorted(members) == sorted(set(members)), "a package is named on two lines of the layers"
    assert set(members) == packages, f"place each package in the layers (pyproject.toml): {packages ^ set(members)}"
    assert set(CONFIG["root_packages"]) == packages
    (acyclic,) = [c for c in CONFIG["contracts"] if c["type"] == "acyclic_siblings"]
    assert set(acyclic["ancestors"]) == packages


@pytest.fixture(autouse=True)
def _import_linter() -> None:
    """Set up import-linter's adapters (file system, graph builder) as its command does."""
    configuration.configure()


class _GraphWithExtraImport:
    """Build the real import graph, then add one import the code does not have."""

    def __init__(self, real: Any, importer: str, imported: str) -> None:
        self.real, self.importer, self.imported = real, importer, imported

    def build(self, **options: Any) -> Any:
        graph = self.real.build(**options)
        graph.add_import(importer=self.importer, imported=self.imported, line_number=1,
                         line_contents=f"import {self.imported}")
        return graph


@contextmanager
def extra_import(importer: str, imported: str) -> Iterator[None]:
    """Let import-linter see one more import, for the duration of the block."""
    real = settings.GRAPH_BUILDER
    settings.configure(GRAPH_BUILDER=_GraphWithExtraImport(real, importer, imported))
    try:
        yield
    finally:
        settings.configure(GRAPH_BUILDER=real)


def lint(monkeypatch: pytest.MonkeyPatch) -> bool:
    """Check the contracts of pyproject.toml as `make lint` does (without the cache)."""
    monkeypatch.chdir(ROOT)
    return use_cases.lint_imports(config_filename=str(ROOT / "pyproject.toml"), cache_dir=None, no_logo=True)


def test_the_code_keeps_the_contracts(monkeypatch: pytest.MonkeyPatch) -> None:
    assert lint(monkeypatch)


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("models.case", "dispatch.offers"),  # models imports a domain package
        ("dispatch.offers", "webhooks.voice"),  # a domain package imports an edge
        ("roster.gaps", "routing.call_flow"),  # the old cycle roster -> routing -> dispatch -> roster
        ("cli.twiml", "webhooks.voice"),  # one edge imports another
        ("messaging.outbox", "dispatch.offers"),  # messaging is below the domain
        ("routing.escalation", "flask"),  # a domain package imports Flask
        ("dispatch.matching", "dispatch.offers"),  # a cycle inside a package (offers imports matching)
    ],
)
def test_a_wrong_import_breaks_a_contract(monkeypatch: pytest.MonkeyPatch, importer: str, imported: str) -> None:
    with extra_import(importer, imported):
        assert not lint(monkeypatch)
