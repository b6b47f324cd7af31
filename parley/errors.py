"""One error type for every rule Parley enforces, rendered as the spec's JSON envelope."""

from __future__ import annotations


class ParleyError(Exception):
    """A refusal the client can act on: HTTP status, a stable snake_case code and a human sentence."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_envelope(status: int, code: str, message: str) -> dict[str, object]:
    return {"status": status, "error": {"code": code, "message": message}}


def not_found(what: str) -> ParleyError:
    return ParleyError(404, "not_found", f"{what} not found.")


def unauthorized(message: str = "A valid API token is required in the Authorization header.") -> ParleyError:
    return ParleyError(401, "unauthorized", message)


def forbidden(message: str = "Only the workspace's owners and admins may do this.") -> ParleyError:
    return ParleyError(403, "forbidden", message)


def conflict(message: str, code: str = "conflict") -> ParleyError:
    return ParleyError(409, code, message)


def validation_error(message: str) -> ParleyError:
    return ParleyError(422, "validation_error", message)
