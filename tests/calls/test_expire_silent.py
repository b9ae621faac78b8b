"""Calls the operator went silent about get an honest outcome, and only those."""

from datetime import timedelta

import pytest

from calls.models import Call
from calls.services.outcomes import calls_expire_silent
from tests.calls.helpers import call_in

pytestmark = pytest.mark.django_db


def test_silent_calls_become_unknown_or_failed_and_the_rest_stay(member, settings):
    settings.CALL_RINGING_TIMEOUT = 600
    settings.CALL_MAX_DURATION = 3600
    long_ago, a_moment = timedelta(seconds=4000), timedelta(seconds=10)
    ringing = call_in(member, "calling_callee", quiet_for=timedelta(seconds=700))
    connected_long = call_in(member, "connected", quiet_for=long_ago)
    never_taken = call_in(member, "queued", quiet_for=timedelta(seconds=700))
    connected_now = call_in(member, "connected", quiet_for=timedelta(seconds=700))
    fresh = call_in(member, "calling_caller", quiet_for=a_moment)
    ended = call_in(member, "ended", quiet_for=long_ago)

    assert calls_expire_silent() == 3

    def status(call: Call) -> str:
        return Call.objects.get(pk=call.pk).status

    assert status(ringing) == "unknown"
    assert status(connected_long) == "unknown"
    assert status(never_taken) == "failed"
    assert status(connected_now) == "connected"
    assert status(fresh) == "calling_caller"
    assert status(ended) == "ended"
    assert "never reported" in Call.objects.get(pk=ringing.pk).error_message
    assert calls_expire_silent() == 0
