"""What happens to calls, for the apps that build on them (webhooks), which calls does not import.

Sent inside the transaction that made the change, so that what a receiver writes (an outbox's
message) commits or rolls back with it."""

from django.dispatch import Signal

# A call was placed (`queued`) or its status changed; `call`: the call as saved, an ended one
# debited and its recording registered. Every change sends it but the one-statement shortcut's
# (calls.services.progress), which stands aside while a receiver wants changes (its guards).
call_status_changed = Signal()
