"""Reading the operator's JSON answers incrementally, with the recording's base64 streamed out.

A recording download answers ``{"code", "description", "filedata": "<base64 audio>"}`` (the seed's
markdown), puts ``filedata`` inside ``result``, or makes ``result`` the base64 string itself
(``{"code": "0000000", "description": "Success", "result": "UklGR..."}``, the seed's OpenAPI
file). A 60-minute recording is a string of more than 100 MB, so neither the body nor that string
may be held in memory: ijson and ``json.loads`` both build the whole string before handing it
over. :class:`AnswerParser` is fed the body chunk by chunk as it comes off the socket; every other
value is small and parsed as usual, while the recording's characters go straight to a
:class:`Base64Writer`, which decodes them in slices into the destination. Memory stays bounded
whatever the recording's size.
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Callable, Collection
from typing import Any, BinaryIO

__all__ = ["STREAMED_PATHS", "AnswerParser", "Base64Writer", "CorruptFiledata", "UnreadableAnswer"]

# Where a v1 answer holds the recording: paths of lower-cased object keys from the top. Only a
# string there is streamed (a ``result`` object is parsed, and its ``filedata`` streamed).
STREAMED_PATHS: tuple[tuple[str, ...], ...] = (("filedata",), ("result", "filedata"), ("result",))
# Everything in an answer but the streamed string: a few hundred bytes in practice.
MAX_ENVELOPE_BYTES = 1 << 20
# Base64 characters decoded per slice (a multiple of 4): 256 KiB of text, 192 KiB of audio.
DECODE_SLICE = 256 * 1024
# A data: URI header ("data:audio/wav;base64,") is tolerated in front of the base64.
_MAX_DATA_URI_HEADER = 256

_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_WHITESPACE = b" \t\r\n\f\v"
# The URL-safe alphabet's two characters, read as the standard ones.
_URLSAFE = bytes.maketrans(b"-_", b"+/")
# Escapes a JSON encoder may put in a base64 string: PHP writes "\/", some write line breaks as
# "\n", Gson writes "=" as "\u003d". Anything else escaped cannot be base64.
_SIMPLE_ESCAPES = ((b"\\/", b"/"), (b"\\n", b"\n"), (b"\\r", b"\r"), (b"\\t", b"\t"))
_UNICODE_ESCAPE = re.compile(rb"\\u([0-9a-fA-F]{4})")
_INCOMPLETE_ESCAPE = re.compile(rb"\\(u[0-9a-fA-F]{0,3})?\Z")


class UnreadableAnswer(ValueError):
    """The answer is not one complete JSON object (an HTML error page, a cut-off body...)."""


class CorruptFiledata(ValueError):
    """``filedata`` is not valid base64 (or not a string of it)."""


class Base64Writer:
    """Decodes base64 text fed in pieces and writes the bytes to ``destination`` as it goes.

    Whitespace is skipped, the URL-safe alphabet is accepted, missing padding is tolerated, and
    anything else that is not base64 raises :class:`CorruptFiledata`. ``on_chunk`` sees every
    decoded chunk (to hash it, say).
    """

    def __init__(
        self, destination: BinaryIO, *, on_chunk: Callable[[bytes], None] | None = None
    ) -> None:
        self._destination = destination
        self._on_chunk = on_chunk
        self._pending = bytearray()
        self._padding = 0
        self._head: bytearray | None = bytearray()  # None once any data: header is dealt with
        self.written = 0
        self.closed = False

    def feed(self, text: bytes) -> None:
        text = text.translate(_URLSAFE, _WHITESPACE)
        if not text:
            return
        if self._head is not None:
            self._head += text
            text = self._strip_data_uri_header()
            if not text:
                return
        if self._padding:
            if text.strip(b"="):
                raise CorruptFiledata("base64 data continues after its padding")
            self._count_padding(len(text))
            return
        padding_at = text.find(b"=")
        if padding_at >= 0:
            tail = text[padding_at:]
            if tail.strip(b"="):
                raise CorruptFiledata("base64 data continues after its padding")
            self._count_padding(len(tail))
            text = text[:padding_at]
        if text.translate(None, _ALPHABET):
            raise CorruptFiledata("characters that are not base64")
        self._pending += text
        if len(self._pending) >= DECODE_SLICE:
            whole = len(self._pending) - len(self._pending) % 4
            self._write(binascii.a2b_base64(self._pending[:whole]))
            del self._pending[:whole]

    def close(self) -> int:
        """Decode what is left; return the number of bytes written in all."""
        if self._head is not None:
            # Fewer than five characters in all, or a data: header with no comma after it.
            rest, self._head = bytes(self._head), None
            if rest.startswith(b"data:"):
                raise CorruptFiledata("a data: URI without base64 data")
            self.feed(rest)
        remainder = len(self._pending) % 4
        if remainder == 1 or (self._padding and (len(self._pending) + self._padding) % 4):
            raise CorruptFiledata("base64 data of an impossible length")
        if remainder:
            self._pending += b"=" * (4 - remainder)
        if self._pending:
            self._write(binascii.a2b_base64(self._pending))
            self._pending.clear()
        self.closed = True
        return self.written

    def _strip_data_uri_header(self) -> bytes:
        """Hold the first characters until it is clear whether a data: header starts the text."""
        head = self._head or bytearray()
        if len(head) < 5 and b"data:".startswith(bytes(head)):
            return b""
        if not head.startswith(b"data:"):
            self._head = None
            return bytes(head)
        comma = head.find(b",")
        if comma < 0:
            if len(head) > _MAX_DATA_URI_HEADER:
                raise CorruptFiledata("a data: URI header that does not end")
            return b""
        self._head = None
        return bytes(head[comma + 1 :])

    def _count_padding(self, count: int) -> None:
        self._padding += count
        if self._padding > 2:
            raise CorruptFiledata("more than two padding characters")

    def _write(self, chunk: bytes) -> None:
        if not chunk:
            return
        self._destination.write(chunk)
        if self._on_chunk is not None:
            self._on_chunk(chunk)
        self.written += len(chunk)


class _Frame:
    """An object or array being parsed: its Python value, its path, and the key awaiting a value."""

    __slots__ = ("key", "path", "value")

    def __init__(self, value: dict[str, Any] | list[Any], path: tuple[str, ...]) -> None:
        self.value = value
        self.path = path
        self.key: str | None = None


# Parser states.
_VALUE = "value"  # a value is due (or, in an empty array, "]")
_KEY = "key"  # an object key is due (or, in an empty object, "}")
_COLON = "colon"
_AFTER = "after"  # "," or the container's end is due
_STRING = "string"  # inside a string kept in memory
_STREAM = "stream"  # inside the streamed filedata string
_LITERAL = "literal"  # inside a number, true, false or null
_DONE = "done"

_LITERAL_BYTES = frozenset(b"0123456789+-.eEtruefalsn")
_JSON_WHITESPACE = frozenset(b" \t\r\n")


class AnswerParser:
    """An incremental parser for one JSON object, with the string at one of ``streamed_paths``
    (v1's recording by default) streamed to a writer.

    ``feed`` it the body's chunks, then ``close`` it to get the object. The streamed string's
    place in the object holds the number of bytes written. ``stream_to`` may be None (begin,
    release): then every value is parsed like any other.
    """

    def __init__(
        self,
        *,
        stream_to: Base64Writer | None = None,
        streamed_paths: Collection[tuple[str, ...]] = STREAMED_PATHS,
    ) -> None:
        self._writer = stream_to
        self._streamed_paths = frozenset(
            tuple(key.lower() for key in path) for path in streamed_paths
        )
        self._state = _VALUE
        self._stack: list[_Frame] = []
        self._root: dict[str, Any] | None = None
        self._buffer = bytearray()  # the string or literal being read
        self._is_key = False
        self._carry = b""  # an escape cut in two by a chunk boundary, in the streamed string
        self._kept = 0  # bytes of the answer held in memory
        self.streamed = False

    # Feeding ----------------------------------------------------------------------------------

    def feed(self, chunk: bytes) -> None:
        position = 0
        size = len(chunk)
        while position < size:
            if self._state == _STREAM:
                position = self._feed_stream(chunk, position)
            elif self._state == _STRING:
                position = self._feed_string(chunk, position)
            else:
                position = self._feed_structure(chunk, position)

    def close(self) -> dict[str, Any]:
        if self._state == _LITERAL and not self._stack:
            self._end_literal()
        if self._state != _DONE or self._root is None:
            raise UnreadableAnswer("the answer ended before its JSON object did")
        return self._root

    # The streamed string ----------------------------------------------------------------------

    def _feed_stream(self, chunk: bytes, position: int) -> int:
        writer = self._writer
        if writer is None:  # only _streams_here enters this state, and only with a writer
            raise RuntimeError("no writer for the streamed string")
        end = chunk.find(b'"', position)
        piece = chunk[position : len(chunk) if end < 0 else end]
        if self._carry:
            piece, self._carry = self._carry + piece, b""
        if end >= 0 and piece.endswith(b"\\") and _odd_backslashes(piece):
            # An escaped quote: a character base64 cannot contain.
            raise CorruptFiledata("a quote inside the base64 data")
        if end < 0:
            cut = _INCOMPLETE_ESCAPE.search(piece)
            if cut is not None and _odd_backslashes(piece[: cut.start() + 1]):
                piece, self._carry = piece[: cut.start()], piece[cut.start() :]
        if b"\\" in piece:
            piece = _unescape_base64(piece)
        writer.feed(piece)
        if end < 0:
            return len(chunk)
        if self._carry:
            raise CorruptFiledata("an escape sequence cut short")
        writer.close()
        self.streamed = True
        self._store(writer.written)
        return end + 1

    # Strings and literals held in memory ------------------------------------------------------

    def _feed_string(self, chunk: bytes, position: int) -> int:
        size = len(chunk)
        while position < size:
            quote = chunk.find(b'"', position)
            if quote < 0:
                self._keep(chunk[position:])
                return size
            self._keep(chunk[position:quote])
            if _odd_backslashes(self._buffer):
                self._keep(b'"')  # an escaped quote: the string goes on
                position = quote + 1
                continue
            self._end_string()
            return quote + 1
        return size

    def _end_string(self) -> None:
        try:
            text = json.loads(b'"' + bytes(self._buffer) + b'"')
        except ValueError as exc:
            raise UnreadableAnswer(f"a string that is not valid JSON: {exc}") from None
        self._buffer.clear()
        if self._is_key:
            self._stack[-1].key = text
            self._state = _COLON
        else:
            self._store(text)

    def _end_literal(self) -> None:
        try:
            value = json.loads(bytes(self._buffer))
        except ValueError:
            raise UnreadableAnswer("a value that is not valid JSON") from None
        self._buffer.clear()
        self._store(value)

    def _keep(self, data: bytes) -> None:
        self._kept += len(data)
        if self._kept > MAX_ENVELOPE_BYTES:
            raise UnreadableAnswer("the answer holds more than its recording")
        self._buffer += data

    # Structure --------------------------------------------------------------------------------

    def _feed_structure(self, chunk: bytes, position: int) -> int:
        size = len(chunk)
        while position < size and self._state not in (_STRING, _STREAM):
            byte = chunk[position]
            state = self._state
            if state == _LITERAL:
                if byte in _LITERAL_BYTES:
                    self._keep(bytes((byte,)))
                    position += 1
                    continue
                self._end_literal()
                continue  # the same byte again, now after the literal
            position += 1
            if byte in _JSON_WHITESPACE:
                continue
            if state == _DONE:
                raise UnreadableAnswer("more data after the JSON object")
            if state == _VALUE:
                self._start_value(byte)
            elif state == _KEY:
                if byte == ord('"'):
                    self._is_key = True
                    self._state = _STRING
                elif byte == ord("}") and not self._stack[-1].value:
                    self._close_container()
                else:
                    raise UnreadableAnswer("an object key was expected")
            elif state == _COLON:
                if byte != ord(":"):
                    raise UnreadableAnswer("':' was expected")
                self._state = _VALUE
            elif state == _AFTER:
                self._after_value(byte)
        return position

    def _start_value(self, byte: int) -> None:
        frame = self._stack[-1] if self._stack else None
        if frame is None and byte != ord("{"):
            raise UnreadableAnswer("the answer is not a JSON object")
        if byte == ord('"'):
            self._is_key = False
            self._state = _STREAM if self._streams_here(frame) else _STRING
        elif byte == ord("{"):
            self._open({}, _child_path(frame))
            self._state = _KEY
        elif byte == ord("["):
            self._open([], _child_path(frame))
            self._state = _VALUE
        elif byte == ord("]") and isinstance(frame.value, list) and not frame.value:
            self._close_container()
        elif byte in _LITERAL_BYTES:
            self._state = _LITERAL
            self._keep(bytes((byte,)))
        else:
            raise UnreadableAnswer("a JSON value was expected")

    def _streams_here(self, frame: _Frame | None) -> bool:
        if self._writer is None or frame is None or not isinstance(frame.value, dict):
            return False
        if (*frame.path, (frame.key or "").lower()) not in self._streamed_paths:
            return False
        if self.streamed:
            raise CorruptFiledata("two recordings in one answer")
        return True

    def _after_value(self, byte: int) -> None:
        frame = self._stack[-1]
        if byte == ord(","):
            self._state = _KEY if isinstance(frame.value, dict) else _VALUE
        elif (byte == ord("}") and isinstance(frame.value, dict)) or (
            byte == ord("]") and isinstance(frame.value, list)
        ):
            self._close_container()
        else:
            raise UnreadableAnswer("',' or the end of a container was expected")

    def _open(self, value: dict[str, Any] | list[Any], path: tuple[str, ...]) -> None:
        if len(self._stack) >= 32:
            raise UnreadableAnswer("the answer is nested too deeply")
        self._stack.append(_Frame(value, path))

    def _close_container(self) -> None:
        frame = self._stack.pop()
        self._store(frame.value)

    def _store(self, value: Any) -> None:
        if not self._stack:
            self._root = value
            self._state = _DONE
            return
        frame = self._stack[-1]
        if isinstance(frame.value, dict):
            frame.value[frame.key or ""] = value
            frame.key = None
        else:
            frame.value.append(value)
        self._state = _AFTER


def _child_path(frame: _Frame | None) -> tuple[str, ...]:
    """The path of a container opened as a value in ``frame``: object keys lower-cased."""
    if frame is None:
        return ()
    if isinstance(frame.value, dict):
        return (*frame.path, (frame.key or "").lower())
    return (*frame.path, "[]")


def _odd_backslashes(data: bytes | bytearray) -> bool:
    """Whether ``data`` ends in an odd number of backslashes (so its next character is escaped)."""
    count = len(data) - len(data.rstrip(b"\\"))
    return count % 2 == 1


def _unescape_base64(piece: bytes) -> bytes:
    """Undo the escapes a JSON encoder may write in base64 text; refuse any other escape."""
    if b"\\\\" in piece:
        raise CorruptFiledata("a backslash inside the base64 data")
    for escaped, plain in _SIMPLE_ESCAPES:
        piece = piece.replace(escaped, plain)
    piece = _UNICODE_ESCAPE.sub(_unicode_escape, piece)
    if b"\\" in piece:
        raise CorruptFiledata("an escape sequence base64 cannot contain")
    return piece


def _unicode_escape(match: re.Match[bytes]) -> bytes:
    code = int(match.group(1), 16)
    if code >= 0x80:
        raise CorruptFiledata("a non-ASCII character inside the base64 data")
    return bytes((code,))
