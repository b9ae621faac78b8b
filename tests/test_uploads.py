"""Request bodies held to their limits before they are read (clicktodial_portal/request_body.py):
the imports' files by their own limit, every other view by REQUEST_BODY_MAX_BYTES, chunked bodies
while they are read; and gunicorn's control socket, per instance or off."""

import json
import os
import re
import runpy
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import override_settings
from django.urls import include, path, reverse

from calls.contact_import import CONTACT_TABLE
from calls.models import CallEvent, Contact
from members.importing import MEMBER_TABLE
from tests.calls.helpers import IDENTIFIER, basic

ROOT = Path(__file__).resolve().parent.parent
MULTIPART = "multipart/form-data; boundary=BoUnDaRy"


class Tripwire:
    """A WSGI input that fails the test if more than `allowed` bytes of it are read."""

    def __init__(self, allowed: int = 0) -> None:
        self.allowed = allowed
        self.read_bytes = 0

    def _take(self, size: int | None) -> bytes:
        wanted = 64 * 1024 if size is None or size < 0 else size
        self.read_bytes += wanted
        if self.read_bytes > self.allowed:
            raise AssertionError(f"the body was read: {self.read_bytes} bytes asked")
        return b"x" * wanted

    def read(self, size: int | None = -1) -> bytes:
        return self._take(size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._take(size)


def unread_post(client, url: str, length: int, content_type: str = MULTIPART):
    """A POST declaring `length` bytes of body, of which none may be read."""
    wire = Tripwire()
    response = client.generic(
        "POST",
        url,
        b"x",
        content_type=content_type,
        **{"CONTENT_LENGTH": str(length), "wsgi.input": wire},
    )
    assert wire.read_bytes == 0
    return response


def file_error(response) -> str:
    """The text next to the file field (Django's {id}_error element)."""
    found = re.search(r'id="id_file_error"[^>]*>(.*?)</', response.content.decode(), re.S)
    assert found, "no error next to the file field"
    return found.group(1)


# Imports: their own limit, from Content-Length


def test_a_contacts_file_over_the_limit_is_refused_by_its_length_unread(as_employee):
    response = unread_post(as_employee, reverse("contact-import"), 200 * 1024 * 1024)

    assert response.status_code == 413
    assert "The file is 200.0 MB; the limit is 2 MB. Split it into smaller files." in file_error(
        response
    )
    assert Contact.objects.count() == 0


def test_the_refusal_leaves_the_pending_preview_alone(as_employee):
    """Answered before the CSRF check, so it changes nothing: the preview stays in the session."""
    as_employee.post(
        reverse("contact-import"),
        {"file": SimpleUploadedFile("c.csv", b"name,phone_number\nAda,+8613912345673\n")},
    )
    pending = as_employee.session["contacts_import"]["id"]

    unread_post(as_employee, reverse("contact-import"), 50 * 1024 * 1024)

    assert as_employee.session["contacts_import"]["id"] == pending


def test_an_anonymous_upload_over_the_limit_is_sent_to_log_in_unread(client):
    response = unread_post(client, reverse("contact-import"), 200 * 1024 * 1024)

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_a_members_file_over_the_limit_is_refused_by_its_length_unread(as_admin):
    response = unread_post(as_admin, reverse("member-import"), 40 * 1024 * 1024)

    assert response.status_code == 413
    assert "the limit is 5 MB" in file_error(response)


def test_an_employee_gets_403_for_the_members_import_even_over_the_limit(as_employee):
    response = unread_post(as_employee, reverse("member-import"), 40 * 1024 * 1024)

    assert response.status_code == 403


def test_a_contacts_file_just_over_the_limit_is_refused_413_before_it_is_read(as_employee):
    """Within the request's allowance for the form around it, but over the file's limit: the
    upload's size says so, with the same words."""
    big = SimpleUploadedFile("big.csv", b"x" * (CONTACT_TABLE.max_bytes + 1))

    response = as_employee.post(reverse("contact-import"), {"file": big})

    assert response.status_code == 413
    assert "the limit is 2 MB" in file_error(response)


def test_a_members_file_just_over_the_limit_is_refused_413(as_admin):
    big = SimpleUploadedFile("big.csv", b"x" * (MEMBER_TABLE.max_bytes + 1))

    response = as_admin.post(reverse("member-import"), {"file": big})

    assert response.status_code == 413
    assert "the limit is 5 MB" in file_error(response)


def test_a_file_at_the_limit_is_read_and_previewed(as_employee):
    header = b"name,phone_number,notes\n"
    row = b"Ada,+8613912345673," + b"n" * 1500 + b"\n"
    rows = (CONTACT_TABLE.max_bytes - len(header)) // len(row)
    padding = b"\n" * (CONTACT_TABLE.max_bytes - len(header) - rows * len(row))
    data = header + row * rows + padding
    assert len(data) == CONTACT_TABLE.max_bytes

    response = as_employee.post(
        reverse("contact-import"), {"file": SimpleUploadedFile("c.csv", data)}
    )

    # Read to its end: a preview of its rows, each with its own error (the same number twice).
    assert response.status_code == 302
    assert len(as_employee.session["contacts_import"]["rows"]) == rows


def test_a_csv_with_a_quote_never_closed_is_an_error_next_to_the_file_not_a_500(as_employee):
    data = b'name,phone_number\n"Ada,+8613912345673\n' + b"x" * 200_000

    response = as_employee.post(
        reverse("contact-import"), {"file": SimpleUploadedFile("c.csv", data)}
    )

    assert response.status_code == 400
    assert "a quote (&quot;) is never closed" in file_error(response)


# Every other view: REQUEST_BODY_MAX_BYTES


def test_a_form_body_over_the_cap_is_refused_413_unread(as_employee, settings):
    response = unread_post(
        as_employee,
        reverse("contact-list"),
        settings.REQUEST_BODY_MAX_BYTES + 1,
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 413
    assert "The request is too large" in response.content.decode()


def test_an_api_body_over_the_cap_is_refused_413_in_json_unread(api, settings):
    wire = Tripwire()
    response = api.generic(
        "POST",
        "/api/v1/contacts/",
        b"{}",
        content_type="application/json",
        **{"CONTENT_LENGTH": str(settings.REQUEST_BODY_MAX_BYTES + 1), "wsgi.input": wire},
    )

    assert wire.read_bytes == 0
    assert response.status_code == 413
    assert response.json() == {"detail": "The request is too large"}


def test_a_body_under_the_cap_still_reaches_the_view(as_employee):
    response = as_employee.post(
        reverse("contact-list"), {"name": "Ada", "phone_number": "+8613912345673"}
    )

    assert response.status_code == 302
    assert Contact.objects.filter(name="Ada").exists()


def test_the_cap_is_above_every_imports_limit_and_nginxs_above_all(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= settings.REQUEST_BODY_MAX_BYTES
    assert CONTACT_TABLE.max_bytes > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    assert settings.FILE_UPLOAD_HANDLERS[-1].endswith("TemporaryFileUploadHandler")
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    megabytes = int(re.search(r"client_max_body_size\s+(\d+)m;", nginx).group(1))
    largest = max(CONTACT_TABLE.upload_max_bytes, MEMBER_TABLE.upload_max_bytes)
    assert largest <= megabytes * 1024 * 1024 < largest + 1024 * 1024
    assert re.search(r"proxy_request_buffering\s+on;", nginx)
    assert re.search(r"client_body_timeout\s+\d+s;", nginx)
    assert re.search(r"client_header_timeout\s+\d+s;", nginx)


# Bodies without Content-Length (chunked), capped while read


def _reads_everything(request):
    return HttpResponse(str(len(request.META["wsgi.input"].read())))


urlpatterns = [
    path("reads-everything/", _reads_everything),
    path("", include("clicktodial_portal.urls")),
]


class Stream:
    """A body as gunicorn hands over a chunked one: no Content-Length; counts what is read."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        wanted = self.left if size is None or size < 0 else min(size, self.left)
        self.left -= wanted
        self.read_bytes += wanted
        return b"x" * wanted

    readline = read  # a body of one line


@override_settings(ROOT_URLCONF=__name__)
def test_a_chunked_body_over_the_cap_is_refused_while_read(client, settings):
    cap = settings.REQUEST_BODY_MAX_BYTES
    stream = Stream(cap * 4)
    environ = {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": stream}

    response = client.generic("POST", "/reads-everything/", b"", **environ)

    assert response.status_code == 413
    assert stream.read_bytes <= cap + 1


@override_settings(ROOT_URLCONF=__name__)
def test_a_chunked_body_under_the_cap_is_read_whole(client):
    stream = Stream(1000)

    response = client.generic(
        "POST",
        "/reads-everything/",
        b"",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": stream},
    )

    assert (response.status_code, response.content) == (200, b"1000")


def _multipart(data: bytes) -> bytes:
    return (
        b'--BoUnDaRy\r\nContent-Disposition: form-data; name="file"; filename="c.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + data + b"\r\n--BoUnDaRy--\r\n"
    )


class ChunkedBody(Stream):
    """`body` as gunicorn hands over a chunked one, then as much filler as `extra` says."""

    def __init__(self, body: bytes, extra: int = 0) -> None:
        super().__init__(len(body) + extra)
        self.body = body

    def read(self, size: int = -1) -> bytes:
        start = self.read_bytes
        data = super().read(size)
        return (self.body[start : start + len(data)] + data)[: len(data)]


def test_a_file_sent_chunked_is_read_as_one_with_its_length(as_employee):
    """No browser sends a file so, but a script may: Django alone took it for an empty form and
    showed the blank page (200), the file silently dropped."""
    body = ChunkedBody(_multipart(b"name,phone_number\nAda,+8613912345673\n"))

    response = as_employee.generic(
        "POST", reverse("contact-import"), b"", CONTENT_TYPE=MULTIPART, **{"wsgi.input": body}
    )

    assert response.status_code == 302
    assert as_employee.session["contacts_import"]["rows"][0]["name"] == "Ada"


def test_a_file_sent_chunked_over_the_limit_is_refused_once_past_it(as_employee):
    body = ChunkedBody(_multipart(b"name,phone_number\n"), extra=200 * 1024 * 1024)

    response = as_employee.generic(
        "POST", reverse("contact-import"), b"", CONTENT_TYPE=MULTIPART, **{"wsgi.input": body}
    )

    assert response.status_code == 413
    # Its size is not known (only that it passed the limit): not told as if it were.
    assert "The file is over the limit of 2 MB" in file_error(response)
    assert body.read_bytes <= CONTACT_TABLE.max_bytes + 64 * 1024 + 1


class BrokenBody(Stream):
    """A chunked body whose client goes away after the first bytes (gunicorn raises then)."""

    def read(self, size: int = -1) -> bytes:
        if self.read_bytes:
            raise OSError("the client went away")
        return super().read(size)


def test_a_file_sent_chunked_that_breaks_off_is_a_400_not_a_500(as_employee):
    response = as_employee.generic(
        "POST",
        reverse("contact-import"),
        b"",
        CONTENT_TYPE=MULTIPART,
        **{"wsgi.input": BrokenBody(100_000)},
    )

    assert response.status_code == 400
    assert not Contact.objects.exists()


def test_a_chunked_body_to_a_view_without_files_is_not_buffered(client, db):
    """The operator's notifications read their own chunked bodies (and answer in their words)."""
    body = ChunkedBody(b'{"status": "Connected"}')

    response = client.generic(
        "POST",
        f"/clicktodial/v1/clicktodialstatusnotify/{IDENTIFIER}",
        b"",
        CONTENT_TYPE=MULTIPART,
        HTTP_AUTHORIZATION=basic(),
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": body},
    )

    assert response.status_code != 500
    assert CallEvent.objects.get().body == '{"status": "Connected"}'


# The operator's notifications: their own limit, their own answers


def test_a_notification_over_any_cap_is_answered_in_the_operators_format(client, db):
    wire = Tripwire()
    response = client.generic(
        "POST",
        f"/clicktodial/v1/clicktodialstatusnotify/{IDENTIFIER}",
        b"{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=basic(),
        **{"CONTENT_LENGTH": str(10**12), "wsgi.input": wire},
    )

    assert wire.read_bytes == 0
    assert (response.status_code, json.loads(response.content)["code"]) == (413, "0000002")
    assert CallEvent.objects.filter(outcome=CallEvent.Outcome.INVALID).count() == 1


# gunicorn's control socket


def _gunicorn_settings(monkeypatch, **environ: str) -> dict:
    monkeypatch.delenv("GUNICORN_CONTROL_SOCKET", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))


def test_gunicorns_control_socket_is_off_unless_given_a_path_of_its_own(monkeypatch, tmp_path):
    assert _gunicorn_settings(monkeypatch)["control_socket_disable"] is True

    own = str(tmp_path / "web.ctl")
    configured = _gunicorn_settings(monkeypatch, GUNICORN_CONTROL_SOCKET=own)
    assert configured["control_socket_disable"] is False
    assert configured["control_socket"] == own
    assert os.environ.get("GUNICORN_CONTROL_SOCKET") == own
