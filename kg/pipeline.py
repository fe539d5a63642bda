"""Read -> map -> link -> validate -> store, for many records: the only place that knows the order.

Every record read ends in exactly one bucket: loaded (added or updated), unchanged (the same
version is already in the store), skipped as older than the loaded version, rejected by a SHACL
Violation (with the findings), or unreadable (with the reader's reason). ``Summary`` counts add up
to the number of records read, so nothing is dropped silently.

Writes go to the store in batches; each batch is one transaction, so a crash part-way leaves only
whole trials and a re-run finishes the job.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from rdflib import Literal, URIRef

from kg.errors import RecordError
from kg.mapper import MappedTrial, map_trial
from kg.model import Trial
from kg.readers import read_paths
from kg.resources import read_text
from kg.stores.base import Store
from kg.validation import VALIDATORS, Report, Validator
from kg.vocab import Iris

LinkFn = Callable[[Trial, Iris], list]


@dataclass
class Summary:
    """What an ingest or validate run did; the outcome counts add up to ``read``."""

    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_older: int = 0
    rejected: int = 0
    unreadable: int = 0
    warned: int = 0
    removed: int = 0
    triples: int = 0
    seconds: float = 0.0
    rejected_ids: list[str] = field(default_factory=list)
    changed_ids: list[str] = field(default_factory=list)  # added or updated, for kg.related

    @property
    def loaded(self) -> int:
        return self.added + self.updated

    def accounted(self) -> int:
        """Records that reached an outcome; equals ``read`` after a run."""
        return self.loaded + self.unchanged + self.skipped_older + self.rejected + self.unreadable

    def as_dict(self) -> dict[str, int | float]:
        return {
            "read": self.read,
            "loaded": self.loaded,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped_older": self.skipped_older,
            "rejected": self.rejected,
            "unreadable": self.unreadable,
            "warned": self.warned,
            "removed": self.removed,
            "triples": self.triples,
            "seconds": round(self.seconds, 3),
        }


class ReportWriter:
    """JSON lines for every unreadable, rejected and warned record.

    Each line names the file, the NCT id, the shape, the path, the value and the message.
    """

    def __init__(self, out: TextIO | None) -> None:
        self.out = out

    def unreadable(self, error: RecordError) -> None:
        self._write({"outcome": "unreadable", **error.as_dict()})

    def note(self, file: str, nct_id: str, message: str) -> None:
        """Something the reader read but could not place; the record itself still loads."""
        self._write(
            {
                "outcome": "noted",
                "file": file,
                "nct_id": nct_id,
                "severity": "Warning",
                "shape": "reader",
                "path": None,
                "value": None,
                "message": message,
                "focus": None,
            }
        )

    def findings(self, outcome: str, report: Report, file: str) -> None:
        for finding in report.findings:
            self._write(
                {
                    "outcome": outcome,
                    "file": file,
                    "nct_id": report.nct_id,
                    "severity": finding.severity,
                    "shape": finding.shape,
                    "path": finding.path,
                    "value": finding.value,
                    "message": finding.message,
                    "focus": finding.focus,
                }
            )

    def _write(self, record: dict) -> None:
        if self.out is not None:
            self.out.write(json.dumps(record, ensure_ascii=False) + "\n")


@dataclass
class Pipeline:
    """The ingest pipeline with its dependencies; one instance per run."""

    iris: Iris = field(default_factory=Iris)
    validator: Validator = field(default_factory=lambda: VALIDATORS["fast"]())
    link: LinkFn | None = None
    batch_size: int = 500
    report: ReportWriter = field(default_factory=lambda: ReportWriter(None))
    ingested_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def process(self, trial: Trial) -> tuple[MappedTrial, Report]:
        """Map, link and validate one trial (pure apart from the validator's caches)."""
        mapped = map_trial(trial, self.iris, ingested_at=self.ingested_at)
        if self.link is not None:
            extra = self.link(trial, self.iris)
            if extra:
                mapped = MappedTrial(mapped.nct_id, mapped.graph, [*mapped.triples, *extra])
        return mapped, self.validator.validate(mapped)

    def validate(
        self, paths: Iterable[str | Path], *, progress: Callable[[int], None] | None = None
    ) -> Summary:
        """Read, map and validate without a store: the outcome of each record, reported."""
        summary = Summary()
        start = time.perf_counter()
        for item in read_paths(paths):
            summary.read += 1
            if isinstance(item, RecordError):
                summary.unreadable += 1
                self.report.unreadable(item)
            else:
                mapped, report = self.process(item)
                self._judge(item, mapped, report, summary)
                if report.conforms:
                    summary.added += 1
                    summary.triples += len(mapped.triples)
            if progress:
                progress(1)
        summary.seconds = time.perf_counter() - start
        return summary

    def ingest(
        self,
        paths: Iterable[str | Path],
        store: Store,
        *,
        prune: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> Summary:
        """Load every record under ``paths``; ``prune`` drops trials the sources lack."""
        return self.ingest_items(read_paths(paths), store, prune=prune, progress=progress)

    def ingest_items(
        self,
        items: Iterable[Trial | RecordError],
        store: Store,
        *,
        prune: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> Summary:
        """Load records from any reader (files, the live API); see :meth:`ingest`."""
        summary = Summary()
        start = time.perf_counter()
        seen: set[str] = set()
        for batch in _batches(iter(items), self.batch_size):
            self._ingest_batch(batch, store, summary, seen)
            if progress:
                progress(len(batch))
        if prune:
            removed = self._prune(store, seen)
            summary.removed = len(removed)
            summary.changed_ids.extend(removed)
        store.flush()
        summary.seconds = time.perf_counter() - start
        return summary

    # ------------------------------------------------------------------ internals

    def _judge(self, trial: Trial, mapped: MappedTrial, report: Report, summary: Summary) -> bool:
        file = str(trial.source) if trial.source else ""
        for note in trial.reader_notes:
            self.report.note(file, trial.nct_id, note)
        if not report.conforms:
            summary.rejected += 1
            summary.rejected_ids.append(trial.nct_id)
            self.report.findings("rejected", report, file)
            return False
        if report.warnings:
            summary.warned += 1
            self.report.findings("warned", report, file)
        return True

    def _ingest_batch(
        self, batch: list[Trial | RecordError], store: Store, summary: Summary, seen: set[str]
    ) -> None:
        trials: dict[str, Trial] = {}
        for item in batch:
            summary.read += 1
            if isinstance(item, RecordError):
                summary.unreadable += 1
                self.report.unreadable(item)
                continue
            seen.add(item.nct_id)
            previous = trials.get(item.nct_id)
            if previous is not None:
                # the same trial twice in one batch: the newer version wins, the other is counted
                older, item = sorted((previous, item), key=lambda t: t.version_key)
                summary.skipped_older += 1
                del trials[older.nct_id]
            trials[item.nct_id] = item
        loaded = loaded_versions(store, self.iris, list(trials))
        graphs: dict[URIRef, list] = {}
        for nct_id, trial in trials.items():
            have = loaded.get(nct_id)
            if have is not None and have == _version_literals(trial):
                summary.unchanged += 1
                continue
            if have is not None and _version_tuple(have) > _trial_version_tuple(trial):
                summary.skipped_older += 1
                continue
            mapped, report = self.process(trial)
            if not self._judge(trial, mapped, report, summary):
                continue
            graphs[mapped.graph] = mapped.triples
            summary.triples += len(mapped.triples)
            summary.changed_ids.append(nct_id)
            if have is None:
                summary.added += 1
            else:
                summary.updated += 1
        if graphs:
            store.replace_graphs(graphs)

    def _prune(self, store: Store, seen: set[str]) -> list[str]:
        prefix = str(self.iris.graph(""))
        stale = [g for g in store.graph_names() if str(g).startswith(prefix)]
        stale = [g for g in stale if str(g)[len(prefix) :] not in seen]
        if stale:
            store.remove_graphs(stale)
        return [str(g)[len(prefix) :] for g in stale]


def _batches(items: Iterator, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# Versions are compared on (last update posted, registry version date) as stored in the graph.
VersionLiterals = tuple[str | None, str | None]


def _version_literals(trial: Trial) -> VersionLiterals:
    posted = str(trial.last_update_post.date) if trial.last_update_post else None
    holder = str(trial.version_holder) if trial.version_holder else None
    return (posted, holder)


def _version_tuple(version: VersionLiterals) -> tuple[str, str]:
    return (version[0] or "", version[1] or "")


def _trial_version_tuple(trial: Trial) -> tuple[str, str]:
    return _version_tuple(_version_literals(trial))


def loaded_versions(store: Store, iris: Iris, nct_ids: list[str]) -> dict[str, VersionLiterals]:
    """The version of each given trial already in the store, read from its named graph.

    One query per batch: the graphs go in as a VALUES block of IRIs minted by ``Iris`` from NCT
    ids the reader already checked, serialised with ``n3()``; no user text is spliced.
    """
    if not nct_ids:
        return {}
    graphs = {iris.graph(n): n for n in nct_ids}
    values = " ".join(g.n3() for g in graphs)
    sparql = read_text("queries", "internal/loaded-versions.rq").replace(
        "VALUES ?g { }", f"VALUES ?g {{ {values} }}", 1
    )
    found: dict[str, VersionLiterals] = {}
    for graph, posted, holder in store.query(sparql).rows:
        found[graphs[graph]] = (
            str(posted) if isinstance(posted, Literal) else None,
            str(holder) if isinstance(holder, Literal) else None,
        )
    return found
