"""The models and their migrations agree: a change to a model (a field, a verbose name) that no
migration records would be applied differently on a database built from the migrations."""

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_its_migration():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exited:
        pytest.fail(f"makemigrations would write (exit {exited.code}):\n{out.getvalue()}")
