"""Error answers of the local endpoint's HTTP routes, shared by the agents and chat-completions handlers."""

from __future__ import annotations

from pydantic import ValidationError
from starlette.responses import JSONResponse

__all__ = ["error_response", "validation_message"]


def error_response(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    """OpenAI/Heroku-style error body `{"error": {"message": ..., "type": ...}}`."""
    return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status)


def validation_message(exc: ValidationError) -> str:
    """`messages[0].content: Input should be a valid string; ...`: each bad field by its JSON path."""
    parts = []
    for error in exc.errors():
        path = ""
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
        parts.append(f"{path or '(body)'}: {error['msg']}")
    return "; ".join(parts)
