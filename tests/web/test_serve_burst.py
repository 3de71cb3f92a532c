"""``srkit serve`` under a burst of 200 concurrent uploads from a loopback client: every request is answered (202
or 503 with Retry-After), every accepted job finishes, the server keeps serving, and memory stays bounded."""

from __future__ import annotations

import concurrent.futures
import io
import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.usefixtures("one_thread")


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _post(url: str, body: bytes, start: threading.Barrier) -> tuple[int, str | None]:
    start.wait(timeout=60)
    request = urllib.request.Request(url, data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())["id"]
    except urllib.error.HTTPError as err:
        code, retry = err.code, err.headers.get("Retry-After", "")
    assert code != 503 or int(retry) >= 1
    return code, None


def test_burst_of_200_concurrent_uploads(serve: Any) -> None:
    if not Path("/proc/self/status").exists():
        pytest.skip("reads memory from /proc")
    rng = np.random.default_rng(0)
    bodies = []
    for i in range(200):
        buf = io.BytesIO()
        size = (8 + i % 24, 8 + (i * 7) % 24, 3)
        Image.fromarray(rng.integers(0, 256, size, dtype=np.uint8)).save(buf, "PNG")
        bodies.append(buf.getvalue())
    with serve(models=("srkit_fast",), workers=1, max_queued=16) as base:
        before = _rss_mib()
        start = threading.Barrier(len(bodies))
        began = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(len(bodies)) as pool:
            answers = list(pool.map(lambda b: _post(f"{base}/api/jobs?scale=2", b, start), bodies))
        answered_in = time.monotonic() - began
        codes = [code for code, _ in answers]
        assert set(codes) <= {202, 503} and codes.count(202) >= 16, codes  # at least a full queue
        for _, job_id in answers:
            if job_id is None:
                continue
            deadline = time.monotonic() + 120
            while True:
                with urllib.request.urlopen(f"{base}/api/jobs/{job_id}", timeout=30) as response:
                    state = json.loads(response.read())["state"]
                if state in ("done", "failed"):
                    break
                assert time.monotonic() < deadline
                time.sleep(0.05)
            assert state == "done"
        with urllib.request.urlopen(f"{base}/api/status", timeout=30) as response:
            jobs = json.loads(response.read())["jobs"]
        assert jobs == {"queued": 0, "running": 0, "done": codes.count(202), "failed": 0}
        grown = _rss_mib() - before
    assert answered_in < 60 and grown < 300, (answered_in, grown)
