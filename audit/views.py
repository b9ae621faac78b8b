"""The audit log's page (admins): every entry, filtered by object, person, action and date, and
the same entries as CSV."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import labels, selectors
from audit.models import AuditLogEntry
from audit.selectors import AuditFilters
from clicktodial_portal import exports

PAGE_SIZE = 50
EXPORT_CHUNK = 2000


def export_header() -> list[str]:
    """The export's header in the reader's language; the action and the type are each in words
    and, beside them, as their code, the same in every language (for programs)."""
    return [
        _("When"),
        _("Who"),
        _("Action"),
        _("Action code"),
        _("Type"),
        _("Type code"),
        _("Object id"),
        _("Object"),
        _("Changes"),
    ]


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Admins only: others get 403, anonymous visitors the login page."""

    @wraps(view)
    @login_required
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied(_("The audit log is for administrators."))
        return view(request, *args, **kwargs)

    return guarded


@staff_required
def audit_log(request: HttpRequest) -> HttpResponse:
    filters = AuditFilters.from_query(request.GET)
    page = Paginator(selectors.audit_entries(filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "audit/audit_log.html",
        {
            "page": page,
            "entries": [
                (
                    entry,
                    selectors.audit_changes(entry),
                    selectors.object_url_name(entry.object_type),
                )
                for entry in page
            ],
            "filters": filters,
            "types": [(name, audited.label) for name, audited in labels.OBJECT_TYPES.items()],
            "actors": selectors.audit_actors(),
            "system": selectors.SYSTEM,
            "actions": AuditLogEntry.Action.choices,
        },
    )


def _export_rows(filters: AuditFilters) -> Iterator[list[object]]:
    # Streamed after the view has returned: exports.csv_response says each row's words in the
    # reader's language.
    entries = selectors.audit_entries(filters=filters)
    for entry in entries.iterator(chunk_size=EXPORT_CHUNK):
        yield [
            entry.at,
            selectors.actor_display(entry),
            entry.get_action_display(),
            entry.action,
            selectors.object_type_display(entry.object_type),
            entry.object_type,
            entry.object_id,
            entry.object_repr,
            "; ".join(str(change) for change in selectors.audit_changes(entry)),
        ]


@staff_required
def audit_log_csv(request: HttpRequest) -> HttpResponse:
    """The entries the page shows with the same filters, every page of them, as CSV."""
    filters = AuditFilters.from_query(request.GET)
    return exports.csv_response(
        filename=f"audit-log-{timezone.localdate():%Y-%m-%d}.csv",
        header=export_header(),
        rows=_export_rows(filters),
    )
