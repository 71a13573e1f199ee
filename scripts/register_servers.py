#!/usr/bin/env python3
"""Check, attach and verify the registration of the Procfile's MCP servers: `register_servers.py [--app APP]`.

See `--help` for the steps, the environment and the exit codes.
"""

import sys

from heroku_agents.registration.cli import main

if __name__ == "__main__":
    sys.exit(main())
