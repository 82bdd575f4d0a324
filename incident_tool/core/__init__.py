"""Core: the decisions. Given what was read (a Context), say what should happen (typed actions).

Pure: nothing here makes a request, renders a template or imports `incident_tool.effects`
(tests/files/test_layout.py keeps it so).
"""
