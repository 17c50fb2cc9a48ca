"""The package's shape: no import circles, no oversized modules, the public API in one place."""

from __future__ import annotations

import ast
from pathlib import Path

import flask_jwtauth

PACKAGE = Path(flask_jwtauth.__file__).parent
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, name: str) -> set[str]:
    """Modules of the package this one imports at run time (not under TYPE_CHECKING, not
    inside functions: those run later and cannot form a circle at import)."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target.startswith("flask_jwtauth"):
                found.add(target)
                for alias in node.names:
                    found.add(f"{target}.{alias.name}")
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("flask_jwtauth"))
    return found


def test_no_import_circles() -> None:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {
        name: {m for m in _imports(path, name) if m in modules and m != name}
        for name, path in modules.items()
    }
    # A package's __init__ re-exports its modules: importing the package is importing them.
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> None:
        if node in done:
            return
        assert node not in visiting, " -> ".join([*visiting[visiting.index(node) :], node])
        visiting.append(node)
        for child in graph[node]:
            if child != "flask_jwtauth" and not node.startswith(f"{child}."):
                visit(child)
        visiting.pop()
        done.add(node)

    for name in graph:
        visit(name)


def test_no_module_is_oversized() -> None:
    sizes = {
        str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")
    }
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_public_api_is_exported_from_the_package() -> None:
    for name in flask_jwtauth.__all__:
        assert getattr(flask_jwtauth, name) is not None
    assert sorted(flask_jwtauth.__all__) == sorted(set(flask_jwtauth.__all__))


def test_no_merge_conflict_markers_are_left() -> None:
    """A merge resolved in a hurry once left its markers in SECURITY.md."""
    root = PACKAGE.parent
    files = [root / "README.md", root / "SECURITY.md", *(root / "docs").rglob("*.md")]
    files += [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.html"), *(root / "tests").glob("*.py")]
    markers = ("<" * 7 + " ", ">" * 7 + " ", "=" * 7 + "\n")
    found = [
        f"{path.relative_to(root)}:{number}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(keepends=True), 1)
        if line.startswith(markers)
    ]
    assert found == []
