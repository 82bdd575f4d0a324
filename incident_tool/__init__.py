"""incident-tool: a GitHub-native incident workflow.

Data flow, one module per step:

    event JSON -> events.parse -> decide (pure) -> effects (GitHub, Slack) -> status comment
"""

__version__ = "0.1.0"
