"""The package map: which package imports which, derived from the code, drawn for docs/architecture.md.

    .venv/bin/python bin/package_map.py           print the map (Markdown: a Mermaid picture and a table)
    .venv/bin/python bin/package_map.py --write   renew the map in docs/architecture.md
    .venv/bin/python bin/package_map.py --check   exit 1 when docs/architecture.md shows another map

A package is a top-level folder with an `__init__.py` (tests/ and bench/ are not part of the app);
`app.py` counts as the package `app`. An arrow A --> B means some module of A imports a module of B
when it runs: module-level and function-level imports count, imports under `if TYPE_CHECKING:` do not.
tests/unit/test_architecture_doc.py fails when the document and the code disagree.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
BEGIN = "<!-- package-map:begin (written by bin/package_map.py --write; do not edit by hand) -->"
END = "<!-- package-map:end -->"
NOT_THE_APP = frozenset({"tests", "bench"})


def find_packages(root: Path = ROOT) -> dict[str, list[Path]]:
    """Return each package of the app with its modules (sorted), `app` for app.py."""
    packages: dict[str, list[Path]] = {}
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and (folder / "__init__.py").is_file() and folder.name not in NOT_THE_APP:
            packages[folder.name] = sorted(path for path in folder.rglob("*.py") if ".venv" not in path.parts)
    if (root / "app.py").is_file():
        packages["app"] = [root / "app.py"]
    return packages


def _is_type_checking(test: ast.expr) -> bool:
    """Tell whether an `if` test is `TYPE_CHECKING` or `typing.TYPE_CHECKING`."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(nodes: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Yield every node below these, leaving out the bodies of `if TYPE_CHECKING:`."""
    for node in nodes:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _runtime_nodes(node.orelse)
            continue
        yield node
        yield from _runtime_nodes(ast.iter_child_nodes(node))


def imported_names(source: str, *, module: str) -> set[str]:
    """Return the absolute dotted names a module imports at run time (`module` resolves relative imports)."""
    names: set[str] = set()
    for node in _runtime_nodes(ast.parse(source).body):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: -node.level]
                names.add(".".join([*base, node.module] if node.module else base))
            elif node.module:
                names.add(node.module)
    return names


def _module_name(path: Path, root: Path) -> str:
    """Return the dotted name of a file below the root (`pkg.__init__`, so that `from . import` finds `pkg`)."""
    return ".".join(path.relative_to(root).with_suffix("").parts)


def package_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Return for each package the other packages it imports at run time."""
    packages = find_packages(root)
    graph: dict[str, set[str]] = {name: set() for name in packages}
    for name, paths in packages.items():
        for path in paths:
            for imported in imported_names(path.read_text(encoding="utf-8"), module=_module_name(path, root)):
                top = imported.split(".")[0]
                if top in graph and top != name:
                    graph[name].add(top)
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Return the packages that import each other in a circle (Tarjan), each circle as a set."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            members = set()
            while True:
                member = stack.pop()
                members.add(member)
                if member == node:
                    break
            if len(members) > 1:
                circles.append(members)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(circles, key=lambda members: sorted(members))


def levels(graph: dict[str, set[str]]) -> dict[str, int]:
    """Return each package's level: 0 imports no package, else one above the highest it imports.

    Packages in a circle share one level (the circle counts as one node).
    """
    circle_of = {member: frozenset(members) for members in strongly_connected(graph) for member in members}
    level: dict[str, int] = {}

    def of(node: str) -> int:
        if node not in level:
            group = circle_of.get(node, frozenset({node}))
            for member in group:
                level[member] = 0  # guards the recursion inside a circle
            below = {dep for member in group for dep in graph[member]} - group
            value = 1 + max((of(dep) for dep in below), default=-1)
            for member in group:
                level[member] = value
        return level[node]

    for node in graph:
        of(node)
    return level


def shortcuts(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    """Return the arrows A --> B that the picture leaves out because A also reaches B through another package."""

    def reaches(start: str, goal: str, *, skipping: tuple[str, str]) -> bool:
        seen, todo = {start}, [start]
        while todo:
            node = todo.pop()
            for nxt in graph[node]:
                if (node, nxt) == skipping or nxt in seen:
                    continue
                if nxt == goal:
                    return True
                seen.add(nxt)
                todo.append(nxt)
        return False

    return {(a, b) for a in graph for b in graph[a] if reaches(a, b, skipping=(a, b))}


def contract_layers(root: Path = ROOT) -> list[list[str]] | None:
    """Return the packages of each line of the import-linter layers contract (pyproject.toml), top first."""
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config.get("tool", {}).get("importlinter", {}).get("contracts", [])
    layered = [contract for contract in contracts if contract.get("type") == "layers"]
    if not layered:
        return None
    return [[name.strip() for name in re.split(r"[|:]", line)] for line in layered[0]["layers"]]


def _rows(graph: dict[str, set[str]], layers: list[list[str]] | None) -> list[tuple[str, str, list[str]]]:
    """Return the picture's rows top to bottom: (id, title, packages)."""
    if layers is None:
        level = levels(graph)
        return [
            (f"L{value}", f"level {value}", sorted(name for name in graph if level[name] == value))
            for value in sorted(set(level.values()), reverse=True)
        ]
    placed = {name for line in layers for name in line}
    top = sorted(name for name in graph if name not in placed)
    rows = [("L0", "wiring", top)] if top else []
    rows += [
        (f"L{number}", f"layer {number}", [n for n in line if n in graph])
        for number, line in enumerate(layers, start=1)
    ]
    return rows


def render(graph: dict[str, set[str]], layers: list[list[str]] | None = None) -> str:
    """Return the map as Markdown: a Mermaid flowchart by layer, the table of direct imports, what points up.

    With the layers of the import-linter contract, the rows are its lines (and `app` above them, which
    wires the edges); without, each package's level (`levels`).
    """
    rows = _rows(graph, layers)
    row_of = {name: index for index, (_, _, names) in enumerate(rows) for name in names}
    skipped = shortcuts(graph) if not strongly_connected(graph) else set()
    order = [name for _, _, names in rows for name in names]

    def deps_of(name: str) -> list[str]:
        return sorted(graph[name], key=order.index)

    lines = ["```mermaid", "flowchart TD"]
    for row_id, title, names in rows:
        lines.append(f"    subgraph {row_id} [{title}]")
        lines += [f"        {name}" for name in names]
        lines.append("    end")
    lines += [
        f"    {name} --> {dep}" for name in order for dep in deps_of(name) if (name, dep) not in skipped
    ]
    lines += ["```", ""]
    column = "level" if layers is None else "layer"
    lines += [f"| {column} | package | imports (at run time) |", "|---|---|---|"]
    for _row_id, title, names in rows:
        for name in names:
            deps = ", ".join(f"`{dep}`" for dep in deps_of(name))
            lines.append(f"| {title.split()[-1]} | `{name}` | {deps or '–'} |")
    lines.append("")
    upward = [(a, b) for a in order for b in deps_of(a) if row_of[b] <= row_of[a]]
    circles = strongly_connected(graph)
    if upward:
        lines.append(
            "Arrows that do not point to a lower row: "
            + ", ".join(f"`{a}` → `{b}`" for a, b in upward)
            + (
                "; packages that import each other in a circle: "
                + "; ".join(" ↔ ".join(f"`{name}`" for name in sorted(members)) for members in circles)
                if circles
                else ""
            )
            + "."
        )
    else:
        lines.append(
            "Every arrow points to a lower row: no package imports one beside or above it, so no circles."
        )
    return "\n".join(lines)


def doc_block(text: str) -> str:
    """Return what stands between the markers in the document's text."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[start:end].strip("\n")


@dataclass(frozen=True)
class Result:
    """What --check found."""

    up_to_date: bool
    expected: str


def check(doc: Path = DOC, root: Path = ROOT) -> Result:
    """Compare the map in the document with the one the code gives."""
    expected = render(package_graph(root), contract_layers(root))
    return Result(up_to_date=doc_block(doc.read_text(encoding="utf-8")) == expected, expected=expected)


def write(doc: Path = DOC, root: Path = ROOT) -> None:
    """Renew the map between the markers of the document."""
    text = doc.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    doc.write_text(
        text[:start] + "\n" + render(package_graph(root), contract_layers(root)) + "\n" + text[end:],
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> int:
    """Print, write or check the package map."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="renew the map in docs/architecture.md")
    action.add_argument(
        "--check", action="store_true", help="exit 1 when docs/architecture.md shows another map"
    )
    args = parser.parse_args(argv)
    if args.write:
        write()
    elif args.check:
        if not check().up_to_date:
            print(
                "docs/architecture.md shows another package map: run bin/package_map.py --write",
                file=sys.stderr,
            )
            return 1
    else:
        print(render(package_graph(), contract_layers()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
