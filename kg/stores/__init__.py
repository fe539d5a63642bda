"""The store backends by name (``STORES``) and ``open_store``, which picks one from a location.

A location is what a user types: ``memory:`` (or ``:memory:``) for the in-memory store, an
``http(s)://`` SPARQL query endpoint for a remote store, any other string a directory for the
embedded Oxigraph store, and ``None`` the ``TRIALKG_STORE`` variable or else the user's data
directory. Backends are imported only when opened, so importing this package stays cheap (query
worker processes import it too).

>>> store = open_store("memory:")
>>> type(store).__name__, len(store)
('MemoryStore', 0)
>>> sorted(STORES)
['memory', 'oxigraph', 'remote']
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kg.errors import ConfigError
from kg.stores.base import QueryResult, Serialized, Store

STORE_ENV = "TRIALKG_STORE"
MEMORY_LOCATIONS = frozenset({"memory:", ":memory:"})


def _memory(location: str, **options: Any) -> Store:
    from kg.stores.memory import MemoryStore

    return MemoryStore(**options)


def _oxigraph(location: str, **options: Any) -> Store:
    from kg.stores.oxigraph import OxigraphStore

    return OxigraphStore(location, **options)


def _remote(location: str, **options: Any) -> Store:
    from kg.stores.remote import RemoteStore

    return RemoteStore(location, **options)


# name -> factory(location, **options); add a backend here and ``open_store`` can pick it.
STORES: dict[str, Callable[..., Store]] = {
    "memory": _memory,
    "oxigraph": _oxigraph,
    "remote": _remote,
}


def default_location() -> str | Path:
    """``$TRIALKG_STORE`` if set (a path, URL or ``memory:``, kept as typed), else
    ``<user data dir>/trialkg/store``."""
    configured = os.environ.get(STORE_ENV)
    if configured:
        return configured
    from platformdirs import user_data_dir

    return Path(user_data_dir("trialkg")) / "store"


def backend_for(location: str) -> str:
    """The ``STORES`` name that serves a location.

    >>> backend_for("memory:"), backend_for("https://example.org/sparql"), backend_for("data/kg")
    ('memory', 'remote', 'oxigraph')
    """
    if location in MEMORY_LOCATIONS:
        return "memory"
    if location.startswith(("http://", "https://")):
        return "remote"
    return "oxigraph"


def open_store(location: str | Path | None = None, **options: Any) -> Store:
    """Open the store at ``location`` (see the module docstring); ``options`` go to the backend,
    e.g. ``read_only=True``/``workers=4`` for the embedded store or ``update_endpoint=...`` for a
    remote one."""
    if location is None:
        location = default_location()
    text = str(location)
    if not text.strip():
        raise ConfigError(f"empty store location; set {STORE_ENV} or pass a path, URL or 'memory:'")
    return STORES[backend_for(text)](text, **options)


__all__ = [
    "MEMORY_LOCATIONS",
    "STORES",
    "STORE_ENV",
    "QueryResult",
    "Serialized",
    "Store",
    "backend_for",
    "default_location",
    "open_store",
]
