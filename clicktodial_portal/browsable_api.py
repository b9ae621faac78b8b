"""DRF's browsable API (an API URL opened in a browser) under the Content-Security-Policy.

Its templates position things with style attributes and put the code highlighting in a <style>,
which the portal's policy (style-src 'self') blocks: the page still works, drawn askew. Rather
than copy and rewrite DRF's templates, its HTML answers alone allow inline style; script stays
as strict as everywhere (the page has no inline script: its one <script> is JSON data).
"""

from __future__ import annotations

from typing import Any

from rest_framework.renderers import BrowsableAPIRenderer


class PortalBrowsableAPIRenderer(BrowsableAPIRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> Any:
        response = (renderer_context or {}).get("response")
        if response is not None:
            # What django-csp's @csp_update decorator sets: added to the policy's directives.
            response._csp_update = {"style-src": ["'unsafe-inline'"]}
        return super().render(data, accepted_media_type, renderer_context)
