"""The failures a person can act on: one base, each kind carrying its exit status.

`incident-tool` ends a command with `exit_status` (docs/operating.md#cli-and-environment: 1 for a
failure, 2 for a usage or configuration error); `cli._run` is the one place that turns them into
a line and a status. Pure: inbound/, core/ and effects/ all raise these.
"""

from __future__ import annotations

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class IncidentToolError(Exception):
    """A failure with one clear line for the user; ends the command with `exit_status`."""

    exit_status: int = EXIT_FAILURE


class UsageError(IncidentToolError):
    """What the user gave is wrong (an option, the config, the event file): exit 2."""

    exit_status = EXIT_USAGE
