"""Slow clients against the deploy guide's nginx in front of the Procfile's gunicorn (issue 19).

Clients that send a form's headers and never finish its body (16, as in the attack that slowed
`/healthz` to 3-8 s) each held one of gunicorn's threads: Django reads the body (the CSRF check
asks for the form) and waits for it. With `deploy/nginx.conf` in front, nginx receives the whole
body before gunicorn sees the request (`proxy_request_buffering`), so the same clients hold
nginx connections only, and `/healthz` is answered at once.

The server block is the deploy guide's own, taken from the file by bench/nginx.py (which the
benchmark uses too); only what a test cannot have changes: no TLS, ports and folders of the
test's own. gunicorn runs with two threads, so that two slow clients would block it without
nginx, which the first part shows.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from django.conf import settings

from bench.nginx import NGINX, nginx_running, process_group_stop, temp_paths
from clicktodial_portal.procfile import procfile_commands
from tests.helpers import free_port, wait_until

pytestmark = pytest.mark.skipif(
    NGINX is None, reason="needs nginx (Debian's nginx; `make test` installs it as root)"
)

ROOT = Path(settings.BASE_DIR)
SLOW_CLIENTS = 16
# What a blocked /healthz would exceed by far: until the slow clients give up or are dropped.
PROBE_TIMEOUT = 3.0


def test_the_deploy_guides_nginx_conf_is_valid_for_this_nginx(tmp_path):
    """The whole file as a host installs it (`nginx -t`), with a certificate made for the test."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs openssl, to make the test's certificate")
    key, certificate = tmp_path / "portal.key", tmp_path / "portal.pem"
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048"),
            *("-nodes", "-subj", "/CN=portal.example.com", "-days", "1"),
            *("-keyout", str(key), "-out", str(certificate)),
        ],
        check=True,
        capture_output=True,
    )
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site = site.replace("/etc/ssl/certs/portal.example.com.pem", str(certificate))
    site = site.replace("/etc/ssl/private/portal.example.com.key", str(key))
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\n"
        f"events {{}}\nhttp {{\n{temp_paths(tmp_path)}\n{site}\n}}\n"
    )

    checked = subprocess.run(  # noqa: S603 - this machine's nginx
        [NGINX, "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True
    )

    # (nginx 1.25.1 and later warn that `listen … http2` is deprecated: a warning, still valid.)
    assert checked.returncode == 0, checked.stderr


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


@contextmanager
def running(command: list[str], env: dict[str, str], log: Path, ready_url: str) -> Iterator[None]:
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - this venv's gunicorn
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(
            lambda: _answers(ready_url) or process.poll() is not None,
            timeout=30,
            what=f"{command[0]} to answer",
        )
        assert process.poll() is None, f"{command[0]} ended: see {log}"
        yield
    finally:
        process_group_stop(process)


@contextmanager
def slow_clients(port: int) -> Iterator[None]:
    """SLOW_CLIENTS connections, each sending a login form's headers and a few bytes of its body,
    then nothing: a CSRF cookie and no token in a header, so that Django reads the form."""
    connections = []
    try:
        for _ in range(SLOW_CLIENTS):
            connection = socket.create_connection(("127.0.0.1", port), timeout=5)
            connection.sendall(
                b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Cookie: csrftoken=abcdefghijklmnopqrstuvwxyz012345\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 100000\r\n\r\nusername=w"
            )
            connections.append(connection)
        time.sleep(0.5)  # each has reached whatever will wait for its body
        yield
    finally:
        for connection in connections:
            connection.close()


def probe_seconds(url: str) -> float | None:
    """How long /healthz took to answer 200, or None if it did not within PROBE_TIMEOUT."""
    started = time.monotonic()
    try:
        response = requests.get(f"{url}/healthz", timeout=PROBE_TIMEOUT)
    except requests.Timeout:
        return None
    assert response.status_code == 200
    return time.monotonic() - started


def test_slow_clients_hold_nginx_connections_not_the_portals_threads(tmp_path):
    web_port, nginx_port = free_port(), free_port()
    env = {
        **os.environ,
        "PORTAL_VAR_DIR": str(tmp_path / "var"),
        "GUNICORN_BIND": f"127.0.0.1:{web_port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
        "GUNICORN_ACCESS_LOG": "",
    }
    web = f"http://127.0.0.1:{web_port}"

    with running(procfile_commands()["web"], env, tmp_path / "web.log", f"{web}/healthz"):
        # Straight to gunicorn: two of them take both threads, and the probe waits.
        with slow_clients(web_port):
            assert probe_seconds(web) is None, "gunicorn's threads were not held: no test"

        with (
            nginx_running(tmp_path / "nginx", nginx_port, web_port) as front,
            slow_clients(nginx_port),
        ):
            taken = [probe_seconds(front) for _ in range(5)]

    assert None not in taken, f"/healthz blocked behind nginx: {taken}"
