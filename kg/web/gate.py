"""Admission control: at most N queries run at once, admitted strictly in arrival order.

Without it, a burst of clients races for the store's query slots and the unlucky ones wait far
longer than the rest (a bad p99); with it, every request waits its turn and the time spent
waiting counts against the query's time limit.

>>> gate = Gate(1)
>>> with gate.admitted(timeout=1.0) as remaining:
...     0.9 < remaining <= 1.0
True
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kg.errors import QueryTimeout
from kg.stores.base import Store


class Gate:
    """``slots`` holders at once; a freed slot is handed to the longest waiter, never barged."""

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("a gate needs at least one slot")
        self._slots = slots
        self._busy = 0
        self._waiting: deque[threading.Event] = deque()
        self._lock = threading.Lock()

    @contextmanager
    def admitted(self, timeout: float) -> Iterator[float]:
        """Hold a slot for the ``with`` block; yields the seconds left of ``timeout``.

        ``QueryTimeout`` if no slot frees up within ``timeout``.
        """
        start = time.monotonic()
        turn: threading.Event | None = None
        with self._lock:
            if self._busy < self._slots and not self._waiting:
                self._busy += 1
            else:
                turn = threading.Event()
                self._waiting.append(turn)
        if turn is not None and not turn.wait(timeout):
            with self._lock:
                if turn in self._waiting:  # still queued: give up our place
                    self._waiting.remove(turn)
                    raise QueryTimeout(
                        f"query not started within its {timeout:g} s time limit: "
                        "the endpoint is busy, try again later"
                    )
            # handed a slot just as the wait ran out: use it
        try:
            yield max(timeout - (time.monotonic() - start), 0.001)
        finally:
            with self._lock:
                if self._waiting:
                    self._waiting.popleft().set()  # the slot passes straight to the next
                else:
                    self._busy -= 1


class GatedStore:
    """The app's store with every timed query passing through a :class:`Gate` first.

    Not another backend: it forwards everything to the store it wraps, so each blueprint's
    ``store.query(..., timeout=t)`` waits its turn and spends at most ``t`` seconds in all.
    """

    def __init__(self, store: Store, gate: Gate) -> None:
        self._store = store
        self._gate = gate

    def query(self, sparql: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        if timeout is None:
            return self._store.query(sparql, *args, **kwargs)
        with self._gate.admitted(timeout) as remaining, _limit_named(timeout):
            return self._store.query(sparql, *args, timeout=remaining, **kwargs)

    def query_serialized(
        self, sparql: str, *args: Any, timeout: float | None = None, **kwargs: Any
    ) -> Any:
        if timeout is None:
            return self._store.query_serialized(sparql, *args, **kwargs)
        with self._gate.admitted(timeout) as remaining, _limit_named(timeout):
            return self._store.query_serialized(sparql, *args, timeout=remaining, **kwargs)

    def __len__(self) -> int:
        return len(self._store)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


@contextmanager
def _limit_named(timeout: float) -> Iterator[None]:
    """Report a timeout as the configured limit, not the remainder the store was given."""
    try:
        yield
    except QueryTimeout as stopped:
        raise QueryTimeout(f"query stopped after its {timeout:g} s time limit") from stopped
