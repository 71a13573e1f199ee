"""Health checks, one module per area (connections, activity, indexes, tables, maintenance, ...)."""
