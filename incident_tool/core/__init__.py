"""Core: the decisions. Given what was read (a Context), say what should happen (typed actions).

Pure: nothing here makes a request, renders a template or imports `incident_tool.effects`
(tests/files/test_layout.py keeps it so). A reading order: `model.py` (what a decision sees
and asks for), `states.py`, `record.py`, `lifecycle.py` (the transitions), `comments.py`
(which comments are commands) and `commands/` (one module per command), then the rest by
concern; `wording.py` holds what the bot says. The tests in tests/core drive it with
`tests/fakes.py` (a Context from dicts) and no HTTP at all.
"""
