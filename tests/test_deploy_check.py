"""`manage.py check --deploy` is clean with production settings given by the environment alone,
and fails on the embedded defaults' secrets."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.reliability


def check_deploy(tmp_path, *, unset: tuple[str, ...] = (), **environment: str):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PORTAL_VAR_DIR": str(tmp_path),
        "DEBUG": "false",
        "PORTAL_BASE_URL": "https://portal.example.com",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "OPERATOR_NOTIFY_PASSWORD": secrets.token_urlsafe(24),
        **environment,
    }
    for name in unset:
        del env[name]
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = check_deploy(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("unset", "environment", "complaint"),
    [
        (("SECRET_KEY",), {}, "security.W009"),
        ((), {"OPERATOR_NOTIFY_PASSWORD": "sandbox-notify-secret"}, "calls.E001"),
        ((), {"OPERATOR_NOTIFY_PASSWORD": ""}, "calls.E001"),
    ],
)
def test_the_embedded_defaults_secrets_fail_it(tmp_path, unset, environment, complaint):
    result = check_deploy(tmp_path, unset=unset, **environment)

    assert result.returncode != 0
    assert complaint in result.stdout + result.stderr
