"""A training recipe's ``recipe_options``, parsed and checked with one-line errors (the recipes of the packages
above the engine share this)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from srkit._core.errors import SrkitError


@dataclass(frozen=True)
class Option:
    """One recipe option: its default, type (``int``, ``float`` or ``str``), and the rule a value must meet."""

    default: Any
    kind: type
    rule: str = ""  # shown in the error, e.g. "> 0"
    check: Callable[[Any], bool] | None = None
    choices: tuple[str, ...] = ()


def positive(kind: type, default: Any) -> Option:
    return Option(default, kind, "> 0", lambda v: v > 0)


def non_negative(kind: type, default: Any) -> Option:
    return Option(default, kind, ">= 0", lambda v: v >= 0)


def parse_options(
    recipe: str, given: Mapping[str, Any], spec: Mapping[str, Option], *, section: str = "recipe_options"
) -> dict[str, Any]:
    """``given`` (a config's ``recipe_options``, or the ``section`` named) checked against ``spec``, defaults filled
    in; ``recipe`` names whose options they are in the messages (a recipe, or e.g. ``data.kind faces``).

    Raises:
        SrkitError: an unknown key, a value of the wrong type, or out of range (one line naming the key).
    """
    unknown = sorted(set(given) - set(spec))
    if unknown:
        raise SrkitError(f"{_owner(recipe, section)}: unknown {section} {unknown}; known: {', '.join(spec)}")
    out = {}
    for key, option in spec.items():
        value = given.get(key, option.default)
        where = f"{_owner(recipe, section)}: {section}.{key}"
        if option.kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) != (option.kind is bool) or not isinstance(value, option.kind):
            raise SrkitError(f"{where} must be {option.kind.__name__}, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise SrkitError(f"{where} must be finite, got {value!r}")
        if option.choices and value not in option.choices:
            raise SrkitError(f"{where} must be one of {', '.join(option.choices)}, got {value!r}")
        if option.check is not None and not option.check(value):
            raise SrkitError(f"{where} must be {option.rule}, got {value!r}")
        out[key] = value
    return out


def _owner(name: str, section: str) -> str:
    return f"recipe {name}" if section == "recipe_options" else name
