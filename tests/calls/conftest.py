"""Fixtures for the calls tests (their helpers are in tests/calls/helpers.py)."""

import pytest

from calls.models import Call
from tests.calls.helpers import CALLEE, CALLER, IDENTIFIER


@pytest.fixture
def call(member) -> Call:
    """A call the operator has taken (it has its identifier), as the notifications find it."""
    return Call.objects.create(
        member=member,
        sponsor="+861052680000",
        caller=CALLER,
        callee=CALLEE,
        status=Call.Status.DIALING,
        callidentifier=IDENTIFIER,
    )
