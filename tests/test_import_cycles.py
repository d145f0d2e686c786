"""No import cycle anywhere in the smartwork package, read from the source (AST), not by importing it.

Every ``import`` statement counts, those inside functions too: an import deferred into a function
still closes the cycle when the function runs; it only hides it (``api/core.py`` once imported the
endpoint modules inside ``init_api`` while they imported ``core``). Only imports under
``if TYPE_CHECKING:`` are skipped, because they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import smartwork

PACKAGE_ROOT = Path(smartwork.__file__).resolve().parent


def _modules(root: Path) -> dict[str, tuple[Path, bool]]:
    """Dotted module name → (file, is a package's __init__) for every .py file under ``root``."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found[".".join(parts)] = (path, is_package)
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST):
    """Every Import/ImportFrom node, at any depth, except under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module → the package's own modules it imports (``from pkg import module`` points at the module)."""
    modules = _modules(root)
    package = root.name

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        here = name if is_package else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets.update(known(alias.name) for alias in node.names if alias.name.split(".")[0] == package)
                continue
            if node.level:
                base = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] != package:
                continue
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                targets.add(submodule if submodule in modules else known(source))
        targets.discard(None)
        targets.discard(name)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_smartwork_has_no_import_cycle():
    graph = import_graph(PACKAGE_ROOT)
    assert len(graph) > 100  # the walk really read the package
    assert cycles(graph) == []


def test_a_cycle_closed_inside_a_function_is_found(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from . import views  # noqa\n")
    (package / "sub" / "views.py").write_text("from . import helpers\n")
    (package / "sub" / "helpers.py").write_text("def later():\n    from .views import thing\n")
    (package / "core.py").write_text("def build():\n    from pkg.api import endpoint\n")
    (package / "api.py").write_text(
        "from typing import TYPE_CHECKING\nfrom .core import build\nif TYPE_CHECKING:\n    from . import other\n"
    )
    (package / "other.py").write_text("from .api import build\n")
    assert cycles(import_graph(package)) == [["pkg.api", "pkg.core"], ["pkg.sub.helpers", "pkg.sub.views"]]


def _may_import_forms(module: str) -> bool:
    """Forms are input shape: only pages (views) and other forms use them."""
    last = module.rsplit(".", 1)[-1]
    return last == "forms" or last == "views" or ".views." in module + "."


def test_only_views_and_forms_import_forms():
    graph = import_graph(PACKAGE_ROOT)
    offenders = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        for target in targets
        if target.endswith(".forms") and not _may_import_forms(module)
    )
    assert offenders == []
