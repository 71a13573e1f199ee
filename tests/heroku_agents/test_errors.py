"""The error tree: what each error says, which exit code it maps to, and that secrets never show."""

from __future__ import annotations

import pytest

from heroku_agents import errors
from heroku_agents.errors import (
    EXIT_CODES,
    AgentsConnectionError,
    AgentsError,
    AgentsHTTPError,
    AuthenticationError,
    ConfigError,
    PlatformAPIError,
    PreflightError,
    RequestRejectedError,
    StreamInterruptedError,
)

KEY = "inf-123abc9f-2a6c-441a-9f72-e2dc15cdcaaa"


def test_every_error_class_is_an_agents_error_with_a_documented_exit_code() -> None:
    classes = [getattr(errors, n) for n in errors.__all__ if isinstance(getattr(errors, n), type)]
    assert len(classes) == 16
    for cls in classes:
        assert issubclass(cls, AgentsError)
        assert cls.exit_code in EXIT_CODES
        assert cls.__name__ in errors.__doc__


def test_authentication_error_names_inference_key_and_the_command_to_fetch_it() -> None:
    exc = AuthenticationError("invalid api key", status=401, url="https://us.inference.heroku.com/v1/agents/heroku",
                              request_id="req-1", body_excerpt='{"error":{"message":"invalid api key"}}')
    assert str(exc) == (
        "HTTP 401 from https://us.inference.heroku.com/v1/agents/heroku, request id req-1: invalid api key — "
        "INFERENCE_KEY was refused; set it from the add-on: "
        "`export INFERENCE_KEY=$(heroku config:get INFERENCE_KEY -a APP)`"
    )
    assert (exc.status, exc.request_id, exc.exit_code) == (401, "req-1", 3)
    assert isinstance(exc, AgentsHTTPError)


def test_http_error_redacts_keys_and_url_passwords_from_message_and_body_excerpt() -> None:
    exc = RequestRejectedError(f"bad header Bearer {KEY}", status=400, url="https://u:hunter22@h.example/v1",
                               body_excerpt=f"echo {KEY} " + "x" * 2000)
    assert KEY not in str(exc) and "hunter22" not in str(exc)
    assert KEY not in exc.body_excerpt
    assert len(exc.body_excerpt) == errors.BODY_EXCERPT_LIMIT
    assert exc.url == "https://u:********@h.example/v1"


def test_connection_error_names_the_url_and_how_to_fall_back_to_the_local_endpoint() -> None:
    exc = AgentsConnectionError("http://127.0.0.1:9/v1/agents/heroku", "connection refused")
    assert str(exc).startswith("cannot reach http://127.0.0.1:9/v1/agents/heroku (connection refused)")
    assert "unset it to use the local endpoint" in str(exc)
    assert exc.exit_code == 5


def test_stream_interrupted_lists_what_was_received() -> None:
    exc = StreamInterruptedError("http://x/v1/agents/heroku", ["chat.completion (tool_calls)"], "connection closed")
    assert str(exc) == (
        "the stream from http://x/v1/agents/heroku ended before `done` (connection closed); "
        "received: chat.completion (tool_calls)"
    )
    assert "received: no events" in str(StreamInterruptedError("u", [], "eof"))


def test_config_error_starts_with_file_line_and_field() -> None:
    exc = ConfigError("must be a number", path="agent_configs/a.yaml", line=7, field="temperature")
    assert str(exc) == "agent_configs/a.yaml:7: temperature: must be a number"
    assert (exc.path, exc.line, exc.field) == ("agent_configs/a.yaml", 7, "temperature")


def test_preflight_error_lists_every_problem() -> None:
    exc = PreflightError(["duplicate tool 'x'", "web: not mcp"])
    assert str(exc) == "preflight found 2 problem(s):\n  - duplicate tool 'x'\n  - web: not mcp"


@pytest.mark.parametrize(("status", "hint"), [(401, True), (403, True), (422, False)])
def test_platform_api_error_points_at_heroku_api_key_only_when_refused(status: int, hint: bool) -> None:
    exc = PlatformAPIError("nope", status=status, request_id="r")
    assert ("HEROKU_API_KEY was refused" in str(exc)) is hint
    assert str(exc).startswith(f"Platform API HTTP {status}, request id r: nope")
