"""The API's token, also as a standard bearer token.

DRF's TokenAuthentication reads `Authorization: Token <key>`, a scheme of its own that OpenAPI can
only describe in words, so a client generated from the schema does not know to send it. The same
key is also accepted as `Authorization: Bearer <key>` (RFC 6750's scheme), which the schema
declares as OpenAPI's `http` `bearer` and which generated clients send by default."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import TokenAuthentication


class BearerTokenAuthentication(TokenAuthentication):
    keyword = "Bearer"


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"
    # Before drf-spectacular's own extension for TokenAuthentication, which matches subclasses.
    priority = 1

    def get_security_definition(self, auto_schema: object) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The user's API token (also accepted as `Authorization: Token <key>`).",
        }
