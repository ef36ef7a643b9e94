"""Twilio's request signature: every webhook request must carry a valid X-Twilio-Signature."""

from __future__ import annotations

from typing import Mapping

from flask import Request
from twilio.request_validator import RequestValidator

HEADER = "X-Twilio-Signature"


def public_url(request: Request, public_base: str) -> str:
    """The exact URL Twilio called: the configured public base (proxy, tunnel) or this host."""
    base = public_base or request.host_url.rstrip("/")
    query = request.query_string.decode("latin-1")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def is_signed(request: Request, auth_token: str, public_base: str) -> bool:
    """True when the request carries Twilio's signature over this URL and its form fields."""
    signature = request.headers.get(HEADER, "")
    if not auth_token or not signature:
        return False
    validator = RequestValidator(auth_token)
    return validator.validate(public_url(request, public_base), request.form, signature)


def sign(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The signature Twilio would send for these form fields posted to this URL."""
    return RequestValidator(auth_token).compute_signature(url, dict(params))
