"""The layers of DESIGN §3 hold: an app imports only the apps below it.

notifications → reservations → billing → accounts → portal. Tests are exempt (they build
fixtures across apps); everything else is checked by reading the imports of each module.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["portal", "accounts", "billing", "reservations", "notifications"]


def _imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in LAYERS)
    return found


def _modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        relative = path.relative_to(ROOT)
        if "tests" in relative.parts or "migrations" in relative.parts:
            continue
        yield path


@pytest.mark.parametrize("app", LAYERS)
def test_app_imports_only_the_layers_below_it(app):
    allowed = set(LAYERS[: LAYERS.index(app) + 1])
    # portal/settings.py and portal/urls.py wire the project together by name only (strings).
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_apps(path) - allowed)
        for path in _modules(app)
        if _imported_apps(path) - allowed
    }
    assert offenders == {}


# --- No import cycles -------------------------------------------------------------------

def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _project_modules() -> dict[str, Path]:
    """Every module of the five apps, tests included, migrations aside (name → file)."""
    return {_module_name(path): path for app in LAYERS for path in sorted((ROOT / app).rglob("*.py"))
            if "migrations" not in path.relative_to(ROOT).parts}


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules ``name`` imports, wherever the import statement is."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def known(candidate: str) -> str | None:
        while candidate and candidate not in modules:   # "reservations.models.Activity" → "reservations.models"
            candidate = candidate.rpartition(".")[0]
        return candidate or None

    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(filter(None, (known(alias.name) for alias in node.names)))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:   # "from . import views" imports the module views
                target = known(f"{base}.{alias.name}") if f"{base}.{alias.name}" in modules else known(base)
                if target:
                    found.add(target)
    found.discard(name)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
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
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(components)


def test_cycle_finder_finds_a_cycle_through_three_modules():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"d"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_module_imports_itself_back_through_others():
    """A module never depends on itself through others: the import graph has no cycle.

    Every import counts, those inside functions (and under ``if TYPE_CHECKING``) too: an
    import moved into a function only hides a cycle from Python at import time, the two
    modules still need each other, and the tree stops saying which one is below. Importing
    ``a.b`` is counted as depending on ``a.b``, not on the package ``a`` whose
    ``__init__`` Python runs first: a package importing its own modules to register them
    (``reservations.admin``) is not a cycle. Tests are included, migrations are not.
    """
    modules = _project_modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    cycles = _cycles(graph)
    assert not cycles, "modules importing each other: " + "; ".join(" ↔ ".join(cycle) for cycle in cycles)
