import pytest

from mcp_servers.common.env import env_flag, env_number


def test_env_number_reads_ints_and_floats_and_defaults_when_unset_or_blank() -> None:
    env = {"A": "7", "B": "0.5", "C": " "}
    assert env_number(env, "A", 1, int) == 7
    assert env_number(env, "B", 1.0) == 0.5
    assert env_number(env, "C", 3, int) == 3
    assert env_number(env, "MISSING", 4.0) == 4.0


def test_env_number_errors_name_the_variable_and_the_expected_kind() -> None:
    with pytest.raises(ValueError, match=r"^PG_POOL_MAX must be an int number, got 'four'$"):
        env_number({"PG_POOL_MAX": "four"}, "PG_POOL_MAX", 4, int)
    with pytest.raises(ValueError, match=r"^MCP_MAX_QUEUED must be a positive int number, got '0'$"):
        env_number({"MCP_MAX_QUEUED": "0"}, "MCP_MAX_QUEUED", 64, int, positive=True)


def test_env_flag_accepts_the_usual_true_words_only() -> None:
    assert [env_flag({"X": v}, "X") for v in ("1", "TRUE", " yes ", "on", "0", "no", "")] == [
        True, True, True, True, False, False, False,
    ]
    assert env_flag({}, "X") is False


def test_env_fields_reads_only_marked_fields_by_their_type_and_keeps_defaults() -> None:
    from typing import Annotated

    from pydantic import BaseModel

    from mcp_servers.common.env import Env, env_fields

    class Limits(BaseModel):
        workers: Annotated[int, Env("WORKERS", positive=True)] = 2
        timeout_s: Annotated[float, Env("TIMEOUT_S")] = 1.5
        verbose: Annotated[bool, Env("VERBOSE")] = False
        name: str = "x"

    assert env_fields(Limits, {"WORKERS": "4", "VERBOSE": "on", "name": "y"}) == {"workers": 4, "timeout_s": 1.5, "verbose": True}
    with pytest.raises(ValueError, match="WORKERS must be a positive int number"):
        env_fields(Limits, {"WORKERS": "0"})
