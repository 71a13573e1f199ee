#!/usr/bin/env python3
"""Submit an agent request from agent_configs/ and watch it work: `run_agent.py CONFIG [--prompt TEXT] [--json] [--mode agents|chat|both]`.

Exit codes are listed by `--help` (heroku_agents.errors.EXIT_CODES).
"""

import sys

from heroku_agents.driver.cli import main

if __name__ == "__main__":
    sys.exit(main())
