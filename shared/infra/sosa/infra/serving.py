"""Running a service's FastAPI app until it is stopped; the exit code says whether it failed."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI


def serve(app: FastAPI, *, host: str, port: int) -> int:
    """Serve `app` (its lifespan starts the workers); 1 if a worker died, 0 on a clean stop.

    A start-up failure (Kafka or the database unreachable) exits inside uvicorn with code 3,
    after the lifespan has logged which dependency did not answer.
    """
    uvicorn.run(
        app,
        host=host,
        port=port,
        loop="uvloop",  # libuv's event loop instead of asyncio's pure-Python selector loop
        http="httptools",  # llhttp (Node's C parser) instead of h11 (pure Python)
        log_config=None,
        access_log=False,
    )
    workers = getattr(app.state, "workers", None)
    return 1 if workers is not None and workers.failed else 0
