"""The app factory: settings, services, blueprints, error handlers and the console, wired once."""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING, Any

from flask import Flask, send_from_directory
from flask_smorest import Api
from werkzeug.middleware.proxy_fix import ProxyFix

from api.config import Settings
from api.http.jsonio import OrjsonProvider

if TYPE_CHECKING:
    from api.container import Services


class TargetingApi(Api):
    """flask-smorest with this service's error shape (``api.http.errors``)."""

    def __init__(self, app: Flask) -> None:
        from api.contract.plugin import ContractPlugin, component_reference
        from api.http.errors import ErrorSchema

        # What /openapi.json documents for every error response (flask-smorest's own shape is another).
        self.ERROR_SCHEMA = ErrorSchema
        super().__init__(app, spec_kwargs={"extra_plugins": [ContractPlugin(app)]})
        self.ma_plugin.converter.add_attribute_function(component_reference)

    def handle_http_exception(self, error):
        from api.http.errors import http_exception_body

        return http_exception_body(error)


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    from api import console, health, logging
    from api.admin import views as admin
    from api.container import Services
    from api.evaluations import flights, manifests
    from api.evaluations import views as evaluations
    from api.hits import views as hits
    from api.http import errors, ratelimit
    from api.journeys import views as journeys
    from api.lists import views as lists
    from api.rules import views as rules
    from api.watchlist import views as watchlist
    from api.worklist import views as worklist

    settings = settings or (services.settings if services else Settings.from_env())
    logging.configure(settings.log_level)
    app = Flask(__name__, instance_path=settings.instance_path)
    app.json = OrjsonProvider(app)
    if settings.trusted_proxies:
        # Only as many forwarded hops as there are proxies of ours: a client cannot choose its address.
        proxies = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        API_TITLE="Border targeting service",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/docs-assets/",
        API_SPEC_OPTIONS={
            "components": {"securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}},
            "security": [{"ApiKey": []}],
            "info": {"description": "One passenger record, evaluated once against every agency's rules."},
        },
    )
    api = TargetingApi(app)
    for blueprint in (
        evaluations.blp,
        manifests.blp,
        rules.blp,
        lists.blp,
        flights.blp,
        hits.blp,
        journeys.blp,
        watchlist.blp,
        worklist.blp,
        admin.blp,
        health.blp,
    ):
        api.register_blueprint(blueprint)
    errors.register(app)
    ratelimit.register(app, settings)
    _serve_docs_assets(app)
    console.register(app, settings)

    @app.after_request
    def _served_by(response: Any) -> Any:
        # Which process answered, with which ruleset: for operators tracing a rollout.
        response.headers["X-Served-By"] = f"{socket.gethostname()}:{os.getpid()}"
        response.headers["X-Ruleset-Version"] = app.extensions["targeting"].rulesets.current.version
        return response

    services = services or Services.build(settings)
    app.extensions["targeting"] = services
    services.rulesets.refresh()
    services.watchlists.refresh()
    services.decisions.recover()  # decisions an earlier process answered but could not write
    if not settings.testing:
        services.rulesets.start()
        services.watchlists.start()
    return app


def _serve_docs_assets(app: Flask) -> None:
    # Swagger UI comes from the swagger-ui-bundle package, so the docs page needs no network.
    import swagger_ui_bundle

    @app.route("/docs-assets/<path:filename>")
    def docs_assets(filename: str) -> Any:
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)

    docs_assets.policy = None  # type: ignore[attr-defined]
