"""Puente's web layer: the web chat and Rasa's NLG (content) endpoint."""

from __future__ import annotations

import secrets
from typing import Any, Mapping, Optional

import redis
from flask import Flask, Response, jsonify, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from webhook import cli, console, logs, nlg, simulator, sms, sms_channel, webchat
from webhook import config as settings
from webhook.content import DEFAULT_LANGUAGE
from webhook.services import EXTENSION, Services

MAX_REQUEST_BYTES = 64 * 1024

SECURITY_HEADERS = {
    # Everything comes from this server: no CDN, font or tracker can be loaded or leak a visit.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # Nothing Puente serves should stay in a shared phone's cache or come back with the Back button.
    "Cache-Control": "no-store",
}


def redis_answers(connection: redis.Redis) -> bool:
    """True when Redis answers a PING within the connection's timeout."""
    try:
        return bool(connection.ping())
    except redis.RedisError:
        return False


def too_deeply_nested(error: RecursionError) -> Any:
    """JSON nested thousands deep (the parser recurses): a bad request, not a crash."""
    return webchat.error("bad_request", "error_bad_request", 400, DEFAULT_LANGUAGE)


def create_app(config: Optional[Mapping[str, Any]] = None) -> Flask:
    """Build the web app from the environment's settings, overridden by `config`."""
    app = Flask(__name__)
    app.config.update(settings.from_environment())
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    if config:
        app.config.update(config)
    if not app.config["SECRET_KEY"]:
        # Console sessions then last as long as this process; several workers need one key.
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    logs.configure()
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        # Behind a load balancer, the client's address (the sign-in throttle counts by it) and
        # scheme come from the headers the trusted proxies set; never from anyone else's.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    app.extensions[EXTENSION] = Services.from_config(app.config)
    app.register_error_handler(RecursionError, too_deeply_nested)
    app.extensions[sms_channel.EXTENSION] = sms_channel.SmsChannel.from_config(
        app.config, app.extensions[EXTENSION]
    )
    csrf = CSRFProtect(app)
    app.register_blueprint(webchat.bp)
    app.register_blueprint(nlg.bp)
    sms_bp = sms.blueprint(app.config["SMS_PATH"], app.config["SMS_STATUS_PATH"])
    app.register_blueprint(sms_bp)
    # Console forms carry CSRF tokens; these take JSON or Twilio-signed posts instead.
    for blueprint in (webchat.bp, nlg.bp, sms_bp, simulator.bp):
        csrf.exempt(blueprint)
    console.init_app(app)
    app.cli.add_command(cli.accounts)
    app.cli.add_command(cli.data)
    app.cli.add_command(cli.sweep)
    if app.config.get("SMS_SIMULATOR"):
        if app.config["TWILIO_ACCOUNT_SID"]:
            # The simulator signs whatever it is given: with a real account's token that would
            # let anyone forge texts. A deployment with Twilio credentials never gets it.
            raise RuntimeError(
                "PUENTE_SMS_SIMULATOR is for development, not with Twilio credentials"
            )
        app.register_blueprint(simulator.bp)

    @app.after_request
    def secure_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # A clear, short answer; never a traceback or an HTML page to a JSON client.
        if request.path.startswith("/api/") or request.is_json:
            return jsonify({"error": error.name.lower().replace(" ", "_")}), error.code
        return error

    @app.get("/healthz")
    def health():
        """Alive: the process answers HTTP."""
        return jsonify({"status": "ok"})

    @app.get("/readyz")
    def ready():
        """Ready: Redis answers and the content is loaded (Rasa down still gets an answer)."""
        svc = app.extensions[EXTENSION]
        checks = {"redis": redis_answers(svc.redis), "content": bool(svc.languages)}
        status = 200 if all(checks.values()) else 503
        return jsonify({"ready": status == 200, **checks}), status

    @app.get("/metrics")
    def metrics():
        """Prometheus metrics (README: "Operations"); counts only."""
        body, content_type = app.extensions[EXTENSION].metrics.exposition()
        return Response(body, content_type=content_type)

    return app
