"""A stand-in telecom operator serving the seed's Click to Dial v1 API (and CAMARA's) over HTTP.

It lets the portal be run, demonstrated and tested end to end without a telephone network. It is
a separate process in production-like setups (``python -m sandbox``) and an in-process server in
tests (``SandboxOperator(...).start()``); either way it needs nothing from Django.
"""

from sandbox.calls import SandboxCall
from sandbox.server import (
    ReceivedRequest,
    SandboxConfig,
    SandboxOperator,
    SentNotification,
)

__all__ = [
    "ReceivedRequest",
    "SandboxCall",
    "SandboxConfig",
    "SandboxOperator",
    "SentNotification",
]
