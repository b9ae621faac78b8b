"""Every log line about a call carries the call's id and the operator's identifier; text or JSON.

A call's work is spread over processes and threads: the API request that places it, the task
that asks the operator to begin it, the operator's notifications, the recording's download.
`call_logging()` marks a stretch of code as being about one call, and every record made meanwhile,
by the portal or by a library (the operator client's requests, Celery's own lines), gets
`call_id` and `callidentifier` attributes: a log record factory adds them, so that every handler
and formatter sees them. LOG_FORMAT=json writes one JSON object per line (python-json-logger),
for a log collector to index by call; the default is plain text with `[call 12 ABC…]`.

Loaded by the LOGGING setting (its formatters live here), so that every process that configures
Django's logging (web, workers, commands) installs the factory.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import sentry_sdk
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

CALL_FIELDS = ("call_id", "callidentifier")
IDENTIFIER_SHOWN = 100  # characters of an identifier put on log lines: a call's whole one

_about: ContextVar[dict[str, object]] = ContextVar("log_about_call", default={})  # noqa: B039 - never mutated, only replaced


def printable(text: str) -> str:
    """Text from outside (the operator's) as one line on a log: no line breaks, no controls."""
    return "".join(c if c.isprintable() else "?" for c in text)


@contextmanager
def call_logging(
    *, call_id: int | None = None, callidentifier: str | None = None
) -> Iterator[None]:
    """Within this block, log lines are about this call (what is not given is kept from an outer
    block). Sentry's events get the same, as tags."""
    about = dict(_about.get())
    if call_id is not None:
        about["call_id"] = call_id
    if callidentifier:
        # As the operator's URL gave it, which may be anything.
        about["callidentifier"] = printable(callidentifier[:IDENTIFIER_SHOWN])
    token = _about.set(about)
    try:
        if not sentry_sdk.is_initialized():  # the usual case: no scope made per notification
            yield
            return
        # A scope of its own, so that the tags end with the block.
        with sentry_sdk.new_scope() as scope:
            for name, value in about.items():
                scope.set_tag(name, value)
            yield
    finally:
        _about.reset(token)


_default_factory = logging.getLogRecordFactory()


def _record_with_call(*args: object, **kwargs: object) -> logging.LogRecord:
    record = _default_factory(*args, **kwargs)
    for name, value in _about.get().items():
        setattr(record, name, value)
    return record


logging.setLogRecordFactory(_record_with_call)


class TextFormatter(logging.Formatter):
    """`time LEVEL logger [call 12 ABC] message`: the call's part only on lines about one."""

    def format(self, record: logging.LogRecord) -> str:
        ids = [str(getattr(record, name)) for name in CALL_FIELDS if getattr(record, name, None)]
        record.call = f" [call {' '.join(ids)}]" if ids else ""
        return super().format(record)


class JsonLogFormatter(JsonFormatter):
    """One JSON object a line: time, level, logger, message, the call's fields when about one,
    whatever `extra=` gave, and the exception's traceback as text."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(
            "{levelname}{name}{message}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger"},
            reserved_attrs=[*RESERVED_ATTRS, "call"],
            timestamp="time",  # ISO 8601, in UTC
        )
