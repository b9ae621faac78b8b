"""The deployment files: systemd units that start what the Procfile starts (the scale-out test runs
those commands) and that systemd accepts, an environment file naming only real settings, and
nginx's idle connections to gunicorn closed by nginx first."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from clicktodial_portal.procfile import procfile_commands

ROOT = Path(settings.BASE_DIR)
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
INSTALL_DIR = "/opt/clicktodial"


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string(path.read_text())
    return parser


def test_there_is_a_unit_for_each_production_process():
    names = {path.stem.removeprefix("clicktodial-") for path in UNITS}
    assert names == {"web", "worker", "recordings", "beat"}


@pytest.mark.parametrize("path", UNITS, ids=lambda path: path.name)
def test_a_unit_starts_what_the_procfile_starts(path):
    service = unit(path)["Service"]
    # In a unit, %h would be the user's home: the Procfile's %h (Celery's host name) is %%h.
    command = shlex.split(service["ExecStart"].replace("%%", "%"))
    command[0] = command[0].removeprefix(f"{INSTALL_DIR}/")

    assert command == procfile_commands()[path.stem.removeprefix("clicktodial-")]
    assert service["WorkingDirectory"] == INSTALL_DIR  # where the Procfile's relative paths hold


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_accepts_the_units(tmp_path):
    """Verified as installed on this checkout: systemd finds each program and warns of nothing."""
    environment = tmp_path / "clicktodial.env"
    shutil.copy(ROOT / "deploy" / "clicktodial.env.example", environment)
    for path in UNITS:
        text = path.read_text().replace(INSTALL_DIR, str(ROOT))
        text = text.replace("/etc/clicktodial/clicktodial.env", str(environment))
        # A system user the machine has (the guide makes `clicktodial`): not a special one.
        text = re.sub(r"^(User|Group)=clicktodial$", r"\1=root", text, flags=re.MULTILINE)
        (tmp_path / path.name).write_text(text)

    checked = subprocess.run(  # noqa: S603 - systemd's own checker, on our files
        ["systemd-analyze", "verify", *(str(tmp_path / path.name) for path in UNITS)],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr
    warnings = [line for line in checked.stderr.splitlines() if str(tmp_path) in line]
    assert not warnings, warnings


def test_the_environment_file_names_only_settings_the_portal_reads():
    read = set(
        re.findall(
            r"""env(?:\.\w+)?\(\s*["']([A-Z_0-9]+)["']""",
            (ROOT / "clicktodial_portal" / "settings.py").read_text(),
        )
    )
    read |= set(
        re.findall(
            r'os\.environ\.get\("([A-Z_0-9]+)"', (ROOT / "deploy" / "gunicorn.conf.py").read_text()
        )
    )
    read |= {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}  # boto3's own
    example = (ROOT / "deploy" / "clicktodial.env.example").read_text()
    named = set(re.findall(r"^#? ?([A-Z_0-9]+)=", example, flags=re.MULTILINE))

    assert named, "the example names no setting"
    assert named <= read, f"not read by the portal: {sorted(named - read)}"


def test_nginx_closes_idle_upstream_connections_before_gunicorn_does():
    # Else nginx may send a request on a connection gunicorn is closing: reset, and a 502 that
    # nginx does not retry for a POST (an operator's notification lost so in a benchmark run).
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    upstream = nginx[nginx.index("upstream clicktodial_web") :].split("}", 1)[0]
    nginx_idle = re.search(r"^\s*keepalive_timeout\s+(\d+)s;", upstream, re.MULTILINE)
    gunicorn = (ROOT / "deploy" / "gunicorn.conf.py").read_text()
    gunicorn_idle = re.search(r"^keepalive = (\d+)", gunicorn, re.MULTILINE)

    assert nginx_idle and gunicorn_idle
    assert int(nginx_idle.group(1)) < int(gunicorn_idle.group(1))
