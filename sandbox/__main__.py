"""``python -m sandbox [--strict]``: the sandbox operator in the foreground, configured from the
environment (sandbox/README.md).

It is what ``make run`` starts beside the portal; it logs one line per request and per notification
to stdout so a developer can watch the operator's side of every call.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping

from sandbox.server import SandboxConfig, SandboxOperator


def configure(argv: list[str] | None, environ: Mapping[str, str]) -> SandboxConfig:
    """The configuration from the environment, and ``--strict`` from the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="The sandbox operator, configured from the environment (sandbox/README.md).",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="behave like the least forgiving operator (the same as SANDBOX_STRICT=1)",
    )
    args = parser.parse_args(argv)
    config = SandboxConfig.from_env(environ)
    return dataclasses.replace(config, strict=True) if args.strict else config


def main(argv: list[str] | None = None) -> None:
    config = configure(argv, os.environ)
    logging.basicConfig(
        stream=sys.stdout, level=logging.INFO, format="%(asctime)s sandbox %(message)s"
    )
    operator = SandboxOperator(config)
    operator.start()
    mode = " (strict)" if config.strict else ""
    print(f"Sandbox operator listening{mode}: {operator.base_url}", flush=True)
    print(f"  token URL {operator.token_url}; notifications to {config.notify_url}", flush=True)

    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())  # process managers stop us with TERM
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        operator.stop()


if __name__ == "__main__":
    main()
