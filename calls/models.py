"""Contacts, calls (with how each went, from a list of outcomes) and the log of every notification
the operator sent about them."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Contact(models.Model):
    """Someone an employee calls: private to the user who keeps it, or, with no owner, a shared
    company contact that everyone sees and calls and only admins change."""

    # None means shared with everyone.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="contacts",
        null=True,
        blank=True,
    )
    name = models.CharField(max_length=200)
    company = models.CharField(max_length=200, blank=True)
    # E.164, normalised by calls.services.contacts before it is saved.
    phone_number = models.CharField(max_length=20)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "phone_number"], name="calls_contact_unique_number_per_owner"
            ),
            # NULL owners are never equal in the constraint above, so shared ones need their own.
            models.UniqueConstraint(
                fields=["phone_number"],
                condition=models.Q(owner__isnull=True),
                name="calls_contact_unique_shared_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.phone_number})"

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None


class CallOutcome(models.Model):
    """How a call went for the employee who placed it ("Reached", "Voicemail", "Call back"),
    chosen after the call from a list the admins keep. One is never deleted once used, only
    deactivated: the calls that have it keep it."""

    # A stable name for programs (exports, the API), unlike the words people read and rename.
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    name_zh_hans = models.CharField(max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("call outcome")
        verbose_name_plural = _("call outcomes")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="calls_calloutcome_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """Its name in the page's language: the Chinese one when there is one."""
        language = (get_language() or settings.LANGUAGE_CODE).lower()
        return self.name_zh_hans if language.startswith("zh") and self.name_zh_hans else self.name


# A call's statuses in sets, each defined here once: the model's indexes and constraints below need
# them while the class is built (Call.LIVE_STATUSES and the others are the same sets as Statuses).
# How a call moves between them is calls.lifecycle's.
#
# The operator may still report on these: the dashboard's partial index holds them, and an
# identifier is unique among them only. `unknown` is not here: nothing will report on it any more.
LIVE_STATUSES = ("queued", "dialing", "calling_caller", "calling_callee", "connected")
# Over: nothing changes these any more.
FINAL_STATUSES = ("ended", "failed")


class Call(models.Model):
    """One click-to-call attempt. Its status moves only forward, through calls.lifecycle."""

    class Status(models.TextChoices):
        # Translators: a call's status.
        QUEUED = "queued", _("Queued")
        DIALING = "dialing", _("Dialing")
        CALLING_CALLER = "calling_caller", _("Calling you")
        CALLING_CALLEE = "calling_callee", _("Calling the contact")
        CONNECTED = "connected", _("Connected")
        ENDED = "ended", _("Ended")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Outcome unknown")

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="calls")
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls"
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="placed_calls",
    )
    # The numbers as they were when the call was placed (E.164): members and contacts change.
    sponsor = models.CharField(max_length=20)
    caller = models.CharField(max_length=20)
    callee = models.CharField(max_length=20)
    callee_name = models.CharField(max_length=200, blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    # The operator's word for how the call ended (HangUp, CalleeBusy, ...) or why it failed.
    reason = models.CharField(max_length=40, blank=True)
    # The operator's code: v1's are 7 digits, CAMARA's words (RECORDING_NOT_SUPPORTED).
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.CharField(max_length=500, blank=True)

    # The operator's identifier. It hands one out again once its call has ended, so it is
    # unique only among live calls (a constraint below); calls.services.notifications decides
    # which call a notification for a reused one is about.
    callidentifier = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001 - NULL: none yet, never equal to another
    begin_attempts = models.PositiveSmallIntegerField(default=0)
    hangup_requested_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    begun_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    # Placed although the pool or a cap was used up, because the admins chose "allow and flag".
    over_limit = models.BooleanField(default=False)
    limit_note = models.CharField(max_length=300, blank=True)

    recording_result = models.CharField(max_length=20, blank=True)
    recording_id = models.CharField(max_length=100, blank=True)

    # After the call, its caller's (or an admin's) word on how it went (calls.services.wrapup).
    outcome = models.ForeignKey(
        CallOutcome, on_delete=models.PROTECT, null=True, blank=True, related_name="calls"
    )
    notes = models.TextField(blank=True)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-created_at", "-id"]
        indexes = [
            # "My calls" and the calls API list a member's calls newest first.
            models.Index(fields=["member", "-created_at"], name="calls_call_member_created_idx"),
            # The calls history pages through every call newest first by keyset on (created_at,
            # id) (calls.history.call_history_page): a seek on this index, never a sort.
            models.Index(fields=["created_at", "id"], name="calls_call_created_id_idx"),
            # The dashboard polls the calls still in progress every second: a partial index holds
            # only those few, so the poll never walks years of ended calls.
            models.Index(
                fields=["created_at", "id"],
                condition=Q(status__in=LIVE_STATUSES),
                name="calls_call_live_idx",
            ),
            # Every notification finds its call (or calls, for a reused identifier) by this.
            models.Index(fields=["callidentifier"], name="calls_call_identifier_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["ended"]) | Q(ended_at__isnull=False),
                name="calls_call_ended_has_end_time",
            ),
            models.UniqueConstraint(
                fields=["callidentifier"],
                condition=Q(status__in=LIVE_STATUSES),
                name="calls_call_live_identifier_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Call {self.pk} {self.caller} → {self.callee} ({self.status})"

    LIVE_STATUSES = frozenset(map(Status, LIVE_STATUSES))
    FINAL_STATUSES = frozenset(map(Status, FINAL_STATUSES))
    # Live, but not yet talking: the silent-call sweep gives these CALL_RINGING_TIMEOUT.
    RINGING_STATUSES = LIVE_STATUSES - {Status.CONNECTED}
    # A person may hang these up: `unknown` too, as the operator may still have it live (with its
    # identifier it can be released).
    HANG_UP_STATUSES = LIVE_STATUSES | {Status.UNKNOWN}
    # Went wrong, or no one knows how it went: listed with the failures.
    FAILURE_STATUSES = frozenset({Status.FAILED, Status.UNKNOWN})

    @property
    def billed_minutes(self) -> Decimal | None:
        """From the usage ledger, which debits each ended call once; None until then."""
        try:
            return self.usage.billed_minutes
        except ObjectDoesNotExist:
            return None

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES

    @property
    def can_hang_up(self) -> bool:
        return self.status in self.HANG_UP_STATUSES


class CallEvent(models.Model):
    """A notification exactly as the operator sent it, kept before anything is decided about it.

    The body is stored as received text, so that a body we cannot parse, or one for a call we do
    not know, is still on record with what we answered.
    """

    class Outcome(models.TextChoices):
        # Translators: what became of a status notification the operator sent about a call.
        RECEIVED = "received", _("Received")
        APPLIED = "applied", _("Applied")
        DUPLICATE = "duplicate", _("Duplicate (changed nothing)")
        STALE = "stale", _("Late or out of order (changed nothing)")
        INVALID = "invalid", _("Invalid body")
        MISMATCH = "mismatch", _("Caller or callee did not match the call")
        UNKNOWN_CALL = "unknown_call", _("Unknown call identifier")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, null=True, related_name="events")
    callidentifier = models.CharField(max_length=200)
    received_at = models.DateTimeField(auto_now_add=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    body = models.TextField()
    # Parsed fields, for the timeline and for telling duplicates apart.
    status = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=40, blank=True)
    operator_timestamp = models.DateTimeField(null=True, blank=True)
    # CAMARA's events have a source and an id each (CloudEvents), the same when one is sent
    # again: with the call's lock held, a pair seen before is a duplicate. v1's have neither.
    event_source = models.CharField(max_length=300, blank=True)
    event_id = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.RECEIVED)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("call event")
        verbose_name_plural = _("call events")
        ordering = ["received_at", "id"]
        indexes = [
            # A begin answer that arrives after its first notification adopts the events that
            # came for its identifier before the call knew it.
            models.Index(fields=["callidentifier"], name="calls_event_identifier_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.callidentifier} {self.status or '?'} ({self.outcome})"
