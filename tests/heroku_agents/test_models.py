"""The wire models round-trip Heroku's verbatim examples and reject what Heroku rejects."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError
from spec_examples import (
    CHAT_RESPONSE,
    CLI_REQUEST,
    DYNO_REQUEST_JSON,
    LUMINAIRE_TOOL,
    MCP_REQUEST,
    MCP_SERVERS,
    SPEC_STREAM,
)

from heroku_agents.models import (
    HEROKU_TOOLS,
    AgentRequest,
    ChatCompletionEvent,
    ChatCompletionResponse,
    MCPServerRecord,
    Tool,
    ToolCompletionEvent,
    parse_event,
    to_json,
    to_wire,
)
from heroku_agents.wire import tool_result_content


def _spec_payloads() -> list[bytes]:
    return [line[len(b"data:"):] for line in SPEC_STREAM.split(b"\n") if line.startswith(b"data:{")]


def test_every_spec_stream_payload_reserialises_to_the_same_bytes() -> None:
    payloads = _spec_payloads()
    events = [parse_event(p) for p in payloads]
    assert [type(e) for e in events] == [ChatCompletionEvent, ToolCompletionEvent, ChatCompletionEvent]
    assert [to_json(e).encode() for e in events] == payloads


def test_tool_completion_has_no_model_and_empty_usage() -> None:
    event = parse_event(_spec_payloads()[1])
    wire = json.loads(to_json(event))
    assert "model" not in wire
    assert wire["usage"] == {}
    assert wire["choices"][0]["finish_reason"] == ""
    assert list(wire) == ["id", "object", "created", "system_fingerprint", "choices", "usage"]


def test_final_assistant_message_omits_tool_calls_but_keeps_null_refusal() -> None:
    final = json.loads(to_json(parse_event(_spec_payloads()[2])))
    assert final["choices"][0]["message"] == {
        "role": "assistant",
        "content": "The SHA256 hash of the string 'Heroku Rocks' is:\n\n**7ebc92bcf8f51f0b623a18f0a357639410a409340043c7a670bb180acd138e6b**",
        "refusal": None,
    }


def test_tool_result_content_matches_the_spec_prefix_and_envelope() -> None:
    text = '{\n  "returncode": 0,\n  "stdout": "String: Heroku Rocks\\nSHA256: 7ebc92bcf8f51f0b623a18f0a357639410a409340043c7a670bb180acd138e6b",\n  "stderr": ""\n}'
    content = tool_result_content(
        "mcp-python/code_exec_python", {"content": [{"type": "text", "text": text}], "isError": False}
    )
    assert content == parse_event(_spec_payloads()[1]).choices[0].message.content


@pytest.mark.parametrize("request_json", [json.dumps(CLI_REQUEST), DYNO_REQUEST_JSON, json.dumps(MCP_REQUEST)])
def test_spec_requests_round_trip_field_for_field(request_json: str) -> None:
    request = AgentRequest.model_validate_json(request_json)
    assert to_wire(request) == json.loads(request_json)


def test_luminaire_runtime_params_keep_unknown_tool_params() -> None:
    tool = Tool.model_validate(LUMINAIRE_TOOL)
    assert to_wire(tool) == LUMINAIRE_TOOL
    assert (tool.max_calls, tool.ttl_seconds) == (5, 120)


def test_tool_defaults_are_three_calls_and_120_seconds() -> None:
    tool = Tool(type="mcp", name="pg_diagnose")
    assert (tool.max_calls, tool.ttl_seconds) == (3, 120)
    assert to_wire(tool) == {"type": "mcp", "name": "pg_diagnose"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"messages": [{"role": "user", "content": "hi"}]}, "model"),
        ({"model": "m", "messages": []}, "messages"),
        ({"model": "m", "messages": [{"role": "robot", "content": "hi"}]}, "messages.0.role"),
        ({"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}, "messages.0.content"),
        ({"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 1.5}, "temperature"),
        ({"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "name": "x"}]}, "tools.0.type"),
        ({"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "mcp", "name": "x", "runtime_params": {"max_calls": 0}}]}, "tools.0.runtime_params.max_calls"),
    ],
)
def test_invalid_requests_name_the_bad_field(body: dict, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        AgentRequest.model_validate(body)
    locations = [".".join(str(p) for p in error["loc"]) for error in info.value.errors()]
    assert locations == [field]


def test_unknown_request_fields_are_ignored() -> None:
    request = AgentRequest.model_validate({"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True, "session_id": "s"})
    assert to_wire(request) == {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def test_mcp_servers_example_round_trips() -> None:
    records = [MCPServerRecord.model_validate(r) for r in MCP_SERVERS]
    assert [to_wire(r) for r in records] == MCP_SERVERS
    assert records[0].tools[0].namespaced_name == "mcp-python/code_exec_python"


def test_chat_completion_response_example_round_trips() -> None:
    response = ChatCompletionResponse.model_validate(CHAT_RESPONSE)
    assert json.loads(to_json(response)) == CHAT_RESPONSE


def test_catalogue_names_the_required_runtime_params_of_each_builtin() -> None:
    required = {name: spec.required_runtime_params for name, spec in HEROKU_TOOLS.items()}
    assert required == {
        "dyno_run_command": ("target_app_name",),
        "postgres_get_schema": ("target_app_name",),
        "postgres_run_query": ("target_app_name",),
        "html_to_markdown": (),
        "pdf_to_markdown": (),
        "code_exec_python": (),
        "code_exec_ruby": (),
        "code_exec_node": (),
        "code_exec_go": (),
    }
    assert HEROKU_TOOLS["dyno_run_command"].required_tool_params == ("cmd", "description")
    assert HEROKU_TOOLS["code_exec_python"].input_schema["required"] == ["code"]
