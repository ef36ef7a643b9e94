"""The web layer's settings, read from the environment in one place."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RETENTION_DAYS = 30


def from_environment() -> Dict[str, Any]:
    """Settings for create_app, from environment variables (README lists each one)."""
    env = os.environ
    return {
        "SECRET_KEY": env.get("PUENTE_SECRET_KEY", ""),
        "REDIS_URL": env.get("REDIS_URL", "redis://localhost:6379/0"),
        "RASA_URL": env.get("PUENTE_RASA_URL", "http://127.0.0.1:5005"),
        "RASA_TIMEOUT_SECONDS": float(env.get("PUENTE_RASA_TIMEOUT_SECONDS", "10")),
        "CONTENT_DIR": env.get("PUENTE_CONTENT_DIR", str(REPO_ROOT / "content")),
        "CONTENT_RELOAD_SECONDS": float(env.get("PUENTE_CONTENT_RELOAD_SECONDS", "2")),
        "RETENTION_DAYS": int(env.get("PUENTE_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)),
        # How long the anonymous handoff figures are kept (tickets themselves: the retention).
        "FIGURES_DAYS": int(env.get("PUENTE_FIGURES_DAYS", "90")),
        # Fernet keys, newest first, encrypting conversation text in Redis (docs/SECURITY.md).
        "DATA_KEYS": env.get("PUENTE_DATA_KEYS", ""),
        "ORG_NAME": env.get("PUENTE_ORG_NAME", ""),
        "QUICK_EXIT_URL": env.get("PUENTE_QUICK_EXIT_URL", "https://www.weather.gov/"),
        "MAX_MESSAGE_CHARS": int(env.get("PUENTE_MAX_MESSAGE_CHARS", "1000")),
        "TRANSLATION_DIR": env.get("PUENTE_TRANSLATION_DIR", str(REPO_ROOT / ".translation")),
        # SMS and WhatsApp through Twilio (README: "SMS").
        "TWILIO_ACCOUNT_SID": env.get("TWILIO_ACCOUNT_SID", ""),
        "TWILIO_AUTH_TOKEN": env.get("TWILIO_AUTH_TOKEN", ""),
        "SMS_FROM": env.get("PUENTE_SMS_FROM", ""),
        "SMS_MESSAGING_SERVICE_SID": env.get("PUENTE_SMS_MESSAGING_SERVICE_SID", ""),
        "PUBLIC_URL": env.get("PUENTE_PUBLIC_URL", "").rstrip("/"),
        "SMS_PATH": env.get("PUENTE_SMS_PATH", "/sms"),
        "SMS_STATUS_PATH": env.get("PUENTE_SMS_STATUS_PATH", "/sms/status"),
        "SMS_HASH_KEY": env.get("PUENTE_SMS_HASH_KEY", ""),
        "SMS_ENCRYPTION_KEY": env.get("PUENTE_SMS_ENCRYPTION_KEY", ""),
        "SMS_MAX_SEGMENTS_PER_MESSAGE": int(env.get("PUENTE_SMS_MAX_SEGMENTS_PER_MESSAGE", "3")),
        "SMS_MAX_MESSAGES": int(env.get("PUENTE_SMS_MAX_MESSAGES", "3")),
        "SMS_RATE_LIMIT": int(env.get("PUENTE_SMS_RATE_LIMIT", "20")),
        "SMS_RATE_WINDOW_SECONDS": int(env.get("PUENTE_SMS_RATE_WINDOW_SECONDS", "600")),
        "SMS_MAX_BODY_CHARS": int(env.get("PUENTE_SMS_MAX_BODY_CHARS", "1000")),
        # Unprompted texts (a reply, an update) go only to who wrote within this many hours.
        "SMS_OUTBOUND_WINDOW_HOURS": int(env.get("PUENTE_SMS_OUTBOUND_WINDOW_HOURS", "72")),
        # Twilio waits 15 s for the webhook: a turn slower than this gets a holding text first.
        "SMS_REPLY_DEADLINE_SECONDS": float(env.get("PUENTE_SMS_REPLY_DEADLINE_SECONDS", "8")),
        "SMS_TURN_WORKERS": int(env.get("PUENTE_SMS_TURN_WORKERS", "32")),
        # When advocates answer handoffs (README: "Talking to a person").
        "OFFICE_HOURS": env.get("PUENTE_OFFICE_HOURS", "mon-fri 09:00-17:00"),
        "OFFICE_TIMEZONE": env.get("PUENTE_OFFICE_TIMEZONE", "America/New_York"),
        "HOLIDAYS": env.get("PUENTE_HOLIDAYS", ""),
        # An unclaimed handoff's update, and how often tickets are looked at (0: never).
        "HANDOFF_UPDATE_SECONDS": int(env.get("PUENTE_HANDOFF_UPDATE_SECONDS", "600")),
        "SWEEP_INTERVAL_SECONDS": float(env.get("PUENTE_SWEEP_INTERVAL_SECONDS", "15")),
        "SMS_SIMULATOR": env.get("PUENTE_SMS_SIMULATOR", "") == "1",
        # Proxies in front of the app whose X-Forwarded-For/-Proto to believe (0: none).
        "TRUSTED_PROXIES": int(env.get("PUENTE_TRUSTED_PROXIES", "0")),
        # The advocate console's session (README: "Advocate console").
        "SESSION_COOKIE_SECURE": env.get("PUENTE_SECURE_COOKIES", "1") != "0",  # 0: plain-HTTP dev
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Strict",
        "SESSION_COOKIE_NAME": "puente_console",
        "PERMANENT_SESSION_LIFETIME": int(env.get("PUENTE_CONSOLE_SESSION_HOURS", "12")) * 3600,
        "WTF_CSRF_TIME_LIMIT": int(env.get("PUENTE_CONSOLE_SESSION_HOURS", "12")) * 3600,
    }
