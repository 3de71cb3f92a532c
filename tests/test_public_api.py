"""The public API surface (STYLE.md rule 11): a name that disappears from ``srkit``, or whose signature changes,
fails here. ``tests/expect/public_api.txt`` holds every public name with its kind and signature; after a deliberate
change, regenerate it with ``python tests/test_public_api.py --write`` and review the diff."""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from pathlib import Path

import pytest

import srkit
from srkit._core.registry import Registry
from srkit.evaluation import METHODS

GOLDEN = Path(__file__).parent / "expect" / "public_api.txt"
# What users call most; each must stay public with the signature recorded in the golden file.
CORE_NAMES = ["upscale", "Upscaler", "load_model", "create_model", "build_model", "train", "evaluate", "ModelMethod"]
# The command line's plumbing lives in internal modules, not in srkit.__all__.
NOT_PUBLIC = ["atomic_write_text", "check_output_path", "default_output", "describe", "upscale_file", "SHIPPED"]
# The public names at the time of writing; add to this list, never remove from it without a deprecation.
PUBLIC_NAMES = [
    "KERNEL_NAMES",
    "MSSSIM",
    "PROTOCOLS",
    "PSNR",
    "SSIM",
    "BenchmarkPair",
    "BenchmarkSet",
    "Protocol",
    "SRMethod",
    "SetResult",
    "SrkitError",
    "__version__",
    "degrade",
    "evaluate",
    "example_folder",
    "format_table",
    "get_method",
    "imresize",
    "list_images",
    "method_names",
    "modcrop",
    "ms_ssim",
    "psnr",
    "read_image",
    "rgb_to_y",
    "rgb_to_ycbcr",
    "shave",
    "ssim",
    "to_csv",
    "to_float",
    "to_json",
    "to_markdown",
    "to_uint8",
    "write_image",
    "write_reports",
    "ycbcr_to_rgb",
]


def describe_api() -> str:
    """One line per public name: ``name: kind signature`` (classes: their constructor's signature)."""
    lines = []
    for name in sorted(srkit.__all__):
        obj = getattr(srkit, name)
        if inspect.isclass(obj):
            kind = "class"
            try:
                sig = str(inspect.signature(obj))
            except (TypeError, ValueError):
                sig = "(...)"
        elif callable(obj):
            kind, sig = "function", str(inspect.signature(obj))
        else:
            kind, sig = f"value {type(obj).__name__}", ""
        lines.append(f"{name}: {kind}{sig}")
    return "\n".join(lines) + "\n"


def test_every_public_name_has_its_recorded_signature() -> None:
    expected = GOLDEN.read_text(encoding="utf-8")
    assert describe_api() == expected, "the public API changed: regenerate with python tests/test_public_api.py --write"


@pytest.mark.parametrize("name", CORE_NAMES)
def test_core_names_are_public(name: str) -> None:
    assert name in srkit.__all__
    assert f"{name}: " in GOLDEN.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", NOT_PUBLIC)
def test_cli_plumbing_is_not_public(name: str) -> None:
    assert name not in srkit.__all__ and not hasattr(srkit, name)


def test_all_keeps_the_public_names() -> None:
    missing = sorted(set(PUBLIC_NAMES) - set(srkit.__all__))
    assert missing == [], f"public names removed from srkit.__all__: {missing}"


def test_all_has_no_duplicates() -> None:
    assert len(srkit.__all__) == len(set(srkit.__all__))


def test_every_name_in_all_is_importable() -> None:
    module = importlib.import_module("srkit")
    namespace: dict[str, object] = {}
    exec("from srkit import *", namespace)  # what a user's star import gets
    for name in srkit.__all__:
        assert getattr(module, name, None) is not None, name
        if not name.startswith("_"):
            assert name in namespace, name


def test_version_is_a_string() -> None:
    assert isinstance(srkit.__version__, str)
    assert srkit.__version__.count(".") >= 2


def test_srkit_error_is_a_value_error() -> None:
    assert issubclass(srkit.SrkitError, ValueError)


def test_method_names() -> None:
    names = srkit.method_names()
    assert {"bicubic", "bilinear", "nearest", "lanczos"} <= set(names)
    assert names == sorted(names)
    for name in ("bicubic", "bilinear", "nearest", "lanczos"):
        assert srkit.get_method(name).name == name


def test_unknown_method_lists_the_known_ones() -> None:
    listed = ", ".join(srkit.method_names())
    with pytest.raises(srkit.SrkitError, match=rf"unknown method 'nope'; available: {re.escape(listed)}$"):
        srkit.get_method("nope")


def test_registry_duplicate_name_raises() -> None:
    registry: Registry[int] = Registry("thing")
    registry.register("one", 1)
    with pytest.raises(ValueError, match=r"thing 'one' is already registered"):
        registry.register("one", 2)
    assert registry.get("one") == 1  # the first registration is kept
    assert len(registry) == 1


def test_registry_decorator_duplicate_raises() -> None:
    registry: Registry[object] = Registry("model")

    @registry.decorator("tiny")
    def tiny() -> int:
        return 1

    with pytest.raises(ValueError, match=r"model 'tiny' is already registered"):
        registry.decorator("tiny")(tiny)


def test_method_registry_refuses_a_duplicate() -> None:
    before = METHODS.get("bicubic")
    with pytest.raises(ValueError, match=r"method 'bicubic' is already registered"):
        METHODS.register("bicubic", lambda: srkit.get_method("nearest"))
    assert METHODS.get("bicubic") is before


@pytest.mark.parametrize("name", ["", "Bicubic", "EDSR"])
def test_registry_names_are_lower_case(name: str) -> None:
    with pytest.raises(ValueError, match=r"names are non-empty and lower-case"):
        Registry[int]("thing").register(name, 1)


def test_registry_lookup() -> None:
    registry: Registry[int] = Registry("thing")
    registry.register("b", 2)
    registry.register("a", 1)
    assert registry.names() == ["a", "b"]
    assert list(registry) == ["a", "b"]
    assert "a" in registry
    assert "c" not in registry
    with pytest.raises(srkit.SrkitError, match=r"unknown thing 'c'; available: a, b"):
        registry.get("c")


if __name__ == "__main__" and "--write" in sys.argv:
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(describe_api(), encoding="utf-8")
    print(f"wrote {GOLDEN}")
