"""Effects: GitHub (the only PyGithub user), Slack, the mirror, live facts, apply."""
