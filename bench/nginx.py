"""The deploy guide's nginx (deploy/nginx.conf) in front of a gunicorn the benchmark or a test
started, as production has it: the file's upstream and HTTPS server block, with only what cannot
be had here changed (no TLS: its listen, certificate and name lines; ports and folders of the
run's own).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or (
    "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None
)
# The directives a run here cannot keep: TLS, and the public name and ports.
_NOT_HERE = re.compile(r"^\s*(listen|server_name|ssl_\w+|http2)\b[^;]*;\n", re.M)


def _block(text: str, start: int) -> str:
    """The `{ … }` block that opens at or after `start`, with its braces."""
    opening = text.index("{", start)
    depth = 0
    for index in range(opening, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text[opening : index + 1]
    raise ValueError("unbalanced braces in deploy/nginx.conf")


def temp_paths(folder: Path) -> str:
    """nginx's temporary folders under `folder` (its defaults, under /var/lib/nginx, are root's)."""
    return "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )


def nginx_conf(folder: Path, port: int, upstream_port: int) -> Path:
    """deploy/nginx.conf's upstream and HTTPS server block, served on `port` over plain HTTP."""
    deployed = (ROOT / "deploy" / "nginx.conf").read_text()
    upstream = deployed[deployed.index("upstream clicktodial_web") :]
    upstream = "upstream clicktodial_web " + _block(upstream, 0)
    upstream = upstream.replace("127.0.0.1:8000", f"127.0.0.1:{upstream_port}")
    https = deployed.rindex("server {", 0, deployed.index("listen 443"))
    server = _NOT_HERE.sub("", _block(deployed, https))
    server = server.replace("{", f"{{\n    listen 127.0.0.1:{port};", 1)
    temp = temp_paths(folder)
    conf = folder / "nginx.conf"
    conf.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"worker_processes 1;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\n"
        + "events { worker_connections 1024; }\n"
        + f"http {{\n    access_log off;\n{temp}\n{upstream}\nserver {server}\n}}\n"
    )
    return conf


@contextmanager
def nginx_running(folder: Path, port: int, upstream_port: int) -> Iterator[str]:
    """nginx on `port` in front of the gunicorn on `upstream_port`, until the block ends; its
    URL. `folder` takes its configuration, temporary files and logs."""
    if NGINX is None:
        raise RuntimeError("nginx is not installed (Debian: apt-get install nginx)")
    folder.mkdir(parents=True, exist_ok=True)
    conf = nginx_conf(folder, port, upstream_port)
    with (folder / "nginx.log").open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - this machine's nginx, a configuration of ours
            [NGINX, "-c", str(conf), "-p", str(folder), "-g", "daemon off;"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"nginx did not answer; see {folder}")
            time.sleep(0.1)
        yield url
    finally:
        process_group_stop(process)


def process_group_stop(process: subprocess.Popen) -> None:
    """Stop a process started in a session of its own, and whatever it started; one that has
    already ended (nginx refusing its configuration, say) is let be."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    process.wait()
