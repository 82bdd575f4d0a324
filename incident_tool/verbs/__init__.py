"""Verbs: what each command of the command line does, one module per verb (`cli.py` only
declares them); `common.py` is what they share."""
