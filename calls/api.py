"""REST API for calls and contacts: thin views over calls.services and calls.selectors."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from calls import selectors, services
from calls.models import Call, Contact
from calls.serializers import CallOutputSerializer, CallStartInputSerializer, ContactSerializer
from members.models import Member


class ServiceUnavailable(exceptions.APIException):
    status_code = 503
    default_code = "service_unavailable"


def _refusal(exc: services.CallNotAllowed) -> exceptions.ValidationError:
    if exc.field:
        return exceptions.ValidationError({exc.field: [exc.message]})
    return exceptions.ValidationError({"detail": exc.message})


class CallListCreateView(generics.ListAPIView):
    serializer_class = CallOutputSerializer
    filterset_fields = ["status", "member", "over_limit"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is built with no user
            return Call.objects.none()
        return selectors.calls_visible_to(self.request.user)

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
                selectors.contacts_of(request.user)
                .filter(pk=data.validated_data["contact"])
                .first()
            )
            if contact is None:
                raise exceptions.ValidationError(
                    {"contact": [_("You have no contact with this id.")]}
                )
        try:
            call = services.call_start(
                user=request.user,
                callee=data.validated_data.get("callee"),
                member=member,
                contact=contact,
            )
        except services.CallNotQueued as exc:
            raise ServiceUnavailable(detail=exc.message) from exc
        except services.CallRateLimited as exc:
            raise exceptions.Throttled(wait=exc.retry_after, detail=exc.message) from exc
        except services.CallNotAllowed as exc:
            raise _refusal(exc) from exc
        return Response(CallOutputSerializer(call).data, status=status.HTTP_202_ACCEPTED)


class CallDetailView(generics.RetrieveAPIView):
    serializer_class = CallOutputSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is built with no user
            return Call.objects.none()
        return selectors.calls_visible_to(self.request.user)


class CallHangupView(generics.GenericAPIView):
    serializer_class = CallOutputSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is built with no user
            return Call.objects.none()
        return selectors.calls_visible_to(self.request.user)

    @extend_schema(
        request=None,
        responses={
            202: CallOutputSerializer,
            409: OpenApiResponse(description=gettext_lazy("The call has already ended.")),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        call: Call = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            call = services.call_hang_up(call=call)
        except services.CallNotAllowed as exc:
            return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
        return Response(CallOutputSerializer(call).data, status=status.HTTP_202_ACCEPTED)


class ContactViewSet(viewsets.ModelViewSet):
    """Own and shared contacts. Someone else's private contact is 404; changing a shared one
    without being an admin is 403."""

    serializer_class = ContactSerializer
    search_fields = ["name", "company", "phone_number"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Contact.objects.none()
        return selectors.contacts_of(self.request.user)

    def perform_create(self, serializer: ContactSerializer) -> None:
        fields = dict(serializer.validated_data)
        shared = fields.pop("is_shared", False)
        try:
            serializer.instance = services.contact_create(
                owner=self.request.user, shared=shared, **fields
            )
        except services.ContactForbidden as exc:
            raise exceptions.PermissionDenied(exc.message) from exc
        except services.CallNotAllowed as exc:
            raise _refusal(exc) from exc

    def perform_update(self, serializer: ContactSerializer) -> None:
        fields = dict(serializer.validated_data)
        # Whether a contact is shared is fixed when it is created.
        fields.pop("is_shared", None)
        try:
            serializer.instance = services.contact_update(
                user=self.request.user, contact=serializer.instance, **fields
            )
        except services.ContactForbidden as exc:
            raise exceptions.PermissionDenied(exc.message) from exc
        except services.CallNotAllowed as exc:
            raise _refusal(exc) from exc

    def perform_destroy(self, instance: Contact) -> None:
        try:
            services.contact_delete(user=self.request.user, contact=instance)
        except services.ContactForbidden as exc:
            raise exceptions.PermissionDenied(exc.message) from exc
