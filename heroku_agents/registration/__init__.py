"""Registration of the Procfile's MCP servers with Heroku's inference add-on: preflight, attach, poll, diff."""

from heroku_agents.registration.flow import RegistrationResult, register
from heroku_agents.registration.platform import Attachment, app_config_vars, attach_inference
from heroku_agents.registration.preflight import PreflightReport, preflight
from heroku_agents.registration.sync import ServerDiff, diff_tools, wait_until_synced

__all__ = [
    "Attachment", "PreflightReport", "RegistrationResult", "ServerDiff", "app_config_vars",
    "attach_inference", "diff_tools", "preflight", "register", "wait_until_synced",
]
