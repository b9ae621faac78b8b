"""The embedded broker: kombu's file-system transport, with each message written atomically.

kombu creates a message file and then writes it, and a worker polling the folder can move and
read the file in between: it gets an empty message, and its consumer stops for good
("Unrecoverable error: JSONDecodeError"). Here a message is written under a name no consumer
looks at, then renamed into place, which is atomic within one file system.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

# The name kombu resolves "filesystem://" to once settings register it.
TRANSPORT = "clicktodial_portal.broker:Transport"


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        """Put ``payload`` onto ``queue``: written as <name>.partial, then renamed to <name>."""
        # The same name as kombu's: milliseconds first, so that consumers take messages in order.
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + ".partial"  # consumers take only names ending in ".<queue>.msg"
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
