"""Refuse request bodies over their limit before they are read into memory: `PARLEY_MAX_BODY_BYTES` for
JSON, for the multipart upload routes the file cap (`PARLEY_MAX_FILE_BYTES`) plus the form's own bytes, and for
a raw mail forwarded to `/api/inbound/email` `PARLEY_MAX_INBOUND_EMAIL_BYTES`."""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley.api.errors import error_response

UPLOAD_PATHS = re.compile(r"^/api/(widget/v1/files|agent/v1/conversations/[^/]+/files)$")
MAIL_PATH = "/api/inbound/email"
MULTIPART_OVERHEAD = 64 * 1024


class BodyTooLarge(HTTPException):
    """An HTTPException, so the framework lets it through body parsing; `code` is the envelope's."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(413, message)
        self.code = code


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int, max_mail_bytes: int) -> None:
        self.app = app
        self.json_refusal = BodyTooLarge("payload_too_large", f"The request body is larger than {max_bytes} bytes.")
        self.upload_refusal = BodyTooLarge("file_too_large", f"The upload is larger than {max_upload_bytes} bytes.")
        self.mail_refusal = BodyTooLarge("payload_too_large", f"The mail is larger than {max_mail_bytes} bytes.")
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes + MULTIPART_OVERHEAD
        self.max_mail_bytes = max_mail_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, refusal = self._limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await error_response(413, refusal.code, refusal.detail)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise refusal
            return message

        await self.app(scope, limited_receive, send)

    def _limit(self, path: str) -> tuple[int, BodyTooLarge]:
        if UPLOAD_PATHS.match(path) is not None:
            return self.max_upload_bytes, self.upload_refusal
        if path == MAIL_PATH:
            return self.max_mail_bytes, self.mail_refusal
        return self.max_bytes, self.json_refusal
