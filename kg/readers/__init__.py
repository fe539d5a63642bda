"""Input formats: the Reader protocol, the READERS registry, and read_paths() dispatching to them.

Each reader turns one format into :class:`kg.model.Trial` objects and never touches RDF. A
reader yields ``Trial | RecordError``: one bad record is reported and the batch goes on, and
every record read ends as exactly one of the two (nothing is dropped silently).

Adding a format: write a module with a class satisfying :class:`Reader` and add an instance to
``READERS``; ``read_paths`` and the CLI's ``--format`` choice pick it up from there.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from kg.errors import ConfigError, RecordError
from kg.model import Trial
from kg.readers.archive import READ_ERRORS, Entry, iter_entries
from kg.readers.ctgov_json import CtgovJsonReader
from kg.readers.ctgov_xml import CtgovXmlReader
from kg.readers.trial_card import TrialCardReader

Result = Trial | RecordError


@runtime_checkable
class Reader(Protocol):
    """One input format."""

    name: str
    """The registry key, also the ``Source.format`` of the trials it reads."""
    suffixes: tuple[str, ...]
    """Lower-case suffixes it claims, looking through ``.gz``: ``(".json", ".ndjson")``."""

    def sniff(self, head: bytes) -> bool:
        """Whether content starting with ``head`` looks like this format (for unknown suffixes)."""
        ...

    def read(self, path: Path) -> Iterator[Result]:
        """Every record under ``path``: a file, a directory or a zip archive."""
        ...

    def read_entry(self, entry: Entry) -> Iterator[Result]:
        """Every record of one file or zip member."""
        ...


READERS: dict[str, Reader] = {
    reader.name: reader for reader in (CtgovJsonReader(), CtgovXmlReader(), TrialCardReader())
}
"""Name -> reader, in the order formats are tried when sniffing."""


def reader_for(entry: Entry) -> Reader | None:
    """The reader claiming ``entry`` by suffix, else by sniffing its first bytes; else None."""
    for reader in READERS.values():
        if entry.suffix in reader.suffixes:
            return reader
    try:
        head = entry.head()
    except READ_ERRORS:
        return None
    for reader in READERS.values():
        if reader.sniff(head):
            return reader
    return None


def read_paths(paths: Iterable[str | Path], fmt: str | None = None) -> Iterator[Result]:
    """Trials and record errors from files, directories and zip archives, in a stable order.

    Directories are walked recursively and zips read member by member (no extraction); each
    file or member goes to the reader of ``fmt`` when given, else to the reader its suffix or
    content names. Files no reader claims are reported as RecordErrors, not skipped in silence.
    """
    if fmt is not None and fmt not in READERS:
        known = ", ".join(READERS)
        raise ConfigError(f"unknown input format {fmt!r} (one of: {known})")
    forced = READERS[fmt] if fmt is not None else None
    for path in paths:
        for entry in iter_entries(path):
            if isinstance(entry, RecordError):
                yield entry
                continue
            reader = forced or reader_for(entry)
            if reader is None:
                yield RecordError(
                    entry.label,
                    "not a trial record in any known format; skipped",
                    hint=f"known formats: {', '.join(READERS)}",
                )
                continue
            yield from reader.read_entry(entry)


__all__ = ["READERS", "Entry", "Reader", "Result", "read_paths", "reader_for"]
