"""OfflinePlanner: the default model backend without an upstream. Deterministic, not an LLM.

Each step it reads the conversation: while the budget allows and a relevant tool has not run, it
ranks the offered tools against the user's words (name, description, and tools the prompts name),
fills required arguments from defaults, enums and the message, and calls the best one. Then it
writes a final answer from the structured results: findings by severity, with remediation.
It says what it is in `model`, `system_fingerprint` and the answer itself.
"""

from __future__ import annotations

import json
import re
from typing import Any

from heroku_agents.local.backends.base import PlannedCall, Step, StepOptions
from heroku_agents.local.backends.render import compose_answer
from heroku_agents.model_tools import ToolSpec
from heroku_agents.models import Usage
from heroku_agents.wire import ToolOutcome, parse_tool_content

__all__ = ["OfflinePlanner", "fill_arguments", "rank_tools"]

MODEL_LABEL = "offline-planner"
MAX_TOOL_STEPS = 3  # distinct tools per run before answering
_STOP = set("a an and are as at be by can do does for from how i in is it its me my of on or our please should "
            "that the this to what when where which who why with you your first".split())
_SYNONYMS = {
    "health": ("diagnose", "check", "status"), "healthy": ("diagnose", "check", "status"),
    "slow": ("query", "statement", "performance"), "fix": ("diagnose", "remediation"),
    "bloat": ("vacuum",), "lock": ("blocking", "activity"), "connection": ("activity",),
    "crash": ("log", "error", "release"), "error": ("log",), "deploy": ("release", "build"),
    "table": ("schema",), "column": ("schema",), "run": ("exec", "command"), "python": ("code", "exec"),
    "page": ("html", "markdown", "url"), "web": ("html", "url"), "sha256": ("code", "exec", "python"),
}


def _stem(word: str) -> str:
    for suffix in ("ing", "es", "ed", "s"):
        if len(word) > 4 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _tokens(text: str) -> list[str]:
    return [_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP]


def _expanded(tokens: list[str]) -> list[str]:
    out = list(tokens)
    for token in tokens:
        out.extend(_SYNONYMS.get(token, ()))
    return out


def rank_tools(goal: str, context: str, tools: list[ToolSpec]) -> list[tuple[float, ToolSpec]]:
    """Tools by relevance (highest first, request order on ties); zero scores are dropped."""
    goal_words, context_words = _expanded(_tokens(goal)), _tokens(context)
    scored = []
    for order, tool in enumerate(tools):
        bare = tool.name.rsplit("/", 1)[-1]
        name_words, desc_words = set(_tokens(bare)), set(_tokens(tool.description))
        score = sum(3.0 if w in name_words else 1.0 if w in desc_words else 0.0 for w in goal_words)
        score += 0.2 * sum(1.0 for w in context_words if w in name_words)
        for text, weight in ((goal, 12.0), (context, 6.0)):
            position = text.find(bare)
            if position >= 0:
                score += weight * (1.0 - position / (len(text) + 1))  # earlier mention, stronger hint
        if score > 0:
            scored.append((score, -order, tool))
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [(score, tool) for score, _, tool in scored]


def fill_arguments(
    tool: ToolSpec, message: str, evidence: list[Any] | None = None, *, skip: set[str] | frozenset[str] = frozenset()
) -> dict[str, Any] | None:
    """Required arguments from defaults, enums and the message (SQL also from earlier tool results,
    e.g. the worst query of a top-queries report for an explain tool); None when none can be filled
    or every candidate is in `skip` (argument JSON already tried)."""
    schema = tool.input_schema or {}
    properties: dict[str, Any] = schema.get("properties") or {}
    required = schema.get("required") or []
    sql_names = [n for n in required if n in ("sql", "query")]
    candidates: list[Any] = [None]
    if sql_names and evidence:
        candidates += list(_sql_in(evidence))
    for candidate in candidates:
        arguments: dict[str, Any] = {}
        for name in required:
            value = _fill_one(name, properties.get(name) or {}, message)
            if value is None and name in sql_names:
                value = candidate
            if value is None:
                break
            arguments[name] = value
        else:
            if _arguments_text(arguments) not in skip:
                return arguments
    return None


def _arguments_text(arguments: dict[str, Any]) -> str:
    return json.dumps(arguments, separators=(",", ":"), ensure_ascii=False)


def _sql_in(data: Any) -> Any:
    """Complete read statements found under query/sql keys of structured results, in order."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("query", "sql", "statement") and isinstance(value, str) and not value.endswith("…") \
                    and re.match(r"\s*(select|with)\b", value, re.I):
                yield value
            else:
                yield from _sql_in(value)
    elif isinstance(data, list):
        for item in data:
            yield from _sql_in(item)


def _fill_one(name: str, prop: dict[str, Any], message: str) -> Any:
    if "default" in prop:
        return prop["default"]
    if prop.get("enum"):
        lowered = message.lower()
        return next((v for v in prop["enum"] if str(v).lower() in lowered), prop["enum"][0])
    kind = prop.get("type") or next((o.get("type") for o in prop.get("anyOf", []) if o.get("type") != "null"), None)
    if kind in ("integer", "number"):
        found = re.search(r"\b\d+(?:\.\d+)?\b", message)
        value = float(found.group()) if found else prop.get("minimum", 1)
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        return {}
    fenced = re.search(r"```(?:\w+)?\n(.*?)```", message, re.S)
    if name in ("code", "script") and fenced:
        return fenced.group(1)
    if name in ("url", "link", "href"):
        url = re.search(r"https?://\S+", message)
        return url.group().rstrip(").,") if url else None
    if name in ("sql", "query"):
        quoted = re.search(r"`([^`]+)`", message)
        if quoted and re.match(r"\s*(select|with|values|table|show|explain)\b", quoted.group(1), re.I):
            return quoted.group(1)
        return None
    quoted = re.search(r"`([^`]+)`|'([^']+)'", message)
    return next((g for g in quoted.groups() if g), None) if quoted else None


def _estimate(text: str) -> int:
    return max(1, len(text) // 4)  # a rough token count: the planner has no tokenizer


class OfflinePlanner:
    """Deterministic planner standing in for an LLM when no upstream is configured."""

    model = MODEL_LABEL
    fingerprint = "offline-planner"

    def __init__(self, *, max_tool_steps: int = MAX_TOOL_STEPS) -> None:
        self.max_tool_steps = max_tool_steps

    async def step(self, messages: list[dict[str, Any]], tools: list[ToolSpec], options: StepOptions | None = None) -> Step:
        goal = next((m.get("content") or "" for m in reversed(messages) if m.get("role") == "user"), "")
        context = "\n".join(m.get("content") or "" for m in messages if m.get("role") == "system")
        calls = {c["id"]: c["function"] for m in messages if m.get("role") == "assistant" for c in m.get("tool_calls") or []}
        results = [(m.get("name") or "", parse_tool_content(m.get("content") or "")) for m in messages if m.get("role") == "tool"]
        outcomes = {m.get("tool_call_id"): parse_tool_content(m.get("content") or "") for m in messages if m.get("role") == "tool"}
        # a tool counts as done once it answered; one that failed may be retried with other arguments
        done = {f["name"] for cid, f in calls.items() if cid in outcomes and not outcomes[cid].is_error}
        tried = [(f["name"], f.get("arguments") or "{}") for f in calls.values()]
        prompt_tokens = sum(_estimate(json.dumps(m, default=str)) for m in messages) + _estimate(json.dumps([t.name for t in tools]))
        call = None
        if len(done) < self.max_tool_steps and len(tried) < self.max_tool_steps + 2 and not _has_findings(results):
            evidence = [outcome.data for _, outcome in results if not outcome.is_error]
            call = self._next_call(goal, context, tools, done, evidence, tried)
        if call is not None:
            content = f"Calling {call.name}: it best matches the request among the offered tools."
            return Step(content=content, tool_calls=(call,), usage=_usage(prompt_tokens, content))
        answer = compose_answer(goal, results, offered=[t.name for t in tools])
        return Step(content=answer, usage=_usage(prompt_tokens, answer))

    def _next_call(
        self, goal: str, context: str, tools: list[ToolSpec], done: set[str], evidence: list[Any],
        tried: list[tuple[str, str]],
    ) -> PlannedCall | None:
        ranked = rank_tools(goal, context, tools)
        if not ranked:
            return None
        best = ranked[0][0]
        for score, tool in ranked:
            if tool.name in done:
                continue
            if tried and score < 0.6 * best:
                return None  # the rest are weak matches; answer with what we have
            used = {args for name, args in tried if name == tool.name}
            arguments = fill_arguments(tool, goal, evidence, skip=used)
            if arguments is not None:
                return PlannedCall(tool.name, arguments)
        return None


def _has_findings(results: list[tuple[str, ToolOutcome]]) -> bool:
    return any(isinstance(r.data, dict) and isinstance(r.data.get("findings"), list) for _, r in results)


def _usage(prompt_tokens: int, completion: str) -> Usage:
    completion_tokens = _estimate(completion)
    return Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, total_tokens=prompt_tokens + completion_tokens)
