"""``srkit`` command-line entry point: sub-commands, and the one place that turns errors into messages.

A user's mistake (an :class:`srkit.SrkitError`) prints ``srkit: error: <one line>`` and exits with 1; a bad
command line prints the same kind of line and exits with 2; Ctrl-C exits with 130; a closed pipe
(``srkit models | head``) ends quietly with 141. Output files are written
atomically, so none of these leaves a partial file.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from collections.abc import Sequence
from typing import NoReturn

import srkit
from srkit.cli import (
    bench,
    blindset,
    dip,
    dpsr,
    export,
    face,
    hsi,
    kernel,
    models,
    serve,
    train,
    unpairedset,
    upscale,
    video,
    zssr,
)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``srkit: error: <what>`` and exit code 2 (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"srkit: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="srkit", description="Image super-resolution: upscale images, evaluate, train and export SR models."
    )
    parser.add_argument("--version", action="version", version=f"srkit {srkit.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    upscale.add_parser(sub)
    bench.add_parser(sub)
    blindset.add_parser(sub)
    unpairedset.add_parser(sub)
    models.add_parser(sub)
    dip.add_parser(sub)
    face.add_parser(sub)
    hsi.add_parser(sub)
    video.add_parser(sub)
    dpsr.add_parser(sub)
    kernel.add_parser(sub)
    zssr.add_parser(sub)
    train.add_parsers(sub)
    export.add_parser(sub)
    serve.add_parser(sub)
    return parser


def _one_line_warning(message: Warning | str, category: type[Warning], *_: object, **__: object) -> str:
    return f"srkit: warning: {message}\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (also used by ``python -m srkit``)."""
    warnings.formatwarning = _one_line_warning  # warnings as one line, without the source line
    # tifffile logs its own lines about a damaged file; srkit reports the file in one line of its own
    logging.getLogger("tifffile").setLevel(logging.CRITICAL)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit (where Python would print a traceback)
    except srkit.SrkitError as err:
        print(f"srkit: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("srkit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader stopped early (srkit models | head): stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's final flush of stdout would raise again
        return 141  # 128 + SIGPIPE
    return code


if __name__ == "__main__":
    sys.exit(main())
