"""mcp-postgres: PostgreSQL checks for Heroku agents (`python -m mcp_servers.postgres`)."""
