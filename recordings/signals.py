"""What happens to recordings, for the apps that build on them (webhooks)."""

from django.dispatch import Signal

# A recording was stored and can be played; `recording`, with its call. Sent inside the
# transaction that marked it ready.
recording_ready = Signal()
