"""Read ClinicalTrials.gov API v2 JSON into Trials, streaming; one bad record never stops the batch.

Accepted shapes, each also gzip-compressed (``.json.gz``, ``.ndjson.gz``), on disk, in a
directory or as members of a zip (the bulk ``ctg-studies.json.zip`` holds one study per member):

- one study object (``GET /api/v2/studies/{nctId}``),
- a page ``{"studies": [...], "nextPageToken": ...}`` (``GET /api/v2/studies``),
- a JSON array of studies (the website's ``ctg-studies.json`` download),
- NDJSON / JSON Lines (``.ndjson``, ``.jsonl``, or a ``.json`` whose second document starts
  a new line): one study per line.

Inputs up to ``FAST_LIMIT`` bytes are parsed in one go with orjson; bigger ones are streamed
with ijson (``studies.item`` / ``item``), so a multi-gigabyte download never sits in memory.
Field paths in errors are the API's own (``protocolSection.designModule.phases[0]``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import ijson
import orjson

from kg.errors import RecordError
from kg.model import Source, Trial
from kg.readers.archive import READ_ERRORS, Entry, read_matching
from kg.readers.ctgov_study import study_to_trial

FORMAT = "ctgov-json"
FAST_LIMIT = 32 * 1024 * 1024
"""Inputs up to this many bytes are parsed whole (fast); larger ones are streamed."""

LINE_SUFFIXES = (".ndjson", ".jsonl")
_STUDY_KEYS = frozenset(
    {"protocolSection", "derivedSection", "hasResults", "resultsSection", "documentSection"}
)
_BOM = b"\xef\xbb\xbf"

Result = Trial | RecordError


class CtgovJsonReader:
    """The ``ctgov-json`` reader: API v2 study objects, pages, arrays and NDJSON."""

    name = FORMAT
    suffixes: tuple[str, ...] = (".json", *LINE_SUFFIXES)

    def sniff(self, head: bytes) -> bool:
        """True when the content starts like JSON (``{`` or ``[``)."""
        return head.lstrip(_BOM + b" \t\r\n")[:1] in (b"{", b"[")

    def read(self, path: Path) -> Iterator[Result]:
        """Every study under ``path`` (file, gzip, directory or zip); other files are reported."""
        return read_matching(
            path,
            self.suffixes,
            self.read_entry,
            "a JSON file",
            hint="pass .json, .ndjson or .jsonl files, optionally gzip-compressed",
        )

    def read_entry(self, entry: Entry) -> Iterator[Result]:
        """The studies of one file or zip member."""
        try:
            stream = entry.open()
        except READ_ERRORS as exc:
            yield RecordError(entry.label, f"cannot be opened: {exc}")
            return
        with stream:
            try:
                if entry.suffix in LINE_SUFFIXES:
                    yield from _read_lines(stream, entry)
                else:
                    yield from _read_document(stream, entry)
            except READ_ERRORS as exc:  # corrupt gzip or zip member
                yield RecordError(entry.label, f"cannot be read: {exc}")


# --------------------------------------------------------------------------- documents


def _source(entry: Entry, where: str | None) -> Source:
    if entry.member is not None:
        where = f"{entry.member}:{where}" if where else entry.member
    return Source(path=str(entry.path), format=FORMAT, entry=where)


def _read_lines(stream: BinaryIO, entry: Entry) -> Iterator[Result]:
    seen = False
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        seen = True
        source = _source(entry, f"line {number}")
        try:
            study = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield RecordError(str(source), f"invalid JSON at column {exc.colno}: {exc.msg}")
            continue
        yield study_to_trial(study, source)
    if not seen:
        yield RecordError(entry.label, "empty file")


def _read_head(stream: BinaryIO, entry: Entry) -> bytes:
    """The whole content when it is at most FAST_LIMIT bytes, else the first FAST_LIMIT + 1.

    Sized reads avoid asking for FAST_LIMIT bytes up front, which costs a 32 MiB allocation
    per file; content of unknown size (gzip) is read in 1 MiB blocks.
    """
    size = entry.size
    if size is not None and size <= FAST_LIMIT:
        return stream.read()
    chunks: list[bytes] = []
    total = 0
    while total <= FAST_LIMIT:
        chunk = stream.read(1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _read_document(stream: BinaryIO, entry: Entry) -> Iterator[Result]:
    data = _read_head(stream, entry)
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    if not data.strip():
        yield RecordError(entry.label, "empty file")
        return
    if len(data) <= FAST_LIMIT:
        yield from _read_bytes(data, entry)
    else:
        del data
        yield from _stream_document(stream, entry)


def _read_bytes(data: bytes, entry: Entry) -> Iterator[Result]:
    """A whole document parsed at once (orjson)."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if exc.colno == 1 and exc.lineno == 2 and _is_json(data.split(b"\n", 1)[0]):
            # one document per line under a .json name: NDJSON after all
            yield from _read_lines(io.BytesIO(data), entry)
            return
        yield RecordError(
            entry.label,
            f"invalid JSON at line {exc.lineno}, column {exc.colno} (byte {exc.pos}): {exc.msg}",
            hint="the file may be truncated; download it again",
        )
        return
    yield from _read_parsed(document, entry)


def _is_json(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _read_parsed(document: Any, entry: Entry) -> Iterator[Result]:
    if isinstance(document, dict) and "studies" in document:
        studies = document["studies"]
        if not isinstance(studies, list):
            yield RecordError(entry.label, "'studies' is not a list", field="studies")
            return
        for index, study in enumerate(studies):
            yield study_to_trial(study, _source(entry, f"studies[{index}]"))
    elif isinstance(document, list):
        for index, study in enumerate(document):
            yield study_to_trial(study, _source(entry, f"[{index}]"))
    else:
        yield study_to_trial(document, _source(entry, None))


def _stream_document(stream: BinaryIO, entry: Entry) -> Iterator[Result]:
    """A document too big to parse whole: stream the studies of a page or an array."""
    stream.seek(0)
    first = stream.read(64).lstrip(_BOM + b" \t\r\n")[:1]
    stream.seek(0)
    if first == b"[":
        prefix, where = "item", "[{}]"
    elif first == b"{" and _is_page(stream):
        prefix, where = "studies.item", "studies[{}]"
    elif first == b"{":  # one enormous study object
        stream.seek(0)
        yield from _read_bytes(stream.read().removeprefix(_BOM), entry)
        return
    else:
        yield RecordError(entry.label, f"not JSON: starts with {first!r}")
        return
    stream.seek(0)
    count = 0
    try:
        for study in ijson.items(stream, prefix, use_float=True):
            yield study_to_trial(study, _source(entry, where.format(count)))
            count += 1
    except ijson.JSONError as exc:
        message = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        try:
            position = f", before byte {stream.tell()}"  # the parser reads ahead in blocks
        except (OSError, ValueError):
            position = ""
        yield RecordError(
            entry.label,
            f"invalid JSON after {count} studies{position}: {message}",
            hint="the file may be truncated; the studies before this point were read",
        )


def _is_page(stream: BinaryIO) -> bool:
    """Whether the top-level object is a page (has ``studies``) rather than one study."""
    try:
        for prefix, event, value in ijson.parse(stream):
            if prefix == "" and event == "map_key":
                if value == "studies":
                    return True
                if value in _STUDY_KEYS:
                    return False
    except ijson.JSONError:
        return True  # let the streaming pass report the parser's message
    return False


__all__ = ["CtgovJsonReader", "study_to_trial"]
