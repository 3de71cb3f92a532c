"""``srkit serve``'s JSON API on a real loopback server: results equal ``srkit upscale``'s bytes, the limits (413),
content sniffing (415), the bounded queue (503 with Retry-After), expiry, and no request path on the disk."""

from __future__ import annotations

import io
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from srkit.cli.main import main

pytestmark = pytest.mark.usefixtures("one_thread")
Serve = Any  # the serve fixture: serve(**settings) -> context manager yielding the base URL


def call(method: str, url: str, body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def png_bytes(width: int = 24, height: int = 18, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def wait(base: str, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status, _, body = call("GET", f"{base}/api/jobs/{job_id}")
        job: dict[str, Any] = json.loads(body)
        assert status == 200
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


def test_result_is_srkit_upscale_byte_for_byte(tmp_path: Path, serve: Serve) -> None:
    data = png_bytes()
    src = tmp_path / "photo.png"
    src.write_bytes(data)
    assert main(["upscale", str(src), "-o", str(tmp_path / "cli.png"), "--model", "srkit_fast", "-q"]) == 0
    with serve(models=("srkit_fast", "srkit")) as base:
        status, headers, body = call("POST", f"{base}/api/jobs?model=srkit_fast&scale=4&name=photo.png", data)
        assert status == 202, body
        created = json.loads(body)
        assert headers["location"] == f"/api/jobs/{created['id']}" and created["input"] == {"width": 24, "height": 18}
        job = wait(base, created["id"])
        assert job["state"] == "done" and job["output"] == {"width": 96, "height": 72}
        assert job["filename"] == "photo_x4.png" and job["seconds"] > 0 and job["progress"]["done"] >= 1
        status, headers, result = call("GET", f"{base}/api/jobs/{created['id']}/result")
        assert status == 200 and headers["content-type"] == "image/png"
        assert 'filename="photo_x4.png"' in headers["content-disposition"]
        assert result == (tmp_path / "cli.png").read_bytes()
        models = json.loads(call("GET", f"{base}/api/models")[2])
        assert [m["name"] for m in models["models"]] == ["srkit_fast", "srkit"]
        assert models["models"][0]["params"] > 0 and models["models"][0]["suits"]
        assert "/api/jobs" in json.loads(call("GET", f"{base}/openapi.json")[2])["paths"]


def test_limits_and_sniffing(serve: Serve) -> None:
    with serve(models=("srkit_fast",), max_bytes=4000, max_pixels=32 * 32) as base:
        status, _, body = call("POST", f"{base}/api/jobs", png_bytes(60, 60))
        assert status == 413 and "bytes" in json.loads(body)["detail"]
        status, _, body = call("POST", f"{base}/api/jobs", png_bytes(40, 30))  # few bytes, too many pixels
        assert (
            status == 413 and json.loads(body)["detail"] == "the image has 40x30 pixels; this server takes at most 1024"
        )
        status, _, body = call("POST", f"{base}/api/jobs?name=notes.png", b"just some text, not an image")
        assert status == 415 and "judged by its content" in json.loads(body)["detail"]
        status, _, body = call(
            "POST", f"{base}/api/jobs", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
        )  # a PNG's signature only
        assert status == 415 and "cannot read the image" in json.loads(body)["detail"]
        status, _, body = call("POST", f"{base}/api/jobs", b"")
        assert status == 422
        # a PNG named .jpg is a PNG: the result is PNG
        status, _, body = call("POST", f"{base}/api/jobs?scale=2&name=photo.jpg", png_bytes(8, 8))
        job = wait(base, json.loads(body)["id"])
        assert job["filename"] == "photo_x2.png"
        assert call("GET", f"{base}/api/jobs/{job['id']}/result")[2].startswith(b"\x89PNG")
        assert call("POST", f"{base}/api/jobs?model=../../etc/passwd", png_bytes(8, 8))[0] == 422
        assert call("POST", f"{base}/api/jobs?scale=0.5", png_bytes(8, 8))[0] == 422


def test_a_failed_job_says_why_and_leaves_nothing(serve: Serve) -> None:
    with serve(models=("srkit_fast",)) as base:
        status, _, body = call("POST", f"{base}/api/jobs", png_bytes(1, 5))
        job = wait(base, json.loads(body)["id"])
        assert job["state"] == "failed" and "too small to upscale" in job["error"] and "/" not in job["error"]
        status, _, body = call("GET", f"{base}/api/jobs/{job['id']}/result")
        assert status == 409 and "failed" in json.loads(body)["detail"]


def test_full_queue_answers_503_with_retry_after(serve: Serve) -> None:
    with serve(models=("srkit_fast",), max_queued=0) as base:
        status, headers, body = call("POST", f"{base}/api/jobs", png_bytes())
        assert status == 503 and int(headers["retry-after"]) >= 1
        assert "busy" in json.loads(body)["detail"]


def test_requests_never_name_files(serve: Serve) -> None:
    with serve(models=("srkit_fast",)) as base:
        assert call("GET", f"{base}/static/app.js")[0] == 200
        for path in (
            "/static/..%2F..%2Fpyproject.toml",
            "/static/../app.py",
            "/static/jobs.py",
            "/api/jobs/..%2F..%2Fx",
        ):
            assert call("GET", base + path)[0] in (404, 422), path
        status, _, body = call("GET", f"{base}/api/jobs/{'A' * 24}")
        assert status == 404 and "no such job" in json.loads(body)["detail"]
        assert call("GET", f"{base}/api/jobs/abc")[0] == 422  # not an id's shape


def test_queue_expires_results_and_cleans_up(tmp_path: Path) -> None:
    from srkit.web.jobs import Job, JobQueue

    q = JobQueue(("srkit_fast",), ttl=60, max_results=2)
    try:
        ids = []
        for i in range(3):
            job_id = q.new_id()
            source, target = q.path(job_id, "in", ".png"), q.path(job_id, "out", ".png")
            source.write_bytes(png_bytes(8, 8, seed=i))
            q.submit(Job(job_id, "srkit_fast", 2, False, "x", ".png", source, target, (8, 8)))
            ids.append(job_id)
        deadline = time.monotonic() + 60
        while any((j := q.get(i)) is not None and j.state not in ("done", "failed") for i in ids):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert q.sweep() == 1 and q.get(ids[0]) is None  # more than max_results: the oldest goes
        assert sorted(p.name for p in q.root.iterdir()) == sorted(f"{i}.out.png" for i in ids[1:])
        assert q.sweep(now=time.monotonic() + 61) == 2 and list(q.root.iterdir()) == []  # past the ttl
    finally:
        root = q.root
        q.close()
    assert not root.exists()


def test_serve_command_errors(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("uvicorn")
    assert main(["serve", "--port", "70000"]) == 1
    assert "--port must be in 1-65535" in capsys.readouterr().err
    assert main(["serve", "--model", "no_such_model.pth"]) == 1
    assert "no_such_model.pth" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # the serve extra is not installed
    assert main(["serve"]) == 1
    assert "pip install 'srkit[serve]'" in capsys.readouterr().err
