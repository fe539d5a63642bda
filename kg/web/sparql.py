"""The /sparql blueprint: the SPARQL 1.1 Protocol (query and, with a token, update) over the store.

Safe by default: read-only unless an update token is configured, SERVICE and LOAD refused unless
allowed, every query stopped at the configured timeout, results capped at ``max_rows``.
Answers are serialised by the store's native path; no per-term Python conversion.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Literal

from flask import Blueprint, Response, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotAcceptable, UnsupportedMediaType

from kg.web import guard, negotiation
from kg.web.description import forget_statistics, service_description
from kg.web.errors import Refused
from kg.web.state import current_settings, current_store

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
FORMAT_PARAMETERS = ("format", "output")
# The protocol's dataset parameters: (default graphs, named graphs) per operation.
DATASET_PARAMETERS = {
    "query": ("default-graph-uri", "named-graph-uri"),
    "update": ("using-graph-uri", "using-named-graph-uri"),
}


@dataclass(frozen=True)
class Operation:
    """One protocol operation read from a request, before anything runs."""

    kind: Literal["query", "update"]
    text: str
    default_graphs: list[str]
    named_graphs: list[str]


@bp.route("/sparql", methods=["GET", "POST"], strict_slashes=False)
def endpoint() -> Response:
    operation = read_operation()
    if operation is None:
        return service_description()
    if operation.kind == "update":
        return run_update(operation)
    return run_query(operation)


def read_operation() -> Operation | None:
    """The query or update a request carries (``None``: a GET without one)."""
    if request.method == "GET":
        if "update" in request.args:
            raise Refused("SPARQL Update must be sent by POST, not GET", status=400)
        return _from_params("query", request.args, request.args)
    mimetype = request.mimetype
    if mimetype == FORM:
        params = MultiDict(request.form)
        params.update(request.args)
        operation = _from_params(None, params, params)
        if operation is None:
            raise Refused("the form has neither a query= nor an update= field", status=400)
        return operation
    if mimetype in (QUERY, UPDATE):
        kind: Literal["query", "update"] = "query" if mimetype == QUERY else "update"
        return _from_params(kind, MultiDict({kind: _body_text()}), request.args)
    raise UnsupportedMediaType(
        f"POST a query as {FORM} or {QUERY}, an update as {FORM} or {UPDATE}; "
        f"got {mimetype or 'no content type'}"
    )


def _body_text() -> str:
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"the body must be UTF-8; got charset={charset}")
    try:
        return request.get_data().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(
            f"the body is not valid UTF-8 ({exc.reason} at byte {exc.start})", 400
        ) from None


def _from_params(
    only: Literal["query", "update"] | None, text_params: MultiDict, dataset_params: MultiDict
) -> Operation | None:
    queries = text_params.getlist("query") if only != "update" else []
    updates = text_params.getlist("update") if only != "query" else []
    if queries and updates:
        raise Refused("a request carries a query or an update, not both", status=400)
    kind: Literal["query", "update"] = "query" if queries else "update"
    texts = queries or updates
    if not texts:
        return None
    if len(texts) > 1:
        raise Refused(f"the request has {len(texts)} {kind} parameters; send one", status=400)
    default, named = DATASET_PARAMETERS[kind]
    return Operation(kind, texts[0], dataset_params.getlist(default), dataset_params.getlist(named))


def run_query(operation: Operation) -> Response:
    settings = current_settings()
    guard.check_outbound(
        operation.text, allow_service=settings.allow_service, allow_load=settings.allow_load
    )
    kind = guard.query_kind(operation.text)
    requested = [v for p in FORMAT_PARAMETERS for v in request.values.getlist(p)]
    chosen = negotiation.choose(kind, request.headers.get("Accept"), requested)
    if chosen is None:
        asked = ", ".join(requested) if requested else request.headers.get("Accept", "")
        raise NotAcceptable(
            f"cannot send a {kind} answer as {asked}; "
            f"available: {', '.join(negotiation.names(kind))}"
        )
    answer = current_store().query_serialized(
        guard.capped(guard.with_base(operation.text, request.base_url), settings.max_rows),
        [chosen.media_type],
        default_graph_uris=operation.default_graphs,
        named_graph_uris=operation.named_graphs,
        timeout=settings.query_timeout,
    )
    response = Response(answer.body, content_type=f"{answer.media_type}; charset=utf-8")
    response.headers["X-TrialKG-Row-Limit"] = str(settings.max_rows)
    return response


def run_update(operation: Operation) -> Response:
    settings = current_settings()
    if not settings.update_token:
        raise Refused("this endpoint is read-only: SPARQL Update is disabled")
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {settings.update_token}".encode()):
        response = Response(
            "Unauthorized: SPARQL Update needs the header 'Authorization: Bearer <token>'\n",
            status=401,
            mimetype="text/plain",
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="trialkg"'
        return response
    guard.check_outbound(
        operation.text, allow_service=settings.allow_service, allow_load=settings.allow_load
    )
    text = guard.with_using(operation.text, operation.default_graphs, operation.named_graphs)
    current_store().update(guard.with_base(text, request.base_url))
    forget_statistics()
    return Response(status=204)
