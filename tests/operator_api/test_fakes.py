"""The adapters and the tests' fakes keep the operator interface (ClickToDialOperator).

A fake may leave out what its tests do not use, but each method it has must be one of the
interface's, taking the same parameters (names, kinds, defaults): when the interface changes, this
fails instead of the calls and recordings tests passing against an operator that no longer exists.
The adapters have every member. A Protocol's runtime isinstance() only asks that the names exist,
so it is not used here.
"""

import ast
import inspect
from pathlib import Path

import pytest

from operator_api import ClickToDialOperator, ReleaseOperation, SeedV1Operator
from operator_api.camara import CamaraOperator
from tests.calls.helpers import FakeOperator as ScriptedOperator
from tests.recordings.conftest import FakeOperator as RecordingDownloads

ADAPTERS = [SeedV1Operator, CamaraOperator]
# Every fake of the adapter in the tests (the last test finds any other).
FAKES = [ScriptedOperator, RecordingDownloads]
TESTS = Path(__file__).resolve().parents[1]


def _is_member(value) -> bool:
    return inspect.isfunction(value) or isinstance(value, property)


def interface() -> dict[str, object]:
    """The interface's members, by name: its methods and its properties."""
    return {
        name: member
        for name, member in vars(ClickToDialOperator).items()
        if not name.startswith("_") and _is_member(member)
    }


def parameters(function) -> list[tuple[str, object, object]]:
    """Each parameter's name, kind and default; annotations aside, a fake may leave them out."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


def drift(cls: type, *, complete: bool) -> list[str]:
    """How `cls` differs from the interface: its methods the interface does not have, those whose
    parameters differ, and (when it must be `complete`) the members it lacks."""
    wanted = interface()
    if complete:
        members = {name: inspect.getattr_static(cls, name, None) for name in wanted}
    else:
        members = {
            name: member
            for name, member in vars(cls).items()
            if not name.startswith("_") and _is_member(member)
        }
    problems = []
    for name, member in members.items():
        expected = wanted.get(name)
        if member is None:
            problems.append(f"lacks {name}")
        elif expected is None:
            problems.append(f"{name} is not in the interface")
        elif isinstance(expected, property) != isinstance(member, property):
            problems.append(f"{name} is a {type(member).__name__}, not a {type(expected).__name__}")
        elif not isinstance(member, property) and parameters(member) != parameters(expected):
            problems.append(f"{name}{inspect.signature(member)} != {inspect.signature(expected)}")
    return problems


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda cls: cls.__name__)
def test_an_adapter_has_every_member_of_the_interface_with_its_signature(adapter):
    assert drift(adapter, complete=True) == []


@pytest.mark.parametrize("fake", FAKES, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_a_fakes_methods_are_the_interfaces_with_their_signatures(fake):
    assert drift(fake, complete=False) == []


def test_a_fake_that_drifted_is_caught():
    class Drifted:
        def begin(self, **numbers) -> str:  # the interface names its keywords
            return "A010B020"

        def release(self, *, callidentifier: str, operation=ReleaseOperation.CONTINUE) -> None:
            pass

        def hang_up(self, *, callidentifier: str) -> None:  # no such operation
            pass

        def call_state(self, callidentifier: str) -> None:  # positional, not keyword-only
            pass

    problems = drift(Drifted, complete=False)

    assert [problem.split("(")[0].split(" ")[0] for problem in problems] == [
        "begin",
        "release",
        "hang_up",
        "call_state",
    ]
    assert "lacks begin" not in problems
    assert {"lacks last_contact", "lacks asks_for_recording"} <= set(drift(Drifted, complete=True))


def _takes_keywords_only(function: ast.FunctionDef) -> bool:
    arguments = function.args
    return not arguments.posonlyargs and len(arguments.args) <= 1 and not arguments.vararg


def test_every_fake_of_the_adapter_in_the_tests_is_checked_here():
    """A class in the tests with a method named as one of the interface's that takes keywords
    only, as they all do, stands in for the adapter: it belongs in FAKES (in a helpers or
    conftest module, since test modules are not imported by others)."""
    names = set(interface())
    found = set()
    for path in sorted(TESTS.rglob("*.py")):
        if path == Path(__file__).resolve():
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(item, ast.FunctionDef)
                and item.name in names
                and _takes_keywords_only(item)
                for item in node.body
            ):
                found.add((path.relative_to(TESTS).as_posix(), node.name))

    checked = {
        (Path(inspect.getsourcefile(fake)).resolve().relative_to(TESTS).as_posix(), fake.__name__)
        for fake in FAKES
    }
    assert found == checked
