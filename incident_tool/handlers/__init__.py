"""What a run does with what people did: commands and comments, and state labels.

One module per concern: `comments` (commands, each registered with its permission rule,
and mirroring), `labels` (transitions named by a state label added by hand).
"""
