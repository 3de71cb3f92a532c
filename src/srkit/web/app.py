"""The web app of ``srkit serve``: one page (plain HTML, CSS and JavaScript in :mod:`srkit.web`'s ``static``
folder, served from memory: no CDN, no build step) and a JSON API under ``/api`` (FastAPI; its OpenAPI page is
``/docs``).

API:
- ``GET /api/models``: the models requests may choose, with their card summaries.
- ``POST /api/jobs?model=srkit&scale=4&tta=false&name=photo``: the body is the image file itself (any of PNG,
  JPEG, WebP, TIFF, BMP, recognised by its content, not its name). 202 with the job; 413 for too many bytes or
  pixels, 415 for what is not an image, 422 for a bad parameter, 503 with ``Retry-After`` when the queue is full.
- ``GET /api/jobs/{id}``: state (``queued``, ``running``, ``done``, ``failed``), tile progress, sizes, seconds.
- ``GET /api/jobs/{id}/result``: the upscaled file, in the input's format (``srkit upscale``'s bytes exactly).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.resources
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from srkit import __version__
from srkit._core.cards import card_of
from srkit._core.errors import SrkitError
from srkit.archs.loader import load_model
from srkit.archs.shipped import SUITS
from srkit.data.io import image_size, sniff_suffix
from srkit.inference.upscale import MAX_SCALE
from srkit.web.jobs import Job, JobQueue, QueueFull

__all__ = ["DEFAULT_MODELS", "ServeSettings", "create_app"]

DEFAULT_MODELS = ("srkit", "srkit_fast", "srkit_real", "srkit_real_gan")
_MEDIA = {".png": "image/png", ".jpg": "image/jpeg", ".webp": "image/webp", ".tif": "image/tiff", ".bmp": "image/bmp"}
_STATIC = {"index.html": "text/html", "app.js": "text/javascript", "style.css": "text/css"}
_JOB_ID = r"^[A-Za-z0-9_-]{16,64}$"


@dataclasses.dataclass(frozen=True)
class ServeSettings:
    """The server's limits (``srkit serve --help`` lists them)."""

    models: tuple[str, ...] = DEFAULT_MODELS
    workers: int = 1
    max_queued: int = 8
    max_bytes: int = 25 * 1024 * 1024
    max_pixels: int = 4_000_000
    ttl: float = 3600.0
    max_results: int = 200


def _summary(name: str) -> dict[str, Any]:
    card = card_of(load_model(name, device="cpu"))
    params = card.params.get(4) or next(iter(card.params.values()), None)
    keep = ("steps", "wall_time", "data", "hardware", "Set5 x4", "Set14 x4")
    return {
        "name": name,
        "suits": SUITS.get(name, ""),
        "arch": card.arch,
        "paper": card.paper,
        "scales": list(card.scales),
        "params": params,
        "training": {k: v for k, v in card.training.items() if k in keep},
    }


def _clean_name(name: str) -> str:
    stem = "".join(c for c in name.rsplit(".", 1)[0] if c.isascii() and (c.isalnum() or c in "._-"))
    return stem.strip("._-")[:64] or "image"


def create_app(settings: ServeSettings | None = None) -> FastAPI:
    """The app; its job queue starts with the app and deletes its files when the app stops."""
    settings = settings or ServeSettings()
    summaries = [_summary(m) for m in settings.models]  # a bad model name fails here, before the server starts
    pages = {name: (importlib.resources.files("srkit.web") / "static" / name).read_bytes() for name in _STATIC}
    state: dict[str, JobQueue] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state["queue"] = JobQueue(
            settings.models,
            workers=settings.workers,
            max_queued=settings.max_queued,
            ttl=settings.ttl,
            max_results=settings.max_results,
            max_pixels=settings.max_pixels,
        )
        try:
            yield
        finally:
            state.pop("queue").close()

    app = FastAPI(
        title="srkit",
        summary="Upscale images with srkit's models",
        description=__doc__ or "",
        version=__version__,
        lifespan=lifespan,
    )

    def queue() -> JobQueue:
        return state["queue"]

    def job_or_404(job_id: str) -> Job:
        job = queue().get(job_id)
        if job is None:
            raise HTTPException(404, "no such job (results are deleted after a while)")
        return job

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return Response(pages["index.html"], media_type=_STATIC["index.html"])

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in pages:  # a fixed set of files held in memory: a request's name never reaches the disk
            raise HTTPException(404, "not found")
        return Response(pages[name], media_type=_STATIC[name], headers={"Cache-Control": "no-cache"})

    @app.get("/api/models")
    def models() -> dict[str, Any]:
        """The models a job may use, with their card summaries, and the server's limits."""
        return {
            "models": summaries,
            "limits": {"max_bytes": settings.max_bytes, "max_pixels": settings.max_pixels, "max_scale": MAX_SCALE},
        }

    @app.post("/api/jobs", status_code=202)
    async def create_job(
        request: Request,
        model: Annotated[str, Query(description="one of GET /api/models")] = settings.models[0],
        scale: Annotated[float, Query(gt=1, le=MAX_SCALE, description="output/input size ratio")] = 4,
        tta: Annotated[bool, Query(description="self-ensemble over 8 flips/rotations (8x slower)")] = False,
        name: Annotated[str, Query(max_length=255, description="the file's name, for the download's name")] = "image",
    ) -> JSONResponse:
        """Upload an image as the request body; the job is queued (poll ``GET /api/jobs/{id}``)."""
        if model not in settings.models:
            raise HTTPException(422, f"unknown model {model!r}; choose one of {', '.join(settings.models)}")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > settings.max_bytes:
            raise HTTPException(
                413, f"the file has {int(declared)} bytes; this server takes at most {settings.max_bytes}"
            )
        q = queue()
        job_id = q.new_id()
        upload = q.path(job_id, "upload")
        try:
            size = 0
            with open(upload, "wb") as f:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > settings.max_bytes:
                        raise HTTPException(
                            413, f"the file is larger than this server takes ({settings.max_bytes} bytes)"
                        )
                    f.write(chunk)
            if size == 0:
                raise HTTPException(422, "the request has no body: send the image file as the body")
            with open(upload, "rb") as f:
                suffix = sniff_suffix(f.read(16))
            if suffix is None:
                raise HTTPException(415, "not a PNG, JPEG, WebP, TIFF or BMP image (judged by its content)")
            try:
                width, height = image_size(upload)
            except SrkitError as err:
                raise HTTPException(415, f"cannot read the image: {err}") from None
            if width * height > settings.max_pixels:
                raise HTTPException(
                    413, f"the image has {width}x{height} pixels; this server takes at most {settings.max_pixels}"
                )
            source, target = q.path(job_id, "in", suffix), q.path(job_id, "out", suffix)
            upload.rename(source)
            ratio = int(scale) if float(scale).is_integer() else scale
            job = Job(job_id, model, ratio, tta, _clean_name(name), suffix, source, target, (height, width))
            try:
                q.submit(job)
            except QueueFull as full:
                source.unlink(missing_ok=True)
                raise HTTPException(
                    503, "the server is busy; try again shortly", headers={"Retry-After": str(full.retry_after)}
                ) from None
        finally:
            upload.unlink(missing_ok=True)
        return JSONResponse(job.public(), status_code=202, headers={"Location": f"/api/jobs/{job_id}"})

    @app.get("/api/jobs/{job_id}")
    def job_status(job_id: Annotated[str, Path(pattern=_JOB_ID)]) -> dict[str, Any]:
        """A job's state and progress; ``output`` and ``seconds`` once it is done, ``error`` if it failed."""
        return job_or_404(job_id).public()

    @app.get("/api/jobs/{job_id}/result")
    def job_result(job_id: Annotated[str, Path(pattern=_JOB_ID)]) -> FileResponse:
        """The upscaled image (the input's format), as a download."""
        job = job_or_404(job_id)
        if job.state != "done":
            raise HTTPException(409, f"the job is {job.state}" + (f": {job.error}" if job.error else ""))
        return FileResponse(job.target, media_type=_MEDIA[job.suffix], filename=job.filename)

    @app.get("/api/status")
    def status() -> dict[str, Any]:
        """Jobs by state."""
        return {"jobs": queue().counts(), "workers": settings.workers, "max_queued": settings.max_queued}

    return app
