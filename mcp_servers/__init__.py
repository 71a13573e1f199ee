"""MCP servers that Heroku Managed Inference and Agents can register and call."""
