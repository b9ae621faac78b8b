"""REST API for calls and contacts: thin views over calls.services.* and calls.selectors.

The views let the services' refusals (calls.exceptions) propagate: the project's exception handler
answers them (clicktodial_portal/api_errors.py).
"""

from collections.abc import Callable

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from calls import contact_selectors, selectors
from calls.models import Call, Contact
from calls.serializers import CallOutputSerializer, CallStartInputSerializer, ContactSerializer
from calls.services.contacts import contact_create, contact_delete, contact_update
from calls.services.dialing import call_hang_up
from calls.services.placing import call_start
from clicktodial_portal import bounds
from members.models import Member


# get_queryset(): the rows of `model` that `visible_to(user)` lets the requester see. The schema is
# built with no user (drf-spectacular marks the view `swagger_fake_view`): it gets an empty queryset
# of the model, which is all it reads. (A comment, not a docstring: drf-spectacular would publish a
# docstring as the description of every operation of the views that use it.)
class VisibleToRequester:
    model: type[Model]
    visible_to: Callable[[AbstractBaseUser], QuerySet]

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        return self.visible_to(self.request.user)


class _VisibleCalls(VisibleToRequester):
    model = Call
    visible_to = staticmethod(selectors.calls_visible_to)


class CallListCreateView(_VisibleCalls, generics.ListAPIView):
    serializer_class = CallOutputSerializer
    filterset_fields = ["status", "member", "over_limit"]

    @extend_schema(parameters=[OpenApiParameter("member", bounds.ID_PARAMETER_SCHEMA)])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=CallStartInputSerializer,
        responses={
            202: CallOutputSerializer,
            429: OpenApiResponse(
                description=gettext_lazy("Too many calls in a short time: try later.")
            ),
            503: OpenApiResponse(
                description=gettext_lazy(
                    "The task broker could not take the call: it failed, nothing was dialled."
                )
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = CallStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = contact = None
        if "member" in data.validated_data:
            member = (
                Member.objects.select_related("department__business_number")
                .filter(pk=data.validated_data["member"])
                .first()
            )
            if member is None:
                # Only admins learn whether an id exists; others get the answer a foreign one gets.
                message = (
                    _("No member has this id.")
                    if request.user.is_staff
                    else _("You can only place calls from your own number.")
                )
                raise exceptions.ValidationError({"member": [message]})
        if "contact" in data.validated_data:
            contact = (
                contact_selectors.contacts_of(request.user)
                .filter(pk=data.validated_data["contact"])
                .first()
            )
            if contact is None:
                raise exceptions.ValidationError(
                    {"contact": [_("You have no contact with this id.")]}
                )
        call = call_start(
            user=request.user,
            callee=data.validated_data.get("callee"),
            member=member,
            contact=contact,
        )
        return Response(CallOutputSerializer(call).data, status=status.HTTP_202_ACCEPTED)


class CallDetailView(_VisibleCalls, generics.RetrieveAPIView):
    serializer_class = CallOutputSerializer


class CallHangupView(_VisibleCalls, generics.GenericAPIView):
    serializer_class = CallOutputSerializer

    @extend_schema(
        request=None,
        responses={
            202: CallOutputSerializer,
            409: OpenApiResponse(description=gettext_lazy("The call has already ended.")),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        call: Call = get_object_or_404(self.get_queryset(), pk=pk)
        call = call_hang_up(call=call)
        return Response(CallOutputSerializer(call).data, status=status.HTTP_202_ACCEPTED)


class ContactViewSet(VisibleToRequester, viewsets.ModelViewSet):
    """Own and shared contacts. Someone else's private contact is 404; changing a shared one
    without being an admin is 403."""

    lookup_value_converter = "id"  # clicktodial_portal/bounds.py
    serializer_class = ContactSerializer
    search_fields = ["name", "company", "phone_number"]
    model = Contact
    visible_to = staticmethod(contact_selectors.contacts_of)

    def perform_create(self, serializer: ContactSerializer) -> None:
        fields = dict(serializer.validated_data)
        shared = fields.pop("is_shared", False)
        serializer.instance = contact_create(owner=self.request.user, shared=shared, **fields)

    def perform_update(self, serializer: ContactSerializer) -> None:
        fields = dict(serializer.validated_data)
        # Whether a contact is shared is fixed when it is created.
        fields.pop("is_shared", None)
        serializer.instance = contact_update(
            user=self.request.user, contact=serializer.instance, **fields
        )

    def perform_destroy(self, instance: Contact) -> None:
        contact_delete(user=self.request.user, contact=instance)
