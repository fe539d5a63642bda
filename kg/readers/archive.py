"""Walk inputs (files, directories, zip archives, gzip) as named byte streams, never extracting.

A directory is walked recursively in sorted order; a zip archive is read member by member
straight from the archive (``AllPublicXML.zip``, ``ctg-studies.json.zip``); a ``.gz`` file is
decompressed on the fly. A zip member whose name is absolute or climbs out with ``..`` is
refused and reported, never opened: readers only ever stream bytes, but the report tells the
user their archive holds something suspicious.
"""

from __future__ import annotations

import gzip
import os
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from kg.errors import RecordError

SNIFF_BYTES = 4096
READ_ERRORS: tuple[type[Exception], ...] = (OSError, EOFError, zlib.error, zipfile.BadZipFile)
"""What reading a damaged file, gzip stream or zip member raises (bad CRC, truncated deflate)."""


@dataclass(frozen=True)
class Entry:
    """One readable thing: a file on disk, or a member of a zip archive (``path`` is the zip)."""

    path: Path
    member: str | None = None
    archive: zipfile.ZipFile | None = None

    @property
    def name(self) -> str:
        """The file or member name, as written."""
        return self.member if self.member is not None else self.path.name

    @property
    def label(self) -> str:
        """``path`` or ``path:member``: how errors name this entry."""
        return f"{self.path}:{self.member}" if self.member is not None else str(self.path)

    @property
    def compressed(self) -> bool:
        return self.name.lower().endswith(".gz")

    @property
    def suffix(self) -> str:
        """The lower-case format suffix, looking through ``.gz``: ``a.ndjson.gz`` -> ``.ndjson``."""
        name = self.name.lower()
        if name.endswith(".gz"):
            name = name[:-3]
        dot = name.rfind(".")
        return name[dot:] if dot > name.rfind("/") else ""

    @property
    def size(self) -> int | None:
        """The content's size in bytes when known without reading it (not for ``.gz``)."""
        if self.compressed:
            return None
        if self.archive is not None and self.member is not None:
            return self.archive.getinfo(self.member).file_size
        try:
            return self.path.stat().st_size
        except OSError:
            return None

    def open(self) -> BinaryIO:
        """A binary stream of the (decompressed) content; seekable, so readers may rewind once."""
        raw: BinaryIO
        if self.archive is not None and self.member is not None:
            raw = self.archive.open(self.member)  # type: ignore[assignment]
        else:
            raw = self.path.open("rb")
        if self.compressed:
            return _GzipOwning(raw)  # type: ignore[return-value]
        return raw

    def head(self, size: int = SNIFF_BYTES) -> bytes:
        """The first bytes of the content, for content sniffing."""
        with self.open() as stream:
            return stream.read(size)


class _GzipOwning(gzip.GzipFile):
    """A gzip reader that also closes the stream it decompresses (GzipFile leaves it open)."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__(fileobj=raw, mode="rb")
        self._raw = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


def unsafe_member(name: str) -> str | None:
    """Why a zip member name is refused (absolute, drive letter, ``..``), or None when it is fine.

    >>> unsafe_member("studies/NCT00000102.json") is None
    True
    >>> unsafe_member("../evil.json"), unsafe_member("/abs.json")
    ('its name climbs out of the archive with ..', 'its name is an absolute path')
    """
    posix = name.replace("\\", "/")
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":"):
        return "its name is an absolute path"
    if ".." in PurePosixPath(posix).parts:
        return "its name climbs out of the archive with .."
    return None


def iter_entries(path: str | Path) -> Iterator[Entry | RecordError]:
    """Every entry under ``path`` in a stable order; problems with the input come as RecordErrors.

    An entry from a zip is only valid until the next one is requested (the archive is closed
    when the walk ends), so consume each before advancing.
    """
    path = Path(path)
    if path.is_dir():
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                yield from _file_entries(Path(root, name))
    elif path.is_file():
        yield from _file_entries(path)
    else:
        yield RecordError(str(path), "no such file or directory")


def read_matching(
    path: str | Path,
    suffixes: tuple[str, ...],
    read_entry: Callable[[Entry], Iterator[Any]],
    what: str,
    hint: str | None = None,
) -> Iterator[Any]:
    """A reader's ``read``: its records from every entry with one of its suffixes, and a
    RecordError (``not {what}``) for every other entry, so no file passes unmentioned."""
    for entry in iter_entries(path):
        if isinstance(entry, RecordError):
            yield entry
        elif entry.suffix in suffixes:
            yield from read_entry(entry)
        else:
            reason = f"not {what} (suffix {entry.suffix or 'none'!r}); skipped"
            yield RecordError(entry.label, reason, hint=hint)


def _file_entries(path: Path) -> Iterator[Entry | RecordError]:
    if path.suffix.lower() == ".zip":
        yield from _zip_entries(path)
    else:
        yield Entry(path)


def _zip_entries(path: Path) -> Iterator[Entry | RecordError]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield RecordError(str(path), f"not a readable zip archive: {exc}")
        return
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            why = unsafe_member(info.filename)
            if why:
                yield RecordError(
                    f"{path}:{info.filename}",
                    f"zip entry refused and skipped: {why}",
                    hint="rebuild the archive with relative member names",
                )
                continue
            if info.filename.lower().endswith(".zip"):
                yield RecordError(
                    f"{path}:{info.filename}",
                    "nested zip archives are not read; skipped",
                    hint="unpack the inner archive and pass it on its own",
                )
                continue
            yield Entry(path, info.filename, archive)
