"""A remote SPARQL 1.1 store (Fuseki, GraphDB, Virtuoso, Neptune, QLever, ``oxigraph serve``…).

Queries go over the SPARQL 1.1 Protocol (POST ``application/sparql-query``; ``default-graph-uri``
/ ``named-graph-uri`` as URL parameters). Writes go as SPARQL 1.1 Update, one request per call:
``replace_graphs`` sends ``DROP SILENT GRAPH <g> ; … INSERT DATA { GRAPH <g> {…} … }`` as a
single request, which servers apply as one transaction (Fuseki, GraphDB, Oxigraph do; check
yours). Dumps and loads use the Graph Store Protocol when its endpoint is known, else SPARQL.

Bindings travel as a trailing ``VALUES`` block of terms written by
:func:`kg.stores.terms.to_sparql`; nothing is spliced.

Endpoints: ``…/query`` (Oxigraph, Fuseki) implies ``…/update`` for updates and, for Oxigraph,
``…/store`` for the Graph Store Protocol; pass ``update_endpoint=``/``store_endpoint=`` for other
layouts. The server must offer a union default graph (``oxigraph serve --union-default-graph``,
Fuseki ``tdb2:unionDefaultGraph true``) for ``SELECT ?s WHERE { ?s ?p ?o }`` to see every trial.
A ``timeout`` stops waiting on the client side only: the server may go on computing. Set the
server's own limit where it has one (Fuseki ``arq:queryTimeout``, GraphDB, Virtuoso); note that
``oxigraph serve --timeout-s`` (0.5.13) did not stop a ``COUNT`` over a cartesian product here.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, BinaryIO

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from kg.errors import QueryError, QueryTimeout, StoreError
from kg.stores import syntax
from kg.stores.base import Quad, QueryResult, Serialized, Term, Triple
from kg.stores.bindings import with_values
from kg.stores.media import QUAD_SYNTAXES, RDF_SYNTAXES, choose, essence
from kg.stores.terms import check_iri, to_sparql

_RESULTS_JSON = "application/sparql-results+json"
_INSERT_CHUNK = 50_000


class RemoteStore:
    """A Store behind a SPARQL 1.1 query endpoint (and its update / graph store endpoints)."""

    def __init__(
        self,
        endpoint: str,
        *,
        update_endpoint: str | None = None,
        store_endpoint: str | None = None,
        use_graph_store: bool = True,
        timeout: float | None = 300.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.endpoint = endpoint
        base = endpoint[: -len("/query")] if endpoint.endswith("/query") else None
        self.update_endpoint = update_endpoint or (f"{base}/update" if base else endpoint)
        guessed = f"{base}/store" if base else None
        self.store_endpoint = (store_endpoint or guessed) if use_graph_store else None
        self.timeout = timeout
        self.headers = dict(headers or {})

    # -- HTTP ------------------------------------------------------------------------------

    def _request(
        self,
        url: str,
        body: bytes | None,
        content_type: str | None,
        accept: str | None = None,
        timeout: float | None = None,
        method: str = "POST",
    ) -> tuple[bytes, str]:
        limit = timeout if timeout is not None else self.timeout
        headers = dict(self.headers)
        if content_type:
            headers["Content-Type"] = content_type
        if accept:
            headers["Accept"] = accept
        if not url.startswith(("http://", "https://")):
            raise StoreError(f"{url}: not an http(s) URL")
        request = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310
        deadline = None if limit is None else time.monotonic() + limit
        try:
            with urllib.request.urlopen(request, timeout=limit) as response:  # noqa: S310
                chunks = []
                while chunk := response.read(1 << 16):
                    chunks.append(chunk)
                    if deadline is not None and time.monotonic() > deadline:
                        raise QueryTimeout(f"{url}: answer still arriving after {limit:g} s")
                return b"".join(chunks), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            message = error.read().decode("utf-8", "replace").strip()
            if "timeout" in message.lower() or error.code in (503, 504):
                raise QueryTimeout(f"{url}: the server stopped the query: {message}") from error
            if error.code == 400:
                raise QueryError(f"{url}: {message}") from error
            raise StoreError(f"{url}: HTTP {error.code}: {message}") from error
        except TimeoutError as error:
            raise QueryTimeout(f"{url}: no answer within the {limit:g} s time limit") from error
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise QueryTimeout(f"{url}: no answer within {limit:g} s") from error
            raise StoreError(f"{url}: cannot reach the SPARQL endpoint: {error.reason}") from error

    def _query_url(self, default_graph_uris: Sequence[str], named_graph_uris: Sequence[str]) -> str:
        params = [("default-graph-uri", g) for g in default_graph_uris]
        params += [("named-graph-uri", g) for g in named_graph_uris]
        if not params:
            return self.endpoint
        separator = "&" if "?" in self.endpoint else "?"
        return f"{self.endpoint}{separator}{urllib.parse.urlencode(params)}"

    def _post_query(
        self,
        sparql: str,
        bindings: Mapping[str, Term] | None,
        accept: str,
        default_graph_uris: Sequence[str],
        named_graph_uris: Sequence[str],
        timeout: float | None,
    ) -> tuple[bytes, str]:
        text = with_values(sparql, bindings)
        url = self._query_url(default_graph_uris, named_graph_uris)
        return self._request(url, text.encode(), "application/sparql-query", accept, timeout)

    # -- writing ---------------------------------------------------------------------------

    def update(self, sparql: str) -> None:
        self._request(self.update_endpoint, sparql.encode(), "application/sparql-update")

    def replace_graphs(self, graphs: Mapping[URIRef, Iterable[Triple]]) -> None:
        drops: list[str] = []
        inserts: list[str] = []
        for name, triples in graphs.items():
            g = to_sparql(URIRef(name))
            drops.append(f"DROP SILENT GRAPH {g}")
            body = "\n".join(
                f"{to_sparql(s)} {to_sparql(p)} {to_sparql(o)} ." for s, p, o in triples
            )
            if body:
                inserts.append(f"GRAPH {g} {{\n{body}\n}}")
        if not drops:
            return
        operations = drops + ([f"INSERT DATA {{\n{chr(10).join(inserts)}\n}}"] if inserts else [])
        self.update(" ;\n".join(operations))

    def remove_graphs(self, graphs: Iterable[URIRef]) -> None:
        drops = [f"DROP SILENT GRAPH {to_sparql(URIRef(g))}" for g in graphs]
        if drops:
            self.update(" ;\n".join(drops))

    def load(self, data: BinaryIO, media_type: str, graph: URIRef | None = None) -> None:
        if self.store_endpoint:
            target = self._graph_url(graph) if graph is not None else self.store_endpoint
            self._request(target, data.read(), essence(media_type))
            return
        chunk: list[str] = []
        for s, p, o, g in syntax.read(data, media_type, graph):
            statement = f"{to_sparql(s)} {to_sparql(p)} {to_sparql(o)} ."
            chunk.append(statement if g is None else f"GRAPH {to_sparql(g)} {{ {statement} }}")
            if len(chunk) >= _INSERT_CHUNK:
                self.update("INSERT DATA {\n" + "\n".join(chunk) + "\n}")
                chunk = []
        if chunk:
            self.update("INSERT DATA {\n" + "\n".join(chunk) + "\n}")

    def _graph_url(self, graph: URIRef) -> str:
        assert self.store_endpoint is not None
        separator = "&" if "?" in self.store_endpoint else "?"
        query = urllib.parse.urlencode({"graph": check_iri(str(graph))})
        return f"{self.store_endpoint}{separator}{query}"

    def flush(self) -> None:
        """Nothing to do: the server decides durability."""

    def close(self) -> None:
        """Nothing to release: every call is its own HTTP request."""

    # -- reading ---------------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        bindings: Mapping[str, Term] | None = None,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
    ) -> QueryResult:
        accept = f"{_RESULTS_JSON}, application/n-triples;q=0.9"
        body, content_type = self._post_query(
            sparql, bindings, accept, default_graph_uris, named_graph_uris, timeout
        )
        media = essence(content_type)
        if media in RDF_SYNTAXES:
            triples = ((s, p, o) for s, p, o, _ in syntax.read(body, media))
            return QueryResult(kind="graph", triples=triples)
        if media != _RESULTS_JSON:
            raise StoreError(f"{self.endpoint}: unexpected answer type {content_type!r}")
        return _json_result(json.loads(body))

    def query_serialized(
        self,
        sparql: str,
        media_types: str | Sequence[str],
        bindings: Mapping[str, Term] | None = None,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
    ) -> Serialized:
        accepted = [media_types] if isinstance(media_types, str) else list(media_types)
        # the server picks by query form; the kinds' defaults come last as a fallback
        fallback = [choose([], "bindings"), choose([], "graph")]
        accept = ", ".join(
            f"{m};q={max(0.1, 1 - i / 10):.1f}" for i, m in enumerate(accepted + fallback)
        )
        body, content_type = self._post_query(
            sparql, bindings, accept, default_graph_uris, named_graph_uris, timeout
        )
        media = essence(content_type)
        if media in RDF_SYNTAXES:
            return Serialized(body, media, "graph")
        return Serialized(body, media, "boolean" if _is_boolean(body, media) else "bindings")

    def graph_names(self) -> Iterator[URIRef]:
        answer = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return (g for g in answer.values("g") if isinstance(g, URIRef))

    def triples(self, graph: URIRef | None = None) -> Iterator[Quad]:
        bindings = None if graph is None else {"g": URIRef(graph)}
        answer = self.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }", bindings)
        return (row for row in answer.rows)  # type: ignore[misc]

    def __len__(self) -> int:
        answer = self.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return int(answer.values("n")[0])

    def dump(self, out: BinaryIO, media_type: str, graph: URIRef | None = None) -> None:
        media = essence(media_type)
        if self.store_endpoint and (graph is not None or media in QUAD_SYNTAXES):
            target = self._graph_url(graph) if graph is not None else self.store_endpoint
            body, _ = self._request(target, None, None, accept=media, method="GET")
            out.write(body)
            return
        syntax.write(self.triples(graph), media, out)


def _is_boolean(body: bytes, media: str) -> bool:
    """Whether a SPARQL results document answers an ASK (such answers are a few bytes long)."""
    if len(body) > 1000:
        return False
    if media == _RESULTS_JSON:
        return "boolean" in json.loads(body)
    return media.endswith("xml") and b"<boolean>" in body


def _json_term(value: Mapping[str, Any]) -> Term:
    kind = value["type"]
    if kind == "uri":
        return URIRef(value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    if "xml:lang" in value:
        return Literal(value["value"], lang=value["xml:lang"])
    datatype = value.get("datatype")
    if datatype is None or datatype == str(XSD.string):
        return Literal(value["value"])
    return Literal(value["value"], datatype=URIRef(datatype))


def _json_result(answer: Mapping[str, Any]) -> QueryResult:
    if "boolean" in answer:
        return QueryResult(kind="boolean", boolean=bool(answer["boolean"]))
    variables = list(answer["head"].get("vars", []))
    rows = (
        tuple(_json_term(b[v]) if v in b else None for v in variables)
        for b in answer["results"]["bindings"]
    )
    return QueryResult(kind="bindings", variables=variables, rows=rows)


__all__ = ["RemoteStore"]
