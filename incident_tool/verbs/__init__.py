"""Verbs: the command line's work beyond a run (init, labels, report, retro, status page, open)."""
