"""Logs: one structured line per request (written by the request middleware), JSON or text, with secrets kept out.

`log_config(settings)` is the `logging.config.dictConfig` that `parley serve` hands to uvicorn (which applies it in
every worker): Parley's, uvicorn's and the root logger write to stderr in `PARLEY_LOG_FORMAT` (JSON by default
when `PARLEY_ENV=production`, else text); uvicorn's own access log is off, Parley's `parley.access` replaces it.

What never reaches a log line: API and agent tokens, websocket tokens (uvicorn logs a websocket's path *with its
query string*, `?token=...`), webhook secrets and message text. The access line is built from safe parts only
(the route template, never the path or query); every other line passes through `redact`, and SQL parameters are
never rendered into errors (`hide_parameters` on the engines).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
from typing import Any

from parley.config import Settings

ACCESS_LOGGER = "parley.access"

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("parley_request_id", default=None)

_SECRETS = (
    # a query parameter that carries a credential: ?token=..., &websocketToken=..., ...
    (
        re.compile(r"(?i)([?&;](?:token|websocket_?token|access_?token|secret|api_?key|signature)=)[^&#\s\"']+"),
        r"\1[redacted]",
    ),
    (re.compile(r"\bplt_[A-Za-z0-9_\-]{8,}"), "plt_[redacted]"),  # API and agent tokens
    (re.compile(r"\bwhsec_[A-Za-z0-9_\-]{8,}"), "whsec_[redacted]"),  # webhook secrets
    (re.compile(r"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*"), "[redacted jwt]"),  # websocket tokens
    (re.compile(r"(?i)(\bauthorization[\"']?\s*[:=]\s*[\"']?)(?:bearer\s+)?[^\s\"',}]+"), r"\1[redacted]"),
    (re.compile(r"(input_value=)(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\S+)"), r"\1[redacted]"),  # pydantic errors
    (re.compile(r"(\[parameters: ).*?(\]\n|\]$)", re.S), r"\1[redacted]\2"),  # SQLAlchemy, just in case
)


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def access_record(fields: dict[str, Any]) -> logging.LogRecord:
    """The request line: built directly (no caller lookup, no `extra` copying), `fields` already safe."""
    record = logging.LogRecord(ACCESS_LOGGER, logging.INFO, "", 0, "request", None, None)
    record.fields = fields
    return record


_last_second: tuple[int, str] = (0, "")  # the last second formatted: one strftime per second, not per line


def _iso(created: float) -> str:
    global _last_second
    seconds, cached = int(created), _last_second
    if cached[0] != seconds:
        cached = _last_second = (seconds, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)))
    return f"{cached[1]}.{int((created - seconds) * 1000):03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the request's fields."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] | None = getattr(record, "fields", None)
        line: dict[str, Any] = {"time": _iso(record.created), "level": record.levelname.lower(), "logger": record.name}
        if fields is not None and record.name == ACCESS_LOGGER:
            line["message"] = record.msg
            line.update(fields)
            return json.dumps(line, separators=(",", ":"))
        line["message"] = redact(record.getMessage())
        current = request_id.get()
        if current is not None:
            line["request_id"] = current
        if record.exc_info:
            line["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    """`time level logger message key=value ...`, for people reading a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] | None = getattr(record, "fields", None)
        head = f"{_iso(record.created)} {record.levelname:<7} {record.name}"
        if fields is not None and record.name == ACCESS_LOGGER:
            pairs = " ".join(f"{key}={value}" for key, value in fields.items() if value is not None)
            return f"{head} {record.msg} {pairs}"
        line = f"{head} {record.getMessage()}"
        current = request_id.get()
        if current is not None:
            line += f" request_id={current}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redact(line)


def log_format(settings: Settings) -> str:
    return settings.log_format or ("json" if settings.env == "production" else "text")


def log_config(settings: Settings) -> dict[str, Any]:
    """For uvicorn's `log_config`: one stderr handler in the chosen format for everything; no uvicorn access log."""
    formatter = JsonFormatter if log_format(settings) == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"parley": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "parley", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            "parley": {"level": "INFO"},
            "uvicorn": {"level": "INFO"},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            # httpx logs every request's full URL at INFO: fetched URLs and webhook URLs can carry secrets
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
        },
    }
