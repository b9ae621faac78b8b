"""Caps on request bodies, checked before anything reads one.

Django reads a body only when asked, but the first to ask for a form's is CsrfViewMiddleware
(for its token), before the view could check the size: a 200 MB file posted to an import page was
read to its end, and refused as too big only then. So every body is held to a limit here, in
`process_view`, which runs before CSRF's: from `Content-Length`, before a byte of it is read.

- A view without a limit of its own takes at most `REQUEST_BODY_MAX_BYTES` (settings: what any
  form or API call sends); over it the answer is 413 here, a page for people, JSON under /api/.
- A view that takes more (an import), or answers a refusal in its own words (the operator's
  notifications), declares its limit with `body_limit`. Over it, the view is still called, with
  `request.body_refused` set to the declared length and nothing to read, so that it answers as it
  does for any bad file; CSRF's check has not run then, so such a view must change nothing.
- A body without `Content-Length` (sent chunked: gunicorn undoes the chunking in `wsgi.input`,
  and Django reads none of it) is capped while it is read, for whatever reads `wsgi.input`
  itself: past REQUEST_BODY_MAX_BYTES the read raises `RequestBodyTooLarge`, answered 413. A
  view with a limit of its own reads such a body itself, no further than that limit; but a file
  upload (multipart, to a view declared with `file_upload=True`) sent so, which Django would
  take for an empty form, is read here into a temporary file, no further than the view's limit,
  and handed on with its length, or refused as above once past the limit.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import BadRequest
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

View = TypeVar("View", bound=Callable[..., Any])

# Bytes read at once from a body sent without its length.
READ_CHUNK = 64 * 1024


def body_limit(max_bytes: int, *, file_upload: bool = False) -> Callable[[View], View]:
    """Let a view take bodies of up to `max_bytes` instead of REQUEST_BODY_MAX_BYTES, and answer
    longer ones itself (`request.body_refused`, see the module's docstring). `file_upload`: the
    view takes a file in a form, which is read here when it comes without its length."""

    def declare(view: View) -> View:
        view.request_body_max_bytes = max_bytes  # type: ignore[attr-defined]
        view.request_body_file_upload = file_upload  # type: ignore[attr-defined]
        return view

    return declare


def body_refused(request: HttpRequest) -> int | None:
    """The length of the body refused unread for being over the view's limit, else None; for a
    body sent without its length, the bytes read before it passed the limit (at least as long)."""
    return getattr(request, "body_refused", None)


def body_length_unknown(request: HttpRequest) -> bool:
    """Whether the refused body came without its length (`body_refused` is then a lower bound)."""
    return getattr(request, "body_length_unknown", False)


class RequestBodyTooLarge(Exception):
    """A body without Content-Length read past `limit`."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"a body without Content-Length past {limit} bytes")
        self.limit = limit


class _CappedInput:
    """A WSGI input that may be read up to `limit` bytes and raises past it."""

    def __init__(self, stream: Any, limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self._left = limit

    def _counted(self, data: bytes) -> bytes:
        self._left -= len(data)
        if self._left < 0:
            raise RequestBodyTooLarge(self._limit)
        return data

    def read(self, size: int = -1) -> bytes:
        # One byte more than is left at most, enough to tell "at the limit" from "over it".
        wanted = self._left + 1 if size is None or size < 0 else min(size, self._left + 1)
        return self._counted(self._stream.read(wanted))

    def readline(self, size: int = -1) -> bytes:
        wanted = self._left + 1 if size is None or size < 0 else min(size, self._left + 1)
        return self._counted(self._stream.readline(wanted))

    def __iter__(self):
        while line := self.readline():
            yield line


def _declared_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None  # none, or not a number: Django reads nothing of such a body


def _view_limit(view_func: Callable[..., Any]) -> int | None:
    """The view's own limit: on the function, or on the class of a class-based view."""
    limit = getattr(view_func, "request_body_max_bytes", None)
    if limit is None:
        view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
        limit = getattr(view_class, "request_body_max_bytes", None)
    return limit


def _chunked_upload_buffer(request: HttpRequest, limit: int) -> int | None:
    """Read a body sent without Content-Length into a temporary file, no further than `limit`,
    and hand it on as if it had come with its length. Past the limit: the bytes read (limit + 1),
    and nothing is handed on."""
    stream = request.META["wsgi.input"]
    # Closed once the response is sent (__call__), or here when it is not handed on.
    buffer = tempfile.SpooledTemporaryFile(  # noqa: SIM115
        max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, dir=settings.FILE_UPLOAD_TEMP_DIR
    )
    size = 0
    try:
        while size <= limit:
            data = stream.read(min(READ_CHUNK, limit + 1 - size))
            if not data:
                break
            buffer.write(data)
            size += len(data)
    except Exception as exc:
        # The client went away, or its chunks were malformed (gunicorn's errors): not ours.
        buffer.close()
        raise BadRequest("the request's body could not be read") from exc
    if size > limit:
        buffer.close()
        return size
    request._chunked_upload = buffer
    buffer.seek(0)
    request.META["wsgi.input"] = buffer
    request.META["CONTENT_LENGTH"] = str(size)
    # Django made the request's stream from the length it saw then (none: nothing to read).
    request._stream = LimitedStream(buffer, size)
    return None


def _nothing_to_read(request: HttpRequest) -> None:
    """Leave the refused body unread: whatever asks for the form data or the stream gets none."""
    request._post, request._files = QueryDict(), MultiValueDict()
    request._stream = io.BytesIO()
    request.META["wsgi.input"] = io.BytesIO()


def too_large_answer(request: HttpRequest, limit: int) -> HttpResponse:
    """413 in the caller's format: the API's JSON error under /api/, else the portal's page."""
    title = _("The request is too large")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": title}, status=413)
    explanation = _(
        "The portal takes at most %(limit)s MB at once. Send less, or split it into parts."
    ) % {"limit": f"{limit / 1024 / 1024:.1f}".removesuffix(".0")}
    context = {"status": 413, "title": title, "explanation": explanation}
    return render(request, "error.html", context, status=413)


class RequestBodyLimitMiddleware:
    """Place before CsrfViewMiddleware, the first that reads a body (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        buffered = getattr(request, "_chunked_upload", None)
        if buffered is not None:
            response._resource_closers.append(buffered.close)
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        own_limit = _view_limit(view_func)
        limit = own_limit if own_limit is not None else settings.REQUEST_BODY_MAX_BYTES
        length = _declared_length(request)
        if length is None:
            # A view with a limit of its own reads such a body no further than it (the
            # notifications read one byte past theirs, to tell a body over it).
            stream = request.META.get("wsgi.input")
            if stream is None:
                return None
            if own_limit is None:
                request.META["wsgi.input"] = _CappedInput(stream, limit)
            elif getattr(view_func, "request_body_file_upload", False) and (
                request.content_type == "multipart/form-data"
            ):
                over = _chunked_upload_buffer(request, own_limit)
                if over is not None:
                    request.body_length_unknown = True
                    return self._refused(request, view_func, view_args, view_kwargs, over)
            return None
        if length <= limit:
            return None
        if own_limit is None:
            return too_large_answer(request, limit)
        return self._refused(request, view_func, view_args, view_kwargs, length)

    @staticmethod
    def _refused(
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
        length: int,
    ) -> HttpResponse:
        """The view with a limit of its own, told the body of `length` bytes was refused."""
        _nothing_to_read(request)
        request.body_refused = length
        return view_func(request, *view_args, **view_kwargs)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestBodyTooLarge):
            return too_large_answer(request, exception.limit)
        return None
