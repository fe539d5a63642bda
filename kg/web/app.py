"""The app factory: wires settings, the store and the blueprints, plus app-wide HTTP hooks.

Importing this module does nothing; ``create_app`` builds a fresh app each call. The hooks every
response passes through live here: CORS, gzip when the client asks, the request-size limit.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable, Iterator

from flask import Flask, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from kg.stores.base import Store
from kg.web import api, errors, home, pages, sparql
from kg.web.settings import Settings
from kg.web.state import attach

# Bodies smaller than this are sent as they are: gzip would cost more than it saves.
GZIP_MIN_BYTES = 1024
_COMPRESSIBLE = ("text/", "application/")


def create_app(settings: Settings | None = None, store: Store | None = None) -> Flask:
    """A Flask app serving ``store`` (opened from ``settings.store`` when not given).

    ``settings`` defaults to :meth:`Settings.from_env`, i.e. the ``TRIALKG_*`` variables.
    """
    settings = settings if settings is not None else Settings.from_env()
    if store is None:
        from kg.stores import open_store  # backends load only when needed

        store = open_store(settings.store)
    app = Flask("kg.web", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.json.sort_keys = False
    attach(app, settings, store)
    errors.register(app)
    app.before_request(_limit_query_string)
    app.after_request(_gzip)
    if settings.cors:
        app.after_request(_cors)

    app.register_blueprint(sparql.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(home.bp)
    # Other blueprints register below, one line each.
    return app


def _limit_query_string() -> None:
    limit = request.max_content_length
    if limit is not None and len(request.query_string) > limit:
        raise RequestEntityTooLarge(
            f"the query string is {len(request.query_string)} bytes; the limit is {limit}"
        )


def _cors(response: Response) -> Response:
    headers = response.headers
    headers["Access-Control-Allow-Origin"] = "*"
    if request.method == "OPTIONS":
        headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        headers["Access-Control-Allow-Headers"] = "Accept, Authorization, Content-Type"
        headers["Access-Control-Max-Age"] = "86400"
    headers.add(
        "Access-Control-Expose-Headers", "Content-Type, Content-Encoding, X-TrialKG-Truncated"
    )
    return response


def _wants_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def _gzip(response: Response) -> Response:
    """Compress with gzip when the client said it accepts it, and only then."""
    response.vary.add("Accept-Encoding")
    if (
        not _wants_gzip()
        or "Content-Encoding" in response.headers
        or response.status_code < 200
        or response.status_code in (204, 304)
        or not (response.mimetype or "").startswith(_COMPRESSIBLE)
        or request.method == "HEAD"
        or response.direct_passthrough  # a file sent as it is (static assets): leave it alone
    ):
        return response
    if response.is_streamed:
        response.response = _gzip_stream(response.response)
        response.direct_passthrough = False
        del response.headers["Content-Length"]
    else:
        body = response.get_data()
        if len(body) < GZIP_MIN_BYTES:
            return response
        response.set_data(gzip.compress(body, compresslevel=5))
    response.headers["Content-Encoding"] = "gzip"
    return response


def _gzip_stream(chunks: Iterable[bytes]) -> Iterator[bytes]:
    compressor = zlib.compressobj(5, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    try:
        for chunk in chunks:
            data = compressor.compress(chunk)
            if data:
                yield data
        yield compressor.flush()
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
