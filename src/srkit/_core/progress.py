"""Progress for long work: a tqdm bar on a terminal, plain periodic lines in logs, or nothing.

A bar written into a file or a pipe is noise (``0tile [00:00, ?tile/s]``), and a silent job looks hung; so when
the stream is not a terminal, :class:`Progress` prints one plain line every ``interval`` seconds (and a last one
at the end) instead of a bar.

Example:
    >>> with Progress(total=3, desc="train", unit="step", show=False) as p:
    ...     for _ in range(3):
    ...         p.update(loss="0.1")
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any

from tqdm import tqdm


def is_terminal(stream: IO[str] | None = None) -> bool:
    """Whether ``stream`` (default stderr) is an interactive terminal."""
    s = sys.stderr if stream is None else stream
    try:
        return bool(s.isatty())
    except (AttributeError, ValueError):
        return False


class Progress:
    """Progress of ``total`` units of work.

    Args:
        total: units of work (0 if not known yet; :meth:`set_total` sets it later).
        desc: what is being done, at the start of the bar or line.
        unit: the unit's name (``"step"``, ``"img"``, ``"tile"``).
        show: True: a bar on a terminal, plain lines elsewhere; None: the same (the default); False: nothing.
        initial: units already done (a resumed run).
        interval: seconds between plain lines.
        stream: where to write (default stderr).
        leave: keep the finished bar on the terminal.
    """

    def __init__(
        self,
        total: int = 0,
        desc: str = "",
        unit: str = "it",
        *,
        show: bool | None = None,
        initial: int = 0,
        interval: float = 30.0,
        stream: IO[str] | None = None,
        leave: bool = True,
    ) -> None:
        self.total, self.desc, self.unit, self.n = total, desc, unit, initial
        self.stream = sys.stderr if stream is None else stream
        self.enabled = show is not False
        self.interval = interval
        self._postfix = ""
        self._start = self._last = time.monotonic()
        self._printed = -1  # units done at the last plain line
        self._bar: Any = None
        if self.enabled and is_terminal(self.stream):
            self._bar = tqdm(total=total or None, desc=desc, unit=unit, initial=initial, leave=leave, file=self.stream)

    def set_total(self, total: int) -> None:
        """Set the number of units once it is known."""
        self.total = total
        if self._bar is not None:
            self._bar.total = total
            self._bar.refresh()

    def update(self, n: int = 1, **postfix: Any) -> None:
        """``n`` more units done; ``postfix`` values (loss, PSNR, ...) are shown beside the count."""
        self.n += n
        if postfix:
            self._postfix = ", ".join(f"{k} {v}" for k, v in postfix.items())
        if not self.enabled:
            return
        if self._bar is not None:
            if postfix:
                self._bar.set_postfix({k: str(v) for k, v in postfix.items()}, refresh=False)
            self._bar.update(n)
            return
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self._line()

    def moveto(self, n: int, **postfix: Any) -> None:
        """Set the units done to ``n``."""
        self.update(n - self.n, **postfix)

    def _line(self) -> None:
        self._printed = self.n
        elapsed = time.monotonic() - self._start
        of = f"/{self.total}" if self.total else ""
        extra = f", {self._postfix}" if self._postfix else ""
        print(f"{self.desc}: {self.n}{of} {self.unit}s, {elapsed:.0f} s{extra}", file=self.stream, flush=True)

    def close(self) -> None:
        """Finish: close the bar, or print the last plain line (if any line was due or the work took a while)."""
        if self._bar is not None:
            self._bar.close()
        elif self.enabled and self._printed != self.n and time.monotonic() - self._start >= self.interval:
            self._line()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
