"""Effects: GitHub (`github.py`, PyGithub's only user), Slack, the mirror, live facts, apply."""
