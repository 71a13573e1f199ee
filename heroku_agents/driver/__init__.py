"""The driver: submit agent requests (agents mode) or run the loop client-side (chat mode), and render them."""

from heroku_agents.driver.agents_mode import run_agents
from heroku_agents.driver.chat_mode import McpToolbox, ToolNames, run_chat
from heroku_agents.driver.cli import drive, main
from heroku_agents.driver.events import FinalAnswer, ModelStep, RunFigures, RunFinished, RunStarted, ToolResult
from heroku_agents.driver.render import JsonRenderer, RichRenderer

__all__ = [
    "FinalAnswer", "JsonRenderer", "McpToolbox", "ModelStep", "RichRenderer", "RunFigures",
    "RunFinished", "RunStarted", "ToolNames", "ToolResult", "drive", "main", "run_agents", "run_chat",
]
