"""Errors a user can cause and fix. The CLI prints their message as one sentence, no traceback."""


class WindmillError(Exception):
    """A problem the user can act on. The message says what happened and what to do."""

    exit_code = 2
