"""Regenerate constraints.txt: the versions a new user gets today, which CI (.ci/run) then installs exactly.

Run from anywhere, with the Python the lock is for (3.11, as CI): python3 scripts/lock_deps.py

In a fresh virtual environment in a temporary folder, it runs the README's two set-up installs without constraints
(``pip install torch==2.13.0 -e .``, then ``pip install -e ".[dev]"``), so pip picks the newest releases that
pyproject.toml's bounds allow, and writes ``pip freeze`` of the result (srkit itself left out, local version labels
such as ``+cpu`` dropped) to constraints.txt at the repository root. Re-run it after changing a bound in
pyproject.toml, commit both files together, and let CI check the new set.

``--check`` instead compares the running environment with constraints.txt and fails on any difference (CI runs it
after installing, so a dependency added to pyproject.toml without re-locking is caught).

``--spandrel`` locks the environment of the ``spandrel`` extra instead (constraints-spandrel.txt): spandrel needs
torchvision, and torchvision a torch build of its own, so a user who adds the extra gets another torch (2.14 with
torchvision 0.29 today); CI tests the community-checkpoint loader in that environment, apart from the main one.
The lock is what ``pip install -e ".[spandrel]" pytest onnx onnxruntime`` gives in a fresh venv.
"""

from __future__ import annotations

import argparse
import platform
import re
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TORCH = "torch==2.13.0"  # README command 1 (a CPU build that lies on our machines' disk)


def freeze(python: str) -> list[str]:
    """``name==version`` lines of ``pip freeze`` in ``python``'s environment (srkit and local labels left out)."""
    frozen = subprocess.run(
        [python, "-m", "pip", "freeze", "--exclude-editable"], check=True, capture_output=True, text=True
    ).stdout
    pins = []
    for line in frozen.splitlines():
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==([^+\s]+)(\+\S+)?", line.strip())
        if not match:
            raise SystemExit(f"unexpected line in pip freeze (not name==version): {line!r}")
        pins.append(f"{match[1]}=={match[2]}")  # torch==2.13.0+cpu -> torch==2.13.0: any build of that release
    return sorted(pins, key=str.lower)


SPANDREL_INSTALL = ["-e", f"{ROOT}[spandrel]", "pytest", "onnx", "onnxruntime"]


def resolve(python: str, *, spandrel: bool = False) -> list[str]:
    """``name==version`` lines of a fresh install of README commands 1 and 2 (or of the spandrel extra's
    environment), sorted by name."""
    with tempfile.TemporaryDirectory(prefix="srkit-lock-") as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip"]
        subprocess.run([*pip, "install", "--quiet", "--upgrade", "pip"], check=True)
        if spandrel:
            subprocess.run([*pip, "install", "--quiet", *SPANDREL_INSTALL], check=True, cwd=ROOT)
        else:
            subprocess.run([*pip, "install", "--quiet", TORCH, "-e", str(ROOT)], check=True, cwd=ROOT)
            subprocess.run([*pip, "install", "--quiet", "-e", f"{ROOT}[dev]"], check=True, cwd=ROOT)
        subprocess.run([*pip, "check"], check=True)
        return freeze(str(venv / "bin" / "python"))


def check(path: Path) -> None:
    """Fail unless this environment holds exactly the pins of ``path``."""

    def canonical(pin: str) -> str:
        name, version = pin.split("==")
        return f"{re.sub(r'[-_.]+', '-', name).lower()}=={version}"

    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    locked = {canonical(line) for line in lines if line and not line.startswith("#")}
    installed = {canonical(pin) for pin in freeze(sys.executable)}
    if locked != installed:
        for pin in sorted(installed - locked):
            print(f"installed but not in {path.name}: {pin}", file=sys.stderr)
        for pin in sorted(locked - installed):
            print(f"in {path.name} but not installed: {pin}", file=sys.stderr)
        raise SystemExit(
            f"the environment differs from {path.name}: install with `-c {path.name}`, or, after a change to "
            "pyproject.toml's dependencies, regenerate it (python3 scripts/lock_deps.py)"
        )
    print(f"the environment matches {path.name} ({len(locked)} pins)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=None, help="default: constraints(-spandrel).txt")
    parser.add_argument("--check", action="store_true", help="compare this environment with the file; write nothing")
    parser.add_argument("--spandrel", action="store_true", help="the spandrel extra's environment")
    args = parser.parse_args()
    args.output = args.output or ROOT / ("constraints-spandrel.txt" if args.spandrel else "constraints.txt")
    if args.check:
        check(args.output)
        return
    if sys.version_info[:2] != (3, 11):
        print(f"note: locking with Python {platform.python_version()}; CI and the lock are for 3.11", file=sys.stderr)
    pins = resolve(sys.executable, spandrel=args.spandrel)
    if args.spandrel:
        header = [
            "# The exact versions of the spandrel extra's environment, which CI (.ci/run) installs to test",
            '# community checkpoints (tests/archs/test_spandrel.py): what `pip install -e ".[spandrel]" pytest onnx',
            f"# onnxruntime` gave in a fresh venv on {date.today().isoformat()} (Python {platform.python_version()}, "
            f"{platform.system()} {platform.machine()}).",
            "# spandrel needs torchvision, which brings a torch build of its own: this is not the main environment.",
            "# Regenerate: python3 scripts/lock_deps.py --spandrel  -- generated, do not edit by hand.",
        ]
        args.output.write_text("\n".join([*header, *pins]) + "\n", encoding="utf-8")
        print(f"{args.output}: {len(pins)} pins")
        return
    header = [
        "# The exact versions CI installs: .ci/run adds `-c constraints.txt` to both README set-up commands.",
        "# They are the newest releases pyproject.toml's bounds allowed on "
        f"{date.today().isoformat()} (Python {platform.python_version()}, {platform.system()} {platform.machine()}),",
        '# i.e. what `pip install torch==2.13.0 -e .` then `pip install -e ".[dev]"` gave a new user that day.',
        "# torch is pinned to README command 1's 2.13.0 (any build: CPU or CUDA); srkit accepts torch>=2.4,<2.15.",
        '# Install the same set: pip install -c constraints.txt torch==2.13.0 -e ".[dev]"',
        "# Regenerate (after changing a bound): python3 scripts/lock_deps.py  -- generated, do not edit by hand.",
    ]
    args.output.write_text("\n".join([*header, *pins]) + "\n", encoding="utf-8")
    print(f"{args.output}: {len(pins)} pins")


if __name__ == "__main__":
    main()
