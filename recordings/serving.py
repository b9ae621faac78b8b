"""Serving a stored recording over HTTP, with Range requests so that players can seek.

By default Django streams the bytes itself (fine for local files and modest traffic). In
production the work can be handed to the web server (nginx's X-Accel-Redirect, Apache's
X-Sendfile), or the browser redirected to a short-lived signed storage URL (S3 serves the ranges
itself). The access check and the audit log happen here first in every case.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.utils.http import content_disposition_header, http_date
from django.utils.translation import gettext as _

from recordings.models import Recording
from recordings.selectors import content_type_of, recording_filename

DELIVERY_DJANGO = "django"
DELIVERY_X_ACCEL = "x-accel-redirect"
DELIVERY_X_SENDFILE = "x-sendfile"
DELIVERY_STORAGE_URL = "storage-url"
DELIVERIES = (DELIVERY_DJANGO, DELIVERY_X_ACCEL, DELIVERY_X_SENDFILE, DELIVERY_STORAGE_URL)

_BLOCK = 64 * 1024
_SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class Unsatisfiable(Exception):
    """The Range asks only for bytes past the end of the file (416)."""


def parse_range(header: str, size: int) -> ByteRange | None:
    """The one byte range a ``Range`` header asks for, or None to send the whole file.

    RFC 9110 §14.2 lets a server ignore a Range it does not support: several ranges or a
    malformed header are answered with the whole file, 200.
    """
    match = _SINGLE_RANGE.match(header.replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # bytes=-500: the last 500 bytes
        suffix = int(last)
        if suffix == 0:
            raise Unsatisfiable
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None  # invalid: ignore it
    if start >= size:
        raise Unsatisfiable
    return ByteRange(start, end)


def _etag(recording: Recording) -> str:
    return f'"{recording.sha256[:40]}"' if recording.sha256 else f'"rec-{recording.pk}"'


def _read_range(file: BinaryIO, start: int, length: int) -> Iterator[bytes]:
    try:
        file.seek(start)
        remaining = length
        while remaining > 0:
            block = file.read(min(_BLOCK, remaining))
            if not block:
                break
            remaining -= len(block)
            yield block
    finally:
        file.close()


def recording_response(
    request: HttpRequest, recording: Recording, *, download: bool
) -> HttpResponse:
    """The HTTP answer that delivers a ready recording's audio."""
    delivery = settings.RECORDING_DELIVERY
    filename = recording_filename(recording)
    content_type = content_type_of(recording)
    disposition = content_disposition_header(download, filename) or ""

    if delivery == DELIVERY_STORAGE_URL:
        parameters = {
            "ResponseContentDisposition": disposition,
            "ResponseContentType": content_type,
        }
        url = recording.file.storage.url(
            recording.file.name, parameters=parameters, expire=settings.RECORDING_URL_LIFETIME
        )
        response: HttpResponse = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
        return response

    if delivery in (DELIVERY_X_ACCEL, DELIVERY_X_SENDFILE):
        # The web server reads the file and answers Range requests itself.
        response = HttpResponse(content_type=content_type)
        if delivery == DELIVERY_X_ACCEL:
            response["X-Accel-Redirect"] = settings.RECORDING_ACCEL_PREFIX + recording.file.name
        else:
            response["X-Sendfile"] = recording.file.path
        response["Content-Disposition"] = disposition
        response["Cache-Control"] = "private, no-store"
        return response

    size = recording.size_bytes or recording.file.size
    byte_range: ByteRange | None = None
    if_range = request.headers.get("If-Range")
    if "Range" in request.headers and (if_range is None or if_range == _etag(recording)):
        try:
            byte_range = parse_range(request.headers["Range"], size)
        except Unsatisfiable:
            # An error as the API's others are (JSON), with the size a client needs to retry.
            message = _("The range starts past the end of the recording (%(size)s bytes).")
            response = JsonResponse({"detail": message % {"size": size}}, status=416)
            response["Content-Range"] = f"bytes */{size}"
            response["Accept-Ranges"] = "bytes"
            return response

    file = recording.file.storage.open(recording.file.name, "rb")
    if byte_range is None:
        response = StreamingHttpResponse(_read_range(file, 0, size), content_type=content_type)
        response["Content-Length"] = str(size)
    else:
        response = StreamingHttpResponse(
            _read_range(file, byte_range.start, byte_range.length),
            status=206,
            content_type=content_type,
        )
        response["Content-Length"] = str(byte_range.length)
        response["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = _etag(recording)
    if recording.downloaded_at:
        response["Last-Modified"] = http_date(recording.downloaded_at.timestamp())
    response["Content-Disposition"] = disposition
    # Call audio is personal data: no shared cache may keep it.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
