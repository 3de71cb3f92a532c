"""The one exception type that srkit raises for a user's mistake.

The command line turns an :class:`SrkitError` into a one-line message and a non-zero exit code; anything else
is a bug in srkit and keeps its traceback.
"""


class SrkitError(ValueError):
    """A problem with the user's input (a file, an argument, a shape), described in one line."""
