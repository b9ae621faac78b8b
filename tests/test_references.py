"""Every path and module the repository's own files cite is in the repository.

Comments, docstrings and documents name files (`calls/services/dialing.py`) and code
(`calls.services.outcomes.call_settle`) to send a reader there; a name left behind by a move sends
them nowhere. Read: the documents and templates whole, and of the Python files their comments and
docstrings (their code is checked by running it). A path (with a file's extension, or ending in
`/`) is read from the repository's root, or from templates/ for a template's name; a dotted name
that starts with a package's module must be that module, or a name defined at its top level.
"""

import ast
import io
import re
import subprocess
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOP = (
    "accounts",
    "audit",
    "bench",
    "calls",
    "clicktodial_portal",
    "deploy",
    "locale",
    "members",
    "operator_api",
    "recordings",
    "sandbox",
    "static",
    "templates",
    "tests",
)
PACKAGES = (
    "accounts",
    "audit",
    "calls",
    "clicktodial_portal",
    "members",
    "operator_api",
    "recordings",
    "sandbox",
)
TEXT_SUFFIXES = {".py", ".md", ".html", ".toml", ".txt", ".conf", ".service", ".example", ".cfg"}

# A path: one of the top folders, then a slash (not inside a URL path or another path), ending in
# a file's extension or a slash.
PATH = re.compile(
    rf"(?<![\w/.:-])((?:{'|'.join(TOP)})/(?:[\w.-]+/)*(?:[\w-]+(?:\.[\w-]+)*\.[a-z]+)?)"
    r"(?![\w/]|\.\w)"
)
# A dotted name in a package: `calls.services.outcomes.call_settle`.
DOTTED = re.compile(rf"(?<![\w./-])((?:{'|'.join(PACKAGES)})(?:\.\w+)+)")


def _tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [
        ROOT / name
        for name in listed
        if (Path(name).suffix in TEXT_SUFFIXES or Path(name).name in {"Makefile", "Procfile"})
        and "/migrations/" not in name
        and (ROOT / name).exists()
    ]


def _path_exists(cited: str) -> bool:
    return (ROOT / cited).exists() or (ROOT / "templates" / cited).exists()


def _module_file(dotted: list[str]) -> Path | None:
    base = ROOT.joinpath(*dotted)
    if (base / "__init__.py").exists():
        return base / "__init__.py"
    if base.with_suffix(".py").exists():
        return base.with_suffix(".py")
    return None


def _dotted_exists(cited: str) -> bool:
    parts = cited.split(".")
    if _module_file(parts[:2]) is None:
        return True  # not a module's name: an app label's model or permission, a check's id
    for cut in range(len(parts), 0, -1):
        module = _module_file(parts[:cut])
        if module is None:
            continue
        rest = parts[cut:]
        if not rest:
            return True
        name = rest[0]
        source = module.read_text()
        defined = re.compile(
            rf"^(?:(?:async )?def|class) {name}\b|^{name}\s*[:=]|^from \S+ import .*\b{name}\b|"
            rf"^\s+{name},?$",
            re.MULTILINE,
        )
        return bool(defined.search(source))
    return False


def _prose(path: Path) -> str:
    """What a reader reads: a Python file's comments and docstrings, any other file whole."""
    text = path.read_text(errors="replace")
    if path.suffix != ".py":
        return text
    pieces = [
        token.string
        for token in tokenize.generate_tokens(io.StringIO(text).readline)
        if token.type == tokenize.COMMENT
    ]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            pieces.append(ast.get_docstring(node) or "")
    return "\n".join(pieces)


def _citations() -> list[tuple[str, str, str]]:
    found = []
    for path in _tracked_text_files():
        text = _prose(path)
        relative = str(path.relative_to(ROOT))
        for match in PATH.finditer(text):
            found.append((relative, "path", match.group(1)))
        for match in DOTTED.finditer(text):
            found.append((relative, "name", match.group(1)))
    return found


CITATIONS = _citations()


def test_every_cited_path_is_in_the_repository():
    missing = sorted(
        {
            f"{where}: {cited}"
            for where, kind, cited in CITATIONS
            if kind == "path" and not _path_exists(cited)
        }
    )
    assert missing == []


def test_every_cited_module_and_name_is_in_the_repository():
    missing = sorted(
        {
            f"{where}: {cited}"
            for where, kind, cited in CITATIONS
            if kind == "name" and not _dotted_exists(cited)
        }
    )
    assert missing == []


@pytest.mark.parametrize(
    ("cited", "kind", "exists"),
    [
        ("calls/services/dialing.py", "path", True),
        ("calls/services.py", "path", False),
        ("calls.services.outcomes.call_settle", "name", True),
        ("calls.services.call_settle", "name", False),
        ("calls.models.LIVE_STATUSES", "name", True),
    ],
)
def test_a_citation_is_judged_by_what_is_there(cited, kind, exists):
    judge = _path_exists if kind == "path" else _dotted_exists
    assert judge(cited) is exists
