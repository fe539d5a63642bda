"""Translate failures to HTTP: TrialKG errors and HTTP exceptions become short JSON or text.

A client sees a status code and a one-paragraph message, never a stack trace; a bug (anything
that is not a TrialKG error or an HTTP exception) is logged here with its trace and answered 500.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, json, request
from werkzeug.exceptions import HTTPException

from kg.errors import ConfigError, QueryError, QueryTimeout, StoreError, TrialKGError

# The most specific class wins: QueryTimeout is a QueryError.
STATUS: dict[type[TrialKGError], int] = {
    QueryTimeout: 503,
    QueryError: 400,
    StoreError: 503,
    ConfigError: 500,
    TrialKGError: 400,
}


class Refused(TrialKGError):
    """A request the endpoint understood but will not run (update without token, SERVICE, LOAD)."""

    def __init__(self, reason: str, status: int = 403) -> None:
        self.status = status
        super().__init__(reason)


def status_for(exc: TrialKGError) -> int:
    """The HTTP status of a TrialKG error, by its most specific registered class.

    >>> status_for(QueryTimeout("stopped after 1 s")), status_for(QueryError("syntax"))
    (503, 400)
    """
    if isinstance(exc, Refused):
        return exc.status
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_response(status: int, title: str, message: str) -> Response:
    """A short error body: JSON for clients that ask for it, plain text for everyone else.

    SPARQL clients (SPARQLWrapper, Jena, roqet) print a text body as it is, so text is the default.
    """
    accept = request.accept_mimetypes
    if accept["application/json"] > accept["text/plain"]:
        body = json.dumps({"status": status, "error": title, "message": message})
        return Response(body + "\n", status=status, mimetype="application/json")
    return Response(f"{title}: {message}\n", status=status, mimetype="text/plain")


def _trialkg_error(exc: TrialKGError) -> Response:
    status = status_for(exc)
    if status >= 500 and not isinstance(exc, QueryTimeout | StoreError):
        current_app.logger.error("server-side TrialKG error", exc_info=exc)
    title = {400: "Bad Request", 403: "Forbidden", 503: "Service Unavailable"}.get(status, "Error")
    if isinstance(exc, QueryTimeout):
        title = "Query Timeout"
    return error_response(status, title, str(exc))


def _http_error(exc: HTTPException) -> Response:
    response = error_response(exc.code or 500, exc.name, exc.description or exc.name)
    for name, value in exc.get_headers():
        if name.lower() == "allow" or name.lower().startswith("www-"):
            response.headers[name] = value
    if exc.code == 405 and getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def _bug(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    current_app.logger.error("unhandled error on %s %s", request.method, request.path, exc_info=exc)
    return error_response(500, "Internal Server Error", "the server failed; the error is logged")


def register(app: Flask) -> None:
    """Install the handlers on ``app``."""
    app.register_error_handler(TrialKGError, _trialkg_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _bug)
