"""The planner's web view: ``/`` (the page) and ``/static/...`` (its HTML, CSS and JavaScript modules).

Plain static files from ``api/web/``: no build step, nothing fetched from elsewhere at run time. The page signs
in with an API key kept in ``sessionStorage`` and calls the JSON API with ``Authorization: Bearer <key>``.
"""

from __future__ import annotations

import os
from os import PathLike
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
DOCS_DIR = Path(__file__).resolve().parent.parent.parent / "docs"
GUIDES = ("scenario", "changes", "rules", "api", "summit-day")

# Only this origin: no CDN, no inline script (inline style attributes position the grid blocks); object URLs for
# downloads and chart images.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")

router = APIRouter(include_in_schema=False)


@router.get("/")
def index() -> FileResponse:
    """The single page; the views are hash routes (``#/scenarios``, ``#/timetables/<id>``, ...)."""
    return FileResponse(WEB_DIR / "index.html", media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache", "Content-Security-Policy": CSP,
                                 "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})


@router.get("/guide/{name}")
def guide(name: str) -> Response:
    """The project's own documentation (``docs/<name>.md``) as a page, linked from the web view's header."""
    path = DOCS_DIR / f"{name}.md"
    if name not in GUIDES or not path.is_file():
        return Response(status_code=404, content=f"no guide {name!r}; known: {', '.join(GUIDES)}",
                        media_type="text/plain; charset=utf-8")
    from markdown_it import MarkdownIt  # rich's dependency; our own documents only, raw HTML off

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(path.read_text(encoding="utf-8"))
    body = body.replace('.md"', '"')  # links between the documents: rules.md -> /guide/rules
    links = " · ".join(f'<a href="/guide/{g}">{g}</a>' for g in GUIDES)
    page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>summit-scheduler: {name}</title>'
            f'<link rel="stylesheet" href="/static/style.css"></head><body><main class="guide-page">'
            f'<p><a href="/">Summit scheduler</a> · {links}</p>{body}</main></body></html>')
    return Response(page, media_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"})


class _Static(StaticFiles):
    """Static files that the browser revalidates (cheap with ETags) so that a new release is seen at once."""

    def file_response(self, full_path: PathLike[str] | str, stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def install(app: FastAPI) -> None:
    """Add the page and its static files to ``app``."""
    app.include_router(router)
    app.mount("/static", _Static(directory=WEB_DIR), name="static")
