"""REST API for member numbers (admins only)."""

from rest_framework import exceptions, permissions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from members import services
from members.models import Member


class MemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = Member
        fields = ["id", "name", "phone_number", "user", "status", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        # Uniqueness is checked on the normalised number, in members.services.
        extra_kwargs = {"phone_number": {"validators": []}}


class MemberViewSet(viewsets.ModelViewSet):
    queryset = Member.objects.select_related("user")
    serializer_class = MemberSerializer
    permission_classes = [permissions.IsAdminUser]
    filterset_fields = ["status"]

    def perform_create(self, serializer: MemberSerializer) -> None:
        try:
            serializer.instance = services.member_create(**serializer.validated_data)
        except services.MemberInvalid as exc:
            raise exceptions.ValidationError({exc.field: [exc.message]}) from exc

    def perform_update(self, serializer: MemberSerializer) -> None:
        try:
            serializer.instance = services.member_update(
                member=serializer.instance, **serializer.validated_data
            )
        except services.MemberInvalid as exc:
            raise exceptions.ValidationError({exc.field: [exc.message]}) from exc

    def destroy(self, request: Request, *args: object, **kwargs: object) -> Response:
        member = services.member_remove(member=self.get_object())
        return Response(MemberSerializer(member).data, status=status.HTTP_200_OK)
