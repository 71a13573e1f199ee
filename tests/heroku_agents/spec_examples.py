"""Verbatim examples from shared/research/heroku-agents-spec.md (sections 2, 4.1, 6.5), as bytes and JSON."""

from __future__ import annotations

# Section 4.1, "Example /v1/agents/heroku mcp Tool Call Response", byte-exact.
SPEC_STREAM = (
    b'event:message\n'
    b'data:{"id":"chatcmpl-184410e4ae2b7bb5180ae","object":"chat.completion","created":1748541138,"model":"claude-4-sonnet","system_fingerprint":"heroku-inf-1sefyj8","choices":[{"index":0,"message":{"role":"assistant","content":"I\'ll use the Python code execution tool to calculate the SHA256 hash of the string \'Heroku Rocks\'.","refusal":null,"tool_calls":[{"id":"tooluse_GDSgVgflTByFOnL_ZbCrhQ","type":"function","function":{"name":"mcp-python/code_exec_python","arguments":"{\\"code\\":\\"import hashlib\\\\n\\\\n# String to hash\\\\ntext = \'Heroku Rocks\'\\\\n\\\\n# Calculate SHA256 hash\\\\nsha256_hash = hashlib.sha256(text.encode(\'utf-8\')).hexdigest()\\\\n\\\\nprint(f\\\\\\"String: {text}\\\\\\")\\\\nprint(f\\\\\\"SHA256: {sha256_hash}\\\\\\")\\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":629,"completion_tokens":163,"total_tokens":792}}\n'
    b'\n'
    b'event:message\n'
    b'data:{"id":"chatcmpl-184410e4ae2b7bb5180ae","object":"tool.completion","created":1748541141,"system_fingerprint":"heroku-inf-1sefyj8","choices":[{"index":0,"message":{"role":"tool","content":"Tool \'mcp-python/code_exec_python\' returned result: {\\"content\\":[{\\"type\\":\\"text\\",\\"text\\":\\"{\\\\n  \\\\\\"returncode\\\\\\": 0,\\\\n  \\\\\\"stdout\\\\\\": \\\\\\"String: Heroku Rocks\\\\\\\\nSHA256: 7ebc92bcf8f51f0b623a18f0a357639410a409340043c7a670bb180acd138e6b\\\\\\",\\\\n  \\\\\\"stderr\\\\\\": \\\\\\"\\\\\\"\\\\n}\\"}],\\"isError\\":false}","refusal":null,"tool_call_id":"tooluse_GDSgVgflTByFOnL_ZbCrhQ","name":"mcp-python/code_exec_python"},"finish_reason":""}],"usage":{}}\n'
    b'\n'
    b'event:message\n'
    b'data:{"id":"chatcmpl-184410e4ae2b7bb5180ae","object":"chat.completion","created":1748541146,"model":"claude-4-sonnet","system_fingerprint":"heroku-inf-1sefyj8","choices":[{"index":0,"message":{"role":"assistant","content":"The SHA256 hash of the string \'Heroku Rocks\' is:\\n\\n**7ebc92bcf8f51f0b623a18f0a357639410a409340043c7a670bb180acd138e6b**","refusal":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":947,"completion_tokens":62,"total_tokens":1009}}\n'
    b'\n'
    b'event:done\n'
    b'data:[DONE]\n'
    b'\n'  # the blank line that terminates the last event (spec 9.3: `event:done\ndata:[DONE]\n\n`)
)

# Section 2.1, heroku-cli-plugin-ai test/test-messages.json.
CLI_REQUEST = {
    "model": "claude-3-7-sonnet",
    "messages": [
        {
            "role": "user",
            "content": "Use the python snippet from https://en.wikipedia.org/wiki/Chudnovsky_algorithm to tell me the 51st digit of PI",
        }
    ],
    "tools": [{"type": "heroku_tool", "name": "code_exec_python"}, {"type": "heroku_tool", "name": "html_to_markdown"}],
}

# Section 2.2, the complete dyno_run_command request (third-party, against a real endpoint).
DYNO_REQUEST_JSON = '{"model":"claude-4-5-haiku","messages":[{"role":"user","content":"run the dyno"}],"temperature":0.7,"top_p":null,"max_tokens_per_inference_request":2048,"tools":[{"name":"dyno_run_command","type":"heroku_tool","runtime_params":{"target_app_name":"<app>","tool_params":{"cmd":"set | grep FLAG","description":"runs the dyno_run_command","parameters":{"type":"object","properties":{},"required":[]}}}}]}'

# Section 2.2, "Working With MCP on Heroku".
MCP_REQUEST = {
    "model": "claude-4-sonnet",
    "messages": [
        {"role": "user", "content": "Use the code exec tool to take the sha256 of the following string: 'Heroku Rocks'."}
    ],
    "tools": [{"type": "mcp", "name": "code_exec_python"}],
}

# Section 3.2, luminaire demo: runtime_params on a heroku_tool.
LUMINAIRE_TOOL = {
    "type": "heroku_tool",
    "name": "postgres_run_query",
    "runtime_params": {
        "target_app_name": "luminaire",
        "dyno_size": "standard-1x",
        "max_calls": 5,
        "tool_params": {"db_attachment": "HEROKU_POSTGRESQL_COBALT"},
    },
}

# Section 6.5, the /v1/mcp/servers example (tools filled in with the documented tool shape).
MCP_SERVERS = [
    {
        "id": "15ac9382-5804-49ac-bf94-8bab2f4b62ce",
        "app_id": "434eb878-6bc1-4677-928d-80d27047ad5a",
        "process_type": "mcp",
        "process_command": "python -m src.stdio_server",
        "created_at": "2025-05-07T16:44:34.259Z",
        "updated_at": "2025-05-07T16:44:38.291Z",
        "namespace": "acute-partridge",
        "server_status": "registered",
        "primitives_status": "synced",
        "tools": [
            {"name": "code_exec_python", "namespaced_name": "mcp-python/code_exec_python", "description": "Executes a Python code snippet with optional pip dependencies. ...", "input_schema": {"type": "object", "properties": {"code": {"type": "string", "description": "The Python code to execute as a string."}, "packages": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}], "default": None, "description": "Optional list of pip package names to install before execution."}}, "required": ["code"]}, "annotations": {}}
        ],
    }
]

# Section 5.2, a non-streaming chat completion with a tool call.
CHAT_RESPONSE = {
    "id": "chatcmpl-1839adcc2079997417288",
    "object": "chat.completion",
    "created": 1745617422,
    "model": "claude-4-sonnet",
    "system_fingerprint": "heroku-inf-1y38gdr",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "I'll help you check the current weather in Portland. Since Portland could refer to either Portland, Oregon or Portland, Maine, I should specify the state.\nI'll check Portland, OR as it's the larger and more commonly referenced Portland.",
                "refusal": None,
                "tool_calls": [
                    {"id": "tooluse_aFByQsacQ_2BmYMGHvkBmg", "type": "function", "function": {"name": "get_current_weather", "arguments": "{\"location\":\"Portland, OR\"}"}}
                ],
            },
            "finish_reason": "tool_calls",
        }
    ],
    "usage": {"prompt_tokens": 407, "completion_tokens": 107, "total_tokens": 514},
}
