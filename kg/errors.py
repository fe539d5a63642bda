"""The exceptions TrialKG raises on purpose; each message names the file, the record and the field.

The CLI turns them into exit codes and one-line messages, the web layer into HTTP statuses;
anything else escaping is a bug, not a user error.
"""

from __future__ import annotations


class TrialKGError(Exception):
    """Base of every error a user may see."""


class RecordError(TrialKGError):
    """A record that cannot be read: names where it is, which field, and what to do.

    >>> str(RecordError("bad.json", "'sixty' is not a number",
    ...                 record="NCT00000001", field="enrollmentInfo.count"))
    "bad.json: record NCT00000001: field enrollmentInfo.count: 'sixty' is not a number"
    """

    def __init__(
        self,
        file: str,
        reason: str,
        *,
        record: str | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.file = file
        self.reason = reason
        self.record = record
        self.field = field
        self.hint = hint
        super().__init__(self._message())

    def _message(self) -> str:
        parts = [self.file]
        if self.record:
            parts.append(f"record {self.record}")
        if self.field:
            parts.append(f"field {self.field}")
        parts.append(self.reason)
        text = ": ".join(parts)
        return f"{text} ({self.hint})" if self.hint else text

    def as_dict(self) -> dict[str, str | None]:
        return {
            "file": self.file,
            "nct_id": self.record,
            "field": self.field,
            "reason": self.reason,
            "hint": self.hint,
        }


class SourceError(TrialKGError):
    """A whole input (file, archive, directory, URL) that cannot be opened or read."""


class StoreError(TrialKGError):
    """The store cannot be opened, or refused an operation."""


class QueryError(TrialKGError):
    """A SPARQL query or update that does not parse or cannot run; the message is the parser's."""


class QueryTimeout(QueryError):
    """A query that ran past its time limit and was stopped."""


class ConfigError(TrialKGError):
    """A setting (environment variable, option, file) that is missing or wrong."""
