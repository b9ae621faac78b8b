"""Which part of the portal may import which: the dependencies run one way, and each rule is a test.

The graph is read from the source (every `import` and `from … import`, also those inside functions
and under TYPE_CHECKING: a dependency is one wherever it is written), so a rule broken anywhere in
the tree fails here with the file and line that broke it.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "accounts",
    "audit",
    "calls",
    "clicktodial_portal",
    "members",
    "operator_api",
    "recordings",
    "sandbox",
    "webhooks",
)
APPS = ("accounts", "audit", "calls", "members", "recordings", "webhooks")


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    imported: str  # dotted module name (a module, or a package when a name in it is imported)
    where: str  # path:line
    top_level: bool  # run when the module is imported (not in a function, not TYPE_CHECKING)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _product_files() -> list[Path]:
    return sorted(
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    )


class _Collector(ast.NodeVisitor):
    def __init__(self, path: Path) -> None:
        self.path, self.module = path, _module_name(path)
        self.package = self.module if path.name == "__init__.py" else self.module.rpartition(".")[0]
        self.found: list[Import] = []
        self._depth = 0  # inside a function or a TYPE_CHECKING block

    def _add(self, imported: str, node: ast.stmt) -> None:
        where = f"{self.path.relative_to(ROOT)}:{node.lineno}"
        self.found.append(Import(self.module, imported, where, self._depth == 0))

    def _nested(self, node: ast.AST) -> None:
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = _nested

    def visit_If(self, node: ast.If) -> None:
        if "TYPE_CHECKING" in ast.unparse(node.test):
            self._nested(node)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            anchor = self.package.rsplit(".", node.level - 1)[0] if node.level > 1 else self.package
            base = f"{anchor}.{base}" if base else anchor
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            self._add(candidate if _is_module(candidate) else base, node)


def _imports() -> list[Import]:
    found: list[Import] = []
    for path in _product_files():
        collector = _Collector(path)
        collector.visit(ast.parse(path.read_text(), filename=str(path)))
        found.extend(collector.found)
    return found


IMPORTS = _imports()


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _breaking(importer: str, forbidden: tuple[str, ...], *, unless: str = "") -> list[str]:
    return [
        f"{i.where} imports {i.imported}"
        for i in IMPORTS
        if _in(i.importer, importer)
        and not (unless and _in(i.importer, unless))
        and any(_in(i.imported, package) for package in forbidden)
    ]


RULES = {
    # The operator's client and its stand-in know nothing of the portal built on them.
    "operator_api imports no app": ("operator_api", (*APPS, "clicktodial_portal", "sandbox"), ""),
    "sandbox imports no app": ("sandbox", (*APPS, "clicktodial_portal"), ""),
    # Member numbers, departments, business numbers and the minute pool come before calls: calls
    # use them, never the other way (only the reports, on top of both, read calls).
    "members imports neither calls nor recordings": (
        "members",
        ("calls", "recordings"),
        "members.reports",
    ),
    "recordings imports no member": ("recordings", ("members",), ""),
    # The pool and the member pages sit below the reports built on them.
    "the pool imports no report": ("members.pool", ("members.reports",), ""),
    "members' pages import no report": ("members.views", ("members.reports",), ""),
    "members' services import no report": ("members.services", ("members.reports",), ""),
    # The project reaches the apps through URL includes and settings only (both by name).
    "clicktodial_portal imports no app": ("clicktodial_portal", APPS, ""),
    # Anyone may write to the audit log; the audit app depends on none of them.
    "audit imports no other app": ("audit", ("calls", "members", "recordings", "webhooks"), ""),
    # Webhooks listen to calls and recordings (their signals); those never import webhooks.
    "calls import no webhooks": ("calls", ("webhooks",), ""),
    "recordings import no webhooks": ("recordings", ("webhooks",), ""),
    "members import no webhooks": ("members", ("webhooks",), ""),
}


@pytest.mark.parametrize("rule", RULES, ids=list(RULES))
def test_the_dependencies_run_one_way(rule):
    importer, forbidden, unless = RULES[rule]
    assert _breaking(importer, forbidden, unless=unless) == []


def test_the_reports_read_calls_through_its_selectors_only():
    breaking = [
        f"{i.where} imports {i.imported}"
        for i in IMPORTS
        if _in(i.importer, "members.reports")
        and _in(i.imported, "calls")
        and i.imported != "calls.selectors"
    ]
    assert breaking == []


def test_only_an_apps_config_imports_its_tasks():
    """Tasks import services; services send tasks by name (clicktodial_portal.celery.task_send),
    and each app's AppConfig.ready imports its tasks to register them."""
    breaking = [
        f"{i.where} imports {i.imported}"
        for i in IMPORTS
        if i.imported.rpartition(".")[2] == "tasks"
        and i.importer != i.imported.rpartition(".")[0] + ".apps"
    ]
    assert breaking == []


def test_no_modules_import_each_other_in_a_circle():
    """Among the imports run when a module loads: a circle there works only by the order modules
    happen to load in."""
    graph: dict[str, set[str]] = {}
    for i in IMPORTS:
        if i.top_level and i.imported != i.importer and i.imported.split(".")[0] in PACKAGES:
            graph.setdefault(i.importer, set()).add(i.imported)
    circles = [component for component in _strongly_connected(graph) if len(component) > 1]
    assert circles == []


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative enough for a tree of this size."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_is_read():
    """The rules above are only as good as the reading: it sees a known import of each kind."""
    seen = {(i.importer, i.imported, i.top_level) for i in IMPORTS}
    assert ("calls.tasks", "calls.services.dialing", True) in seen  # from package import module
    assert ("calls.lifecycle", "calls.models", True) in seen  # from module import name
    # in a function: the Celery app's signal handler loads the metrics only when it runs
    assert ("clicktodial_portal.celery", "clicktodial_portal.metrics", False) in seen
