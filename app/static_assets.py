"""Static assets light on the wire: versioned URLs, long-lived caching, brotli or gzip.

The supervisor's dashboard sent the 1.1 MB chart library uncompressed and re-validated on every sign-in. Now
every `url_for` of a static file carries `?v=<hash of its content>`; a versioned URL is cached for a year as
immutable (a new release has new hashes, so browsers fetch what changed), an unversioned one for
STATIC_MAX_AGE_SECONDS. Text assets go out brotli- or gzip-compressed as the browser accepts, each file
compressed once per process and kept (the static folders hold ~3 MB; compressed they keep well under 1 MB).
"""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache
from typing import Any

import brotli
from flask import Flask, current_app, request
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

STATIC_ENDPOINTS = frozenset({"static", "appbuilder.static"})
COMPRESSIBLE = frozenset(
    {"text/css", "text/javascript", "application/javascript", "application/json", "image/svg+xml", "text/plain"}
)
MIN_SIZE = 1024  # below this the headers cost more than they save
YEAR = 365 * 24 * 3600


def _folder(endpoint: str) -> str | None:
    """The directory a static endpoint serves from."""
    if endpoint == "static":
        return current_app.static_folder
    blueprint = current_app.blueprints.get(endpoint.rsplit(".", 1)[0])
    return blueprint.static_folder if blueprint is not None else None


def _path(endpoint: str, filename: str) -> str | None:
    folder = _folder(endpoint)
    path = safe_join(folder, filename) if folder else None
    return path if path and os.path.isfile(path) else None


@lru_cache(maxsize=512)
def _digest(path: str, mtime: float) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:12]


def version(endpoint: str, filename: str) -> str | None:
    """The content hash a static file's URL carries (None for a file that is not there)."""
    path = _path(endpoint, filename)
    return _digest(path, os.path.getmtime(path)) if path else None


@lru_cache(maxsize=256)
def _compressed(path: str, mtime: float, encoding: str) -> bytes:
    with open(path, "rb") as handle:
        data = handle.read()
    if encoding == "br":
        return brotli.compress(data, quality=9)  # 11 saves 9 % more but takes 1.8 s on the chart library
    return gzip.compress(data, compresslevel=9, mtime=0)


def _encoding() -> str | None:
    accepted = request.accept_encodings
    for encoding in ("br", "gzip"):
        if accepted[encoding]:
            return encoding
    return None


def init_app(app: Flask) -> None:
    """Version static URLs, cache and compress static responses."""
    max_age = app.config["STATIC_MAX_AGE_SECONDS"]

    @app.url_defaults
    def versioned(endpoint: str, values: dict[str, Any]) -> None:
        wanted = endpoint in STATIC_ENDPOINTS and "filename" in values and "v" not in values
        if wanted and (tag := version(endpoint, values["filename"])):
            values["v"] = tag

    @app.after_request
    def static_delivery(response: Response) -> Response:
        if request.endpoint not in STATIC_ENDPOINTS or response.status_code >= 400:
            return response
        filename = (request.view_args or {}).get("filename", "")
        path = _path(request.endpoint, filename)
        tag = request.args.get("v")
        current = version(request.endpoint, filename) if path else None
        if tag and tag == current:
            response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        else:
            response.headers["Cache-Control"] = f"public, max-age={max_age}"
        response.vary.add("Accept-Encoding")
        encoding = _encoding()
        if (
            response.status_code != 200
            or path is None
            or encoding is None
            or response.mimetype not in COMPRESSIBLE
            or os.path.getsize(path) < MIN_SIZE
            or "Content-Encoding" in response.headers
            or "Range" in request.headers
        ):
            return response
        body = _compressed(path, os.path.getmtime(path), encoding)
        if hasattr(response.response, "close"):
            response.response.close()  # the file send_file opened is not sent: close it
        response.direct_passthrough = False
        response.set_data(body)
        response.headers["Content-Encoding"] = encoding
        etag, _weak = response.get_etag()
        if etag:  # the same file: a weak tag still answers If-None-Match with 304
            response.set_etag(etag, weak=True)
        return response
