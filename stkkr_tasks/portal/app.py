"""The tenant portal: a FastAPI app over the stkkr database and the Prefect API, served by uvicorn.

`create_app()` opens the stkkr database (`STKKR_DATABASE_URL` or `$STKKR_HOME/stkkr.db`) for the app's
lifetime; Prefect is reached through the usual settings (`PREFECT_API_URL`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prefect.settings import PREFECT_API_URL
from starlette.exceptions import HTTPException

from stkkr_tasks.portal import api, pages
from stkkr_tasks.store import ErrorStore
from stkkr_tasks.tenants import TenantStore

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8780
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'",
}


def create_app(database_url: str | None = None) -> FastAPI:
    """The portal app.

    Args:
        database_url: The stkkr database; None: `STKKR_DATABASE_URL` or `$STKKR_HOME/stkkr.db`.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with ErrorStore(database_url) as store:
            app.state.tenants = TenantStore(store)
            yield

    app = FastAPI(
        title="stkkr portal",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.include_router(pages.router)
    app.include_router(api.router)
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(httpx.HTTPError, _prefect_unreachable)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.update(_SECURITY_HEADERS)
        return response

    return app


async def _http_error(request: Request, exc: HTTPException) -> Response:
    """JSON for the API, a small page for the rest; a redirect stays a redirect."""
    headers = dict(exc.headers or {})
    if 300 <= exc.status_code < 400:
        return Response(status_code=exc.status_code, headers=headers)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)
    context = {"session": None, "notice": None, "status": exc.status_code, "detail": exc.detail}
    return pages.templates.TemplateResponse(
        request, "error.html", context, status_code=exc.status_code, headers=headers
    )


async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
    """A 422 that names the fields and what is wrong, without echoing what was sent (it may be a password)."""
    problems = [".".join(str(part) for part in error["loc"]) + ": " + error["msg"] for error in exc.errors()]
    return await _http_error(request, HTTPException(status_code=422, detail="; ".join(problems)))


async def _prefect_unreachable(request: Request, exc: Exception) -> Response:
    """The Prefect API did not answer: a 503 that says so, instead of a traceback."""

    where = PREFECT_API_URL.value() or "the ephemeral Prefect server (PREFECT_API_URL is not set)"
    detail = f"the Prefect API at {where} did not answer ({type(exc).__name__}); is `make up` running?"
    return await _http_error(request, HTTPException(status_code=503, detail=detail))


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve the portal with uvicorn until Ctrl-C."""
    import uvicorn  # lazy: the web server loads only to serve the portal

    uvicorn.run(create_app(), host=host, port=port, log_level="warning", proxy_headers=True)
