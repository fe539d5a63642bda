"""The endpoint's configuration: one frozen dataclass built from arguments and TRIALKG_* variables.

Nothing here reads the environment at import; :meth:`Settings.from_env` does, when asked.
Defaults are the safe ones: read-only, no SERVICE, no LOAD, a 30 s query limit.

>>> s = Settings.from_env({"TRIALKG_QUERY_TIMEOUT": "5", "TRIALKG_ALLOW_SERVICE": "yes"})
>>> s.query_timeout, s.allow_service, s.allow_load
(5.0, True, False)
>>> Settings.from_env({}, query_timeout=2).query_timeout
2.0
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from kg.errors import ConfigError
from kg.vocab import DEFAULT_BASE

PREFIX = "TRIALKG_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Settings:
    """What the web app needs to know; every field maps to ``TRIALKG_<FIELD>`` in upper case."""

    store: str | None = None  # a location for kg.stores.open_store; None = in-memory
    base: str = DEFAULT_BASE  # the IRI base TrialKG mints under (TRIALKG_BASE, as the CLI)
    query_timeout: float = 30.0  # seconds; a query running longer is stopped
    max_rows: int = 100_000  # result rows returned at most (the rest is cut, with a header)
    max_request_bytes: int = 1_000_000  # bodies and query strings beyond this get 413
    update_token: str | None = None  # SPARQL Update accepted only with this bearer token
    allow_service: bool = False  # federated SERVICE makes outbound requests: off by default
    allow_load: bool = False  # LOAD <url> in updates fetches from the network: off by default
    cors: bool = True  # Access-Control-Allow-Origin: * on the public read endpoints
    # queries evaluated at once (at least 2, so one runaway query never blocks the rest);
    # more wait their turn in arrival order (see kg.web.gate)
    concurrent_queries: int = field(default_factory=lambda: max(2, os.cpu_count() or 2))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``TRIALKG_*`` variables, then ``overrides`` (``None`` values ignored)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = _convert(f.name, f.type, raw)
        settings = cls(**values)
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **given)._checked()

    def _checked(self) -> Settings:
        converted = {
            "query_timeout": float(self.query_timeout),
            "max_rows": int(self.max_rows),
            "max_request_bytes": int(self.max_request_bytes),
            "concurrent_queries": int(self.concurrent_queries),
        }
        for name, value in converted.items():
            if value <= 0:
                raise ConfigError(f"setting {name} ({PREFIX}{name.upper()}) must be positive")
        return replace(self, **converted)


def _convert(name: str, type_: Any, raw: str) -> Any:
    variable = PREFIX + name.upper()
    kind = str(type_)
    try:
        if kind == "bool":
            lowered = raw.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise ValueError(raw)
        if kind == "float":
            return float(raw)
        if kind == "int":
            return int(raw)
    except ValueError:
        raise ConfigError(
            f"environment variable {variable}={raw!r} is not a valid {kind}"
        ) from None
    return raw or None
