"""The one exception type that srkit raises for a user's mistake.

The command line turns an :class:`SrkitError` into a one-line message and a non-zero exit code; anything else
is a bug in srkit and keeps its traceback.
"""

from __future__ import annotations

import os


class SrkitError(ValueError):
    """A problem with the user's input (a file, an argument, a shape), described in one line."""


def parse_problem(err: Exception) -> str:
    """The problem of a YAML parse error (PyYAML's ``problem``), else its first line."""
    problem = getattr(err, "problem", None)
    return str(problem or (str(err).splitlines() or [type(err).__name__])[0])


def parse_error(path: str | os.PathLike[str], err: Exception) -> str:
    """``file:line:column: cannot parse YAML: problem`` for a PyYAML parse error (line and column counted from 1,
    as editors count); ``file: cannot parse YAML: ...`` when the error has no position."""
    mark = getattr(err, "problem_mark", None)
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
    return f"{where}: cannot parse YAML: {parse_problem(err)}"
