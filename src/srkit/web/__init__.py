"""``srkit serve``: a web page and a JSON API for upscaling (optional extra ``srkit[serve]``: FastAPI, uvicorn).

:mod:`srkit.web.jobs` (the bounded job queue, no web framework) is importable without the extra;
:func:`create_app` needs it.

Example::

    import uvicorn
    from srkit.web import ServeSettings, create_app
    uvicorn.run(create_app(ServeSettings(workers=2)), host="127.0.0.1", port=8000)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from srkit.web.jobs import Job, JobQueue, QueueFull

if TYPE_CHECKING:
    from srkit.web.app import ServeSettings, create_app

__all__ = ["Job", "JobQueue", "QueueFull", "ServeSettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name in ("ServeSettings", "create_app", "DEFAULT_MODELS"):
        from srkit.web import app

        return getattr(app, name)
    raise AttributeError(f"module 'srkit.web' has no attribute {name!r}")
