"""`python -m bench.recordings`: memory of a recording download, the naive way against the portal's.

    BENCH_RECORDING_MB=58,115 python -m bench.recordings

For each size, a WAV file of that many megabytes is generated and its download answer
(`{"code", "description", "filedata": "<base64>"}`, 1.33 times the file) written to disk; a small
HTTP server on 127.0.0.1 serves it as the operator would. Each download then runs in a process of
its own, so that its reading is its own:

- naive: `requests.post(...)`, `response.json()`, `base64.b64decode(...)`, write the file;
- portal: `SeedV1Operator.recording_download` (incremental JSON, base64 decoded in slices) into a
  file on disk, exactly what the download task does before handing the file to storage.

Two readings each: the growth of the resident set (peak RSS during the download minus RSS before
it, the peak reset through /proc/self/clear_refs), and tracemalloc's peak of Python allocations
(a separate run: tracing slows the download). Every run checks the written file's SHA-256.
Target: the portal's growth stays under 16 MB whatever the size.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SIZES_MB = [float(s) for s in os.environ.get("BENCH_RECORDING_MB", "58,115").split(",")]
TARGET_MB = 16
MB = 1_000_000
_CHUNK = 1024 * 1024


# The answer files and the server ---------------------------------------------------------------


def answer_write(path: Path, audio_bytes: int) -> str:
    """Write a download answer carrying a WAV of ``audio_bytes``; return the WAV's SHA-256."""
    data_size = audio_bytes - 44
    header = (
        b"RIFF"
        + struct.pack("<I", 36 + data_size)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
        + b"data"
        + struct.pack("<I", data_size)
    )
    digest = hashlib.sha256()
    noise = os.urandom(_CHUNK)
    with path.open("wb") as out:
        out.write(b'{"code": "0000000", "description": "Success", "filedata": "')
        carry = header
        remaining = data_size
        while remaining:
            take = min(remaining, len(noise))
            remaining -= take
            data = carry + noise[:take]
            # Whole 3-byte groups only, so that the base64 pieces join without padding.
            cut = len(data) - len(data) % 3
            digest.update(data[:cut])
            out.write(base64.b64encode(data[:cut]))
            carry = data[cut:]
        digest.update(carry)
        out.write(base64.b64encode(carry))
        out.write(b'"}')
    return digest.hexdigest()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    answers: dict[str, Path] = {}

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.endswith("/token"):
            body = json.dumps({"access_token": "bench", "expires_in": 3600}).encode()
            self._send(body)
            return
        answer = self.answers[self.path.rsplit("/", 1)[-1]]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(answer.stat().st_size))
        self.end_headers()
        with answer.open("rb") as source:
            shutil.copyfileobj(source, self.wfile, 256 * 1024)

    def _send(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


# One download, in its own process --------------------------------------------------------------


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _download_naive(base_url: str, callidentifier: str, destination: Path) -> int:
    import requests

    token = requests.post(
        base_url + "/token", data={"grant_type": "client_credentials"}, timeout=30
    ).json()
    response = requests.post(
        f"{base_url}/clicktodial/v1/recordingdownload/{callidentifier}",
        json={"recordingId": "r1"},
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=300,
    )
    audio = base64.b64decode(response.json()["filedata"])
    destination.write_bytes(audio)
    return len(audio)


def _download_portal(base_url: str, callidentifier: str, destination: Path) -> int:
    from operator_api import OperatorConfig, SeedV1Operator, TokenStore

    class Cache(dict):
        def set(self, key, value, timeout=None):
            self[key] = value

        def add(self, key, value, timeout=None):
            return self.setdefault(key, value) is value

        def delete(self, key):
            self.pop(key, None)

    operator = SeedV1Operator(
        OperatorConfig(
            base_url=base_url + "/clicktodial/v1",
            token_url=base_url + "/token",
            client_id="bench",
            client_secret="bench",  # noqa: S106 -- the bench server's
        ),
        token_store=TokenStore(Cache()),
    )
    with destination.open("wb") as file:
        return operator.recording_download(
            callidentifier=callidentifier, recording_id="r1", destination=file
        )


def _download_task(base_url: str, callidentifier: str, destination: Path) -> int:
    """The download task's whole service: operator client, temporary file, format check, SHA-256,
    and the move into the recordings storage (local files under PORTAL_VAR_DIR here)."""
    import django

    django.setup()
    from django.conf import settings
    from django.utils import timezone

    from calls.models import Call
    from members.models import Member
    from recordings.models import Recording
    from recordings.services import recording_download

    settings.OPERATOR_API_BASE_URL = base_url + "/clicktodial/v1"
    settings.OPERATOR_TOKEN_URL = base_url + "/token"
    member, _ = Member.objects.get_or_create(phone_number="+8613912345673", name="Bench")
    call = Call.objects.create(
        member=member,
        sponsor="+861052680000",
        caller=member.phone_number,
        callee="+8613800000001",
        status=Call.Status.ENDED,
        ended_at=timezone.now(),
        callidentifier=callidentifier,
    )
    recording = Recording.objects.create(
        call=call, operator_result="Success", operator_recording_id="r1", recorded_at=timezone.now()
    )
    outcome = recording_download(recording_id=recording.pk)
    recording.refresh_from_db()
    if outcome.status != "ready":
        raise SystemExit(f"the task did not store the recording: {recording.last_error}")
    shutil.copyfile(recording.file.path, destination)  # for the SHA-256 check, after the reading
    Call.objects.filter(pk=call.pk).update(callidentifier=None)  # free it for the next run
    return recording.size_bytes or 0


def child(way: str, reading: str, base_url: str, callidentifier: str, out: str) -> None:
    download = {"naive": _download_naive, "portal": _download_portal, "task": _download_task}[way]
    destination = Path(out)
    download(base_url, "warmup", destination)  # imports, TLS context, connection code: paid now
    if reading == "tracemalloc":
        import tracemalloc

        tracemalloc.start()
    else:
        before_kb = _rss_kb("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to now
    started = time.perf_counter()
    size = download(base_url, callidentifier, destination)
    seconds = time.perf_counter() - started
    if reading == "tracemalloc":
        growth = tracemalloc.get_traced_memory()[1]
    else:
        growth = (_rss_kb("VmHWM") - before_kb) * 1024
    digest = hashlib.sha256()
    with destination.open("rb") as written:
        for block in iter(lambda: written.read(1 << 20), b""):
            digest.update(block)
    print(
        json.dumps(
            {
                "bytes": size,
                "growth": growth,
                "seconds": seconds,
                "sha256": digest.hexdigest(),
            }
        )
    )


# The benchmark -----------------------------------------------------------------------------------


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-recordings-"))
    # The task's runs use a database and recordings folder of their own.
    os.environ["PORTAL_VAR_DIR"] = str(workdir / "var")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clicktodial_portal.settings")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        warmup = workdir / "warmup.json"
        answer_write(warmup, 100_000)
        _Handler.answers["warmup"] = warmup
        rows = []
        for size_mb in SIZES_MB:
            name = f"rec{size_mb:g}"
            answer = workdir / f"{name}.json"
            started = time.perf_counter()
            expected = answer_write(answer, int(size_mb * MB))
            _Handler.answers[name] = answer
            print(
                f"{size_mb:g} MB recording: {answer.stat().st_size / MB:.0f} MB answer written "
                f"in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
            for way in ("naive", "portal", "task"):
                result: dict[str, float] = {}
                for reading in ("rss", "tracemalloc"):
                    output = subprocess.run(  # noqa: S603 -- this interpreter, this module
                        [
                            sys.executable,
                            "-m",
                            "bench.recordings",
                            "child",
                            way,
                            reading,
                            base_url,
                            name,
                            str(workdir / f"{name}-{way}.out"),
                        ],
                        check=True,
                        capture_output=True,
                        text=True,
                    )
                    run = json.loads(output.stdout.strip().splitlines()[-1])
                    if run["sha256"] != expected or run["bytes"] != int(size_mb * MB):
                        raise SystemExit(f"{way}: the written file differs from the recording")
                    result[reading] = run["growth"] / MB
                    result.setdefault("seconds", run["seconds"])
                    (workdir / f"{name}-{way}.out").unlink()
                rows.append((size_mb, way, result))
                print(
                    f"  {way:6}  RSS growth {result['rss']:7.1f} MB   "
                    f"tracemalloc peak {result['tracemalloc']:7.1f} MB   "
                    f"{result['seconds']:5.1f} s",
                    flush=True,
                )
            answer.unlink()
        portal_worst = max(r["rss"] for _, way, r in rows if way != "naive")
        verdict = "met" if portal_worst < TARGET_MB else "MISSED"
        print(f"target: portal growth under {TARGET_MB} MB for any size: {verdict}")
        print(json.dumps([{"mb": mb, "way": way, **r} for mb, way, r in rows]))
        if portal_worst >= TARGET_MB:
            raise SystemExit(1)
    finally:
        server.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        child(*sys.argv[2:])
    else:
        main()
