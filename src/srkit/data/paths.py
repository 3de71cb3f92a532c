"""Where data folders are: one rule, and a note of where each was found.

The rule (docs/training.md, "Data paths"), for a training config's ``data.train``, ``data.lr_train`` and
``data.val``, and for the ``--data``/``--lr`` folders of ``srkit eval`` and ``srkit bench``:

1. an absolute path (``~`` expanded) is used as it is;
2. a path that starts with ``../shared/data/`` (the team's data convention, used by the recipes in ``configs/``)
   is read from ``$SRKIT_SHARED_DATA`` when that variable is set: ``../shared/data/train/T91`` is
   ``$SRKIT_SHARED_DATA/train/T91``;
3. any other relative path (and the convention when the variable is not set) is relative to the current folder.

A folder that is not there is one error line naming the path as written, the path tried, the rule that chose it,
and the variable.

Example:
    >>> resolve_data_path("/tmp").source
    'absolute'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from srkit._core.errors import SrkitError

SHARED_PREFIX = "../shared/data/"
SHARED_VARIABLE = "SRKIT_SHARED_DATA"


@dataclass(frozen=True)
class DataPath:
    """A data path as the config gives it, the folder it resolved to, and the rule that chose it."""

    given: str
    path: Path
    source: str

    def describe(self) -> str:
        """``given -> path (source)``."""
        return f"{self.given} -> {self.path} ({self.source})"


@dataclass(frozen=True)
class DataPaths:
    """The resolved data folders of a run."""

    train: list[DataPath]
    lr_train: list[DataPath] | None
    val: DataPath | None
    unpaired_lr: list[DataPath] | None = None

    def notes(self) -> list[str]:
        """One line per path: where it was found."""
        entries = [*self.train, *(self.lr_train or []), *(self.unpaired_lr or []), *([self.val] if self.val else [])]
        return [p.describe() for p in entries]


def resolve_data_path(given: str | os.PathLike[str], *, key: str = "data path") -> DataPath:
    """The folder ``given`` names under the module's rule; an SrkitError naming ``key`` when it is not there."""
    text = os.fspath(given)
    shared = text.replace("\\", "/").startswith(SHARED_PREFIX)
    env = os.environ.get(SHARED_VARIABLE)
    if Path(text).expanduser().is_absolute():
        found = DataPath(text, Path(text).expanduser(), "absolute")
    elif shared and env:
        rest = text.replace("\\", "/")[len(SHARED_PREFIX) :]
        found = DataPath(text, Path(env).expanduser() / rest, f"from ${SHARED_VARIABLE}={env}")
    else:
        cwd = Path.cwd()
        found = DataPath(text, Path(os.path.normpath(cwd / text)), f"relative to the current folder {cwd}")
    if not found.path.exists():
        if shared and not env:
            hint = f"; set {SHARED_VARIABLE} to the team data folder (the one holding train/ and bench/)"
        elif shared:
            hint = f"; {SHARED_VARIABLE} should name the team data folder (the one holding train/ and bench/)"
        elif found.source == "absolute":
            hint = ""
        else:
            hint = "; give an absolute path, or run from the folder it is relative to"
        raise SrkitError(f"{key}: not found: {found.describe()}{hint}")
    return found


def resolve_data_paths(
    train: list[str], lr_train: list[str] | None, val: str | None, unpaired_lr: list[str] | None = None
) -> DataPaths:
    """Every data folder of a run, resolved (``config.data.train``, ``lr_train``, ``val``, ``unpaired_lr``)."""
    return DataPaths(
        train=[resolve_data_path(p, key=f"config.data.train[{i}]") for i, p in enumerate(train)],
        lr_train=None
        if lr_train is None
        else [resolve_data_path(p, key=f"config.data.lr_train[{i}]") for i, p in enumerate(lr_train)],
        val=None if val is None else resolve_data_path(val, key="config.data.val"),
        unpaired_lr=None
        if unpaired_lr is None
        else [resolve_data_path(p, key=f"config.data.unpaired_lr[{i}]") for i, p in enumerate(unpaired_lr)],
    )
