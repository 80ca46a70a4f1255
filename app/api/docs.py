"""The API's OpenAPI spec and Swagger UI, served by the app itself (no CDN, the page's nonce CSP).

FAB's own OpenApi and SwaggerView stay off (FAB_API_SWAGGER_UI = False): its page draws an FAB-bundled Swagger UI
of unknown version without its licence, and asks validator.swagger.io about the spec. These classes serve the
same spec at the same addresses (/api/v1/_openapi, /swagger/v1) with the vendored swagger-ui-dist (make
swagger-ui). Who may read them: every role of staff (their calls are in it; the spec holds no data).
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import BaseApi
from flask_appbuilder.api.manager import OpenApi
from flask_appbuilder.security.decorators import has_access, permission_name
from werkzeug.wrappers import Response

from app.api.base import JsonApi, json_error, staff
from app.api.schemas import COMPONENTS
from app.models import Staff


class OpenApiSpec(JsonApi):
    """GET /api/v1/_openapi: the spec of every v1 resource (FAB's generator), with our schemas as components."""

    route_base = "/api"
    openapi_spec_component_schemas = COMPONENTS

    @expose("/<version>/_openapi", methods=["GET"])
    @permission_name("get")
    @staff
    def get(self, user: Staff, version: str) -> Response:
        if version != self.version:
            return json_error(404)
        api_spec = OpenApi._create_api_spec(version)
        for view in current_app.appbuilder.baseviews:
            if isinstance(view, BaseApi) and view.version == version:
                view.add_api_spec(api_spec)
        return self.response(200, **api_spec.to_dict())

    def add_api_spec(self, api_spec: Any) -> None:
        """The spec endpoint is not itself part of the spec, but its schemas are the spec's components."""
        self.add_apispec_components(api_spec)


class ApiDocsView(BaseView):
    """GET /swagger/v1: Swagger UI on the spec; "Try it out" runs as the signed-in user (writes send the
    page's CSRF token) or, after "Authorize", with a token from /api/v1/security/login."""

    route_base = "/swagger"
    default_view = "show"

    @expose("/<version>")
    @has_access
    def show(self, version: str) -> Any:
        if version != "v1":
            abort(404)
        return self.render_template(
            "api/swagger.html",
            openapi_uri=f"/api/{version}/_openapi",
            title=current_app.config["APP_NAME"],
        )
