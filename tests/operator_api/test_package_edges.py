"""The operator layer stands alone: operator_api and the sandbox import no app of the portal, and
neither API's package imports the other's, but for CAMARA's events read with v1's fields."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = ("calls", "members", "recordings", "accounts", "audit", "clicktodial_portal")


def imported_modules(folder: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize("folder", ["operator_api", "sandbox"])
def test_it_imports_no_app_of_the_portal(folder):
    offending = {
        path: sorted(name for name in names if name.split(".")[0] in APPS)
        for path, names in imported_modules(folder).items()
    }
    assert {path: names for path, names in offending.items() if names} == {}


def test_the_sandbox_shares_no_code_with_the_client_it_stands_in_for():
    """Were it to reuse the client's parsing, a mistake in one would hide in the other."""
    uses = {
        path: sorted(name for name in names if name.startswith("operator_api"))
        for path, names in imported_modules("sandbox").items()
    }
    assert {path: names for path, names in uses.items() if names} == {}


def test_one_api_never_imports_the_other_but_camara_reads_v1s_notification_fields():
    v1 = imported_modules("operator_api/v1")
    camara = imported_modules("operator_api/camara")

    assert not any(
        name.startswith("operator_api.camara") for names in v1.values() for name in names
    )
    from_v1 = {
        path: names
        for path, names in camara.items()
        if any(name.startswith("operator_api.v1") for name in names)
    }
    assert set(from_v1) == {"operator_api/camara/events.py"}
