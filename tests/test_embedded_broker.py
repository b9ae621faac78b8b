"""The embedded broker writes each message atomically, so a worker never reads half of one."""

from queue import Empty

import pytest
from kombu import Connection

from clicktodial_portal import broker


@pytest.fixture
def channel(tmp_path):
    options = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path)}
    with Connection("filesystem://", transport_options=options) as connection:
        yield connection.default_channel


def test_the_embedded_broker_uses_the_atomic_transport(channel):
    assert isinstance(channel, broker.Channel)


def test_a_message_being_written_is_invisible_to_consumers(channel, monkeypatch):
    seen_while_writing = []
    rename = broker.os.replace

    def consume_then_rename(source, target):
        try:
            seen_while_writing.append(channel._get("celery"))
        except Empty:
            seen_while_writing.append(None)
        rename(source, target)

    monkeypatch.setattr(broker.os, "replace", consume_then_rename)

    channel._put("celery", {"task": "recording_download_task", "args": [1]})

    assert seen_while_writing == [None]
    assert channel._get("celery") == {"task": "recording_download_task", "args": [1]}
