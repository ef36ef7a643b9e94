"""Structured, one-line logs: a message and named fields, never message text or phone numbers."""

from __future__ import annotations

import json
import logging

# Attributes every LogRecord has; anything else was passed in `extra=` and is a field to print.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class FieldsFormatter(logging.Formatter):
    """`time level logger message {"field": value}` with the record's extra fields as JSON."""

    def format(self, record: logging.LogRecord) -> str:
        fields = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        line = f"{self.formatTime(record)} {record.levelname} {record.name} {record.getMessage()}"
        if fields:
            line += " " + json.dumps(fields, default=str, ensure_ascii=False)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure(level: str = "INFO") -> None:
    """Send the web layer's logs to stderr in the fields format (idempotent)."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, FieldsFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(FieldsFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    # werkzeug's access log would print request paths only, but keep it quiet and uniform.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
