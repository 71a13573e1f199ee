"""agent_configs loading: the shipped configs, interpolation, and each error naming file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from heroku_agents.configs import CONFIG_DIR, find_config, load_config, load_configs
from heroku_agents.errors import ConfigError
from heroku_agents.models import AgentRequest

MINIMAL = """\
name: tiny
messages:
  - role: user
    content: hello
"""


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_every_shipped_config_loads_and_names_only_process_type_slash_tool_or_builtin_tools() -> None:
    configs = load_configs(env={"HEROKU_APP_NAME": "my-app"})
    assert [c.name for c in configs] == ["app-triage", "db-health", "incident-runbook", "index-advisor", "slow-queries"]
    for config in configs:
        assert config.description
        assert config.body["messages"][0]["role"] == "system"
        assert len(config.body["messages"][0]["content"]) > 300
        for name in config.tool_names:
            assert name.startswith(("mcp-postgres/", "mcp-appdiag/")) or name == "dyno_run_command"
        assert set(config.expected_tools) <= set(config.tool_names)


def test_incident_runbook_sends_dyno_run_command_with_target_app_and_tool_params() -> None:
    config = load_config(CONFIG_DIR / "incident-runbook.yaml", env={"HEROKU_APP_NAME": "shop-prod"})
    request = config.to_request(model="ignored-config-has-one")
    tool = next(t for t in request.tools or [] if t.type == "heroku_tool")
    assert tool.name == "dyno_run_command"
    assert tool.runtime_params is not None and tool.runtime_params.target_app_name == "shop-prod"
    assert tool.runtime_params.dyno_size == "standard-1x"
    assert tool.runtime_params.tool_params is not None
    assert tool.runtime_params.tool_params.cmd.startswith('psql "$DATABASE_URL"')
    assert "shop-prod" in request.messages[0].content
    assert {t.name for t in request.tools or []} >= {"mcp-postgres/pg_diagnose", "mcp-appdiag/analyze_logs"}


def test_model_defaults_to_inference_model_id_through_interpolation() -> None:
    config = load_config(CONFIG_DIR / "db-health.yaml", env={"INFERENCE_MODEL_ID": "claude-4-5-haiku"})
    assert config.to_request().model == "claude-4-5-haiku"
    assert load_config(CONFIG_DIR / "db-health.yaml", env={}).to_request().model == "claude-4-sonnet"


def test_to_request_without_model_anywhere_names_inference_model_id(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL), env={})
    assert config.to_request(model="nova-lite").model == "nova-lite"
    with pytest.raises(ConfigError) as info:
        config.to_request()
    assert str(info.value).startswith(f"{tmp_path / 'c.yaml'}: model: no model: add `model:` to the config or set INFERENCE_MODEL_ID")


def test_prompt_replaces_the_last_user_message_or_is_appended(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL + "  - role: assistant\n    content: hi\n"), env={})
    request = config.to_request(model="m", prompt="why is it slow?")
    assert [(m.role, m.content) for m in request.messages] == [("user", "why is it slow?"), ("assistant", "hi")]
    only_system = load_config(write(tmp_path, "name: s\nmessages:\n  - {role: system, content: be brief}\n"), env={})
    request = only_system.to_request(model="m", prompt="go")
    assert [(m.role, m.content) for m in request.messages] == [("system", "be brief"), ("user", "go")]
    assert isinstance(request, AgentRequest)


def test_interpolation_types_plain_scalars_keeps_quoted_ones_as_text_and_escapes_double_dollar(tmp_path: Path) -> None:
    text = MINIMAL + (
        "temperature: ${TEMP:-0.3}\n"
        "max_tokens_per_inference_request: ${MAXTOK}\n"
        "stop: ['${STOPWORD:-END}', '$${LITERAL}']\n"
    )
    config = load_config(write(tmp_path, text), env={"MAXTOK": "512", "STOPWORD": ""})
    assert config.body["temperature"] == 0.3
    assert config.body["max_tokens_per_inference_request"] == 512
    assert config.body["stop"] == ["END", "${LITERAL}"]


def test_unset_variable_error_names_file_line_field_and_variable(tmp_path: Path) -> None:
    text = MINIMAL + "tools:\n  - type: heroku_tool\n    name: dyno_run_command\n    runtime_params:\n      target_app_name: ${APP_NAME}\n"
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert str(info.value) == (
        f"{path}:9: tools[0].runtime_params.target_app_name: ${{APP_NAME}} is not set; "
        "export APP_NAME=... or write ${APP_NAME:-default}"
    )
    assert (info.value.line, info.value.field) == (9, "tools[0].runtime_params.target_app_name")


def test_placeholders_let_tool_names_load_without_the_environment(tmp_path: Path) -> None:
    config = load_config(CONFIG_DIR / "incident-runbook.yaml", env={}, placeholders=True)
    assert "dyno_run_command" in config.tool_names
    assert config.body["tools"][-1]["runtime_params"]["target_app_name"] == "<HEROKU_APP_NAME>"


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        (MINIMAL + "temprature: 0.2\n", 5, "temprature", "unknown key; allowed here:"),
        (MINIMAL + "temperature: 3\n", 5, "temperature", "Input should be less than or equal to 1"),
        (MINIMAL + "temperature: hot\n", 5, "temperature", "Input should be a valid number"),
        ("name: x\nmessages:\n  - role: robot\n    content: hi\n", 3, "messages[0].role", "Input should be"),
        ("name: x\nmessages:\n  - role: user\n    text: hi\n", 4, "messages[0].text", "unknown key"),
        ("name: x\nmessages: []\n", 2, "messages", "must be a non-empty list"),
        ("messages:\n  - {role: user, content: x}\n", 1, "(top level)", "`name` is required"),
        (MINIMAL + "tools:\n  - type: mcp\n", 6, "tools[0].name", "Field required"),
        (MINIMAL + "tools:\n  - type: plugin\n    name: x\n", 6, "tools[0].type", "Input should be"),
        (MINIMAL + "tools:\n  - type: mcp\n    name: a/b\n    runtime_params:\n      max_calls: 0\n", 9,
         "tools[0].runtime_params.max_calls", "Input should be greater than or equal to 1"),
        (MINIMAL + "tools:\n  - type: mcp\n    name: a/b\n    runtime_params: {maxcalls: 2}\n", 8,
         "tools[0].runtime_params.maxcalls", "unknown key"),
        (MINIMAL + "tools:\n  - type: heroku_tool\n    name: run_anything\n", 7, "tools[0].name", "unknown heroku_tool"),
        (MINIMAL + "tools:\n  - type: heroku_tool\n    name: dyno_run_command\n    runtime_params:\n"
         "      target_app_name: a\n", 8, "tools[0].runtime_params.tool_params.cmd", "dyno_run_command requires tool_params.cmd"),
        (MINIMAL + "tools:\n  - type: mcp\n    name: a/b\nexpected_tools: [a/b, a/c]\n", 8, "expected_tools[1]",
         "'a/c' is not in `tools`"),
        (MINIMAL + "temperature: [unclosed\n", 6, None, "YAML syntax"),
        ("- just\n- a list\n", 1, "(top level)", "expected a mapping"),
    ],
)
def test_invalid_configs_are_reported_with_file_line_and_field(
    tmp_path: Path, text: str, line: int, field: str | None, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert (info.value.path, info.value.line, info.value.field) == (str(path), line, field)
    prefix = f"{path}:{line}: {field}: " if field else f"{path}:{line}: "
    assert str(info.value).startswith(prefix + message), str(info.value)


def test_empty_and_missing_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="the file is empty"):
        load_config(write(tmp_path, "# nothing\n"), env={})
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config(tmp_path / "absent.yaml", env={})


def test_find_config_resolves_names_and_lists_known_ones_when_missing() -> None:
    assert find_config("db-health") == CONFIG_DIR / "db-health.yaml"
    assert find_config("slow-queries.yaml") == CONFIG_DIR / "slow-queries.yaml"
    with pytest.raises(ConfigError) as info:
        find_config("nope")
    assert "known in" in str(info.value) and "app-triage, db-health, incident-runbook, index-advisor, slow-queries" in str(info.value)


def test_unset_variable_inside_a_literal_block_points_at_its_own_line(tmp_path: Path) -> None:
    text = "name: x\nmessages:\n  - role: system\n    content: |\n      first line\n      second ${WHO}\n"
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert (info.value.line, info.value.field) == (6, "messages[0].content")


@pytest.mark.parametrize(
    ("text", "model_name"),
    [
        (MINIMAL + "temprature: 0.2\n", "AgentRequest"),
        ("name: x\nmessages:\n  - role: user\n    text: hi\n", "Message"),
        (MINIMAL + "tools:\n  - type: mcp\n    name: a/b\n    kind: x\n", "Tool"),
        (MINIMAL + "tools:\n  - type: mcp\n    name: a/b\n    runtime_params: {maxcalls: 2}\n", "RuntimeParams"),
    ],
)
def test_the_keys_a_config_allows_are_the_wire_models_fields(tmp_path: Path, text: str, model_name: str) -> None:
    from heroku_agents import models

    model = getattr(models, model_name)
    expected = {info.alias or name for name, info in model.model_fields.items()}
    if model is AgentRequest:
        expected |= {"name", "description", "expected_tools"}  # the config's own keys
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), env={})
    allowed = str(info.value).split("allowed here: ", 1)[1].split("\n", 1)[0]
    assert set(allowed.split(", ")) == expected
