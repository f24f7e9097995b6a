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
