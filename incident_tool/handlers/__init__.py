"""Event handlers, one module per concern, combined into one router here."""

from incident_tool.decide import Router
from incident_tool.handlers import issues

router = Router(issues.router)

__all__ = ["router"]
