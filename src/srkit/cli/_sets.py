"""The options shared by the commands that build a data set (``srkit blindset``, ``srkit unpairedset``)."""

from __future__ import annotations

from typing import Any


def add_set_options(p: Any, *, what: str, scale_note: str = "") -> None:
    """``-o OUT``, ``--scale``, ``--seed``, ``--overwrite`` and ``--no-progress`` for a set of kind ``what``."""
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="the set's folder (its parent must exist)")
    p.add_argument(
        "--scale",
        "-s",
        nargs="+",
        type=int,
        choices=(2, 4),
        default=[2, 4],
        metavar="S",
        help=f"2, 4 or both (default both{scale_note})",
    )
    p.add_argument("--seed", type=int, default=0, help="the set's seed (default 0)")
    p.add_argument("--overwrite", action="store_true", help=f"replace OUT if it is {what} srkit made")
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress (default: a bar on a terminal, a plain line every 30 s in logs)",
    )
