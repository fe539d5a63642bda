"""A readers-writer lock: many queries at once, or one write alone.

Backends whose readers cannot see a write safely while it happens (rdflib's memory store
iterating a dict being changed; worker processes reading an on-disk snapshot) take ``reading()``
around a query and ``writing()`` around a write. Writers are preferred: once a writer waits, new
readers queue behind it, so a stream of queries cannot starve an ingest.

>>> lock = ReadWriteLock()
>>> with lock.reading(), lock.reading():
...     pass
>>> with lock.writing():
...     pass
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ReadWriteLock:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting_writers = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._waiting_writers:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            self._waiting_writers += 1
            try:
                while self._writer or self._readers:
                    self._cond.wait()
            finally:
                self._waiting_writers -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


__all__ = ["ReadWriteLock"]
