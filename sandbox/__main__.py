"""``python -m sandbox``: the sandbox operator in the foreground, configured from the environment.

It is what ``make run`` starts beside the portal; it logs one line per request and per notification
to stdout so a developer can watch the operator's side of every call.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

from sandbox.server import SandboxConfig, SandboxOperator


def main() -> None:
    logging.basicConfig(
        stream=sys.stdout, level=logging.INFO, format="%(asctime)s sandbox %(message)s"
    )
    config = SandboxConfig.from_env(os.environ)
    operator = SandboxOperator(config)
    operator.start()
    print(f"Sandbox operator listening: {operator.base_url}", flush=True)
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
