"""What a request handler may reach: the running app's store and settings, typed.

Blueprints call :func:`current_store` and :func:`current_settings` instead of digging in
``current_app.extensions``; ``create_app`` is the only writer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from kg.stores.base import Store
from kg.web.gate import Gate, GatedStore
from kg.web.settings import Settings

_KEY = "trialkg"


@dataclass(frozen=True)
class WebState:
    settings: Settings
    store: Store
    cache: dict[str, Any] = field(default_factory=dict)  # per-app memo (statistics)


def attach(app: Flask, settings: Settings, store: Store) -> None:
    """Give ``app`` its settings and store (called once, by ``create_app``)."""
    # Every timed query of every blueprint waits its turn at one gate (see kg.web.gate).
    gated = GatedStore(store, Gate(settings.concurrent_queries))
    app.extensions[_KEY] = WebState(settings, gated)  # type: ignore[arg-type]


def current_state() -> WebState:
    return current_app.extensions[_KEY]


def current_store() -> Store:
    """The store of the app handling this request."""
    return current_state().store


def current_settings() -> Settings:
    """The settings of the app handling this request."""
    return current_state().settings
