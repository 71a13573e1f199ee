"""Heroku app diagnostics MCP server (`python -m mcp_servers.app_diagnostics`, Procfile `mcp-appdiag`).

Read-only answers to "what is wrong with my app?": the app's formation and dyno states, releases with
config-var diffs (names only), add-ons and features, log analysis and HTTP probes. It talks to the
Heroku Platform API directly over HTTPS (no Heroku CLI needed).
"""
