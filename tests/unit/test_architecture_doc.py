"""docs/architecture.md matches the code: its package map, its table of packages, every name it cites.

Also: every Python module of the project says in its first docstring line what it is for.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
SKIPPED_FOLDERS = {"node_modules", "instance"}


def _load_package_map() -> ModuleType:
    spec = importlib.util.spec_from_file_location("package_map", ROOT / "bin" / "package_map.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("package_map", module)
    spec.loader.exec_module(module)
    return module


package_map = _load_package_map()


def _project_modules() -> list[Path]:
    """Every .py file of the repository outside hidden folders (.venv, .cache, …)."""
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if not any(part.startswith(".") or part in SKIPPED_FOLDERS for part in path.relative_to(ROOT).parts)
    )


def test_every_module_names_its_responsibility_in_its_first_docstring_line():
    modules = _project_modules()
    assert len(modules) > 200  # the walk found the project, not an empty folder
    missing = []
    for path in modules:
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        if not docstring or not docstring.splitlines()[0].strip():
            missing.append(str(path.relative_to(ROOT)))
    assert not missing, f"modules without a first docstring line saying what they are for: {missing}"


def test_the_package_map_in_the_document_is_the_one_the_code_gives():
    result = package_map.check(DOC, ROOT)
    assert result.up_to_date, (
        "docs/architecture.md shows another package map than the imports give: "
        "run `.venv/bin/python bin/package_map.py --write` and check the text around it still holds"
    )


def test_every_package_is_described_in_the_table_of_what_each_package_owns():
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("## What each package owns") :]
    table = table[: table.index("\n## ", 1)]
    described = set(re.findall(r"^\| `(\w+)/?` \|", table, flags=re.MULTILINE))
    packages = set(package_map.find_packages(ROOT))
    assert described == packages, (
        f"not described: {sorted(packages - described)}; described but no package: {sorted(described - packages)}"
    )


def _cited_names(text: str, packages: set[str]) -> set[str]:
    """Dotted names in backticks whose first part is a package of the app, e.g. `cases.service.record_event`."""
    names = set()
    for code in re.findall(r"`([^`\n]+)`", text):
        for name in re.findall(r"\b[a-z_]+(?:\.[A-Za-z_][A-Za-z0-9_]*)+", code):
            if name.split(".")[0] in packages and "/" not in code:
                names.add(name)
    # the module names inside the text diagram (a ```text block) count as well
    for block in re.findall(r"```text\n(.*?)```", text, flags=re.DOTALL):
        names.update(
            n
            for n in re.findall(r"\b[a-z_]+(?:\.[A-Za-z_][A-Za-z0-9_]*)+", block)
            if n.split(".")[0] in packages
        )
    return names


def _resolve(name: str) -> object:
    """Import the longest module prefix of a dotted name and look up the rest as attributes."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            target = getattr(target, attribute)
        return target
    raise ModuleNotFoundError(name)


def test_every_module_and_function_the_document_names_exists():
    packages = set(package_map.find_packages(ROOT)) - {"app"}
    names = _cited_names(DOC.read_text(encoding="utf-8"), packages)
    assert len(names) > 50  # the walks name their functions
    gone = []
    for name in sorted(names):
        try:
            _resolve(name)
        except (ImportError, AttributeError):
            gone.append(name)
    assert not gone, f"docs/architecture.md names what is no longer in the code (update the walk): {gone}"


def test_every_file_the_document_names_exists():
    text = DOC.read_text(encoding="utf-8")
    paths = {p for p in re.findall(r"`([\w./*-]+\.(?:py|toml|md))`", text) if "<" not in p}
    assert paths
    missing = [p for p in sorted(paths) if not list(ROOT.glob(p))]
    assert not missing, f"docs/architecture.md names files that do not exist: {missing}"


def test_the_readme_links_the_architecture_document():
    assert "(docs/architecture.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


# --- the package map's own rules ---------------------------------------------------------------


def test_imports_under_type_checking_do_not_count_and_function_level_imports_do():
    source = (
        "from typing import TYPE_CHECKING\n"
        "import core.clock\n"
        "if TYPE_CHECKING:\n"
        "    from models import Case\n"
        "else:\n"
        "    import geo\n"
        "def late():\n"
        "    from dispatch.offers import accept_offer\n"
    )
    assert package_map.imported_names(source, module="cases.service") == {
        "typing",
        "core.clock",
        "geo",
        "dispatch.offers",
    }


def test_relative_imports_resolve_from_the_module_and_from_a_package_init():
    assert package_map.imported_names(
        "from . import journal\nfrom ..core import clock\n", module="cases.service"
    ) == {"cases", "core"}
    assert package_map.imported_names("from .service import x\n", module="cases.__init__") == {
        "cases.service"
    }


def test_levels_put_a_package_one_above_what_it_imports_and_a_circle_on_one_level():
    graph = {"edge": {"domain", "base"}, "domain": {"base"}, "base": set(), "a": {"b", "base"}, "b": {"a"}}
    assert package_map.levels(graph) == {"edge": 2, "domain": 1, "base": 0, "a": 1, "b": 1}
    assert package_map.strongly_connected(graph) == [{"a", "b"}]


def test_the_picture_leaves_out_arrows_that_follow_from_two_others():
    graph = {"edge": {"domain", "base"}, "domain": {"base"}, "base": set()}
    assert package_map.shortcuts(graph) == {("edge", "base")}
    picture = package_map.render(graph)
    assert "edge --> domain" in picture and "domain --> base" in picture
    assert "edge --> base" not in picture
    assert "| 2 | `edge` | `domain`, `base` |" in picture  # the table lists every direct import


@pytest.mark.parametrize("words", ["Every arrow points to a lower row", "in a circle"])
def test_the_map_says_whether_packages_import_each_other_in_a_circle(words):
    graph = {"a": {"b"}, "b": set()} if words.startswith("Every") else {"a": {"b"}, "b": {"a"}}
    assert words in package_map.render(graph)


def test_with_the_contract_the_rows_are_its_layers_and_an_import_against_them_is_named():
    layers = [["edge"], ["domain", "other"], ["base"]]
    graph = {"app": {"edge"}, "edge": {"domain"}, "domain": {"base"}, "other": set(), "base": set()}
    picture = package_map.render(graph, layers)
    assert "subgraph L0 [wiring]\n        app\n    end" in picture  # not in the contract: it wires the edges
    assert "subgraph L2 [layer 2]\n        domain\n        other\n    end" in picture
    assert "| 2 | `domain` | `base` |" in picture
    assert "Every arrow points to a lower row" in picture
    graph["base"] = {"other"}
    assert "Arrows that do not point to a lower row: `base` → `other`." in package_map.render(graph, layers)


def test_the_contract_layers_are_read_from_pyproject():
    layers = package_map.contract_layers(ROOT)
    assert layers is not None and ["core"] in layers
