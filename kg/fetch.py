"""The live ClinicalTrials.gov API v2 client: paged study search, incremental by last update.

``CtgovClient.studies(query)`` walks ``GET {base}/studies`` page by page with ``nextPageToken``,
yielding each study object as the API returns it. It retries 429 and 5xx answers and dropped
connections with exponential backoff (honouring ``Retry-After``), keeps to a request rate the
registry asks of API users, and never follows a URL the server hands it: only the page token
travels back.

>>> q = StudyQuery(condition="stroke", status=["RECRUITING"], since="2024-01-01")
>>> sorted(q.params().items())  # doctest: +NORMALIZE_WHITESPACE
[('filter.advanced', 'AREA[LastUpdatePostDate]RANGE[2024-01-01,MAX]'),
 ('filter.overallStatus', 'RECRUITING'), ('query.cond', 'stroke')]
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kg.errors import SourceError
from kg.model import PartialDate

DEFAULT_API = "https://clinicaltrials.gov/api/v2"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class StudyQuery:
    """The search, in the API's own parameter names (``query.cond``, ``filter.overallStatus``…)."""

    condition: str | None = None
    term: str | None = None
    sponsor: str | None = None
    intervention: str | None = None
    location: str | None = None
    status: list[str] = field(default_factory=list)
    since: str | None = None  # last update posted on or after this date (YYYY-MM-DD)

    def params(self) -> dict[str, str]:
        params = {
            "query.cond": self.condition,
            "query.term": self.term,
            "query.spons": self.sponsor,
            "query.intr": self.intervention,
            "query.locn": self.location,
            "filter.overallStatus": ",".join(self.status) or None,
        }
        if self.since:
            PartialDate.parse(self.since)  # ValueError for a malformed date, before any request
            params["filter.advanced"] = f"AREA[LastUpdatePostDate]RANGE[{self.since},MAX]"
        return {k: v for k, v in params.items() if v}


@dataclass
class CtgovClient:
    """A polite client of one API base URL; ``sleep`` and ``clock`` are injectable for tests."""

    base_url: str = DEFAULT_API
    page_size: int = 100
    max_retries: int = 6
    backoff: float = 1.0
    max_backoff: float = 60.0
    min_interval: float = 0.5  # seconds between requests: about 2 requests/s at most
    timeout: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    retries: int = 0  # how many retries this client made, for reports and tests
    _last: float | None = field(default=None, repr=False)

    def studies(self, query: StudyQuery, *, limit: int | None = None) -> Iterator[dict[str, Any]]:
        """Every study matching ``query`` (at most ``limit``), page after page."""
        params = {**query.params(), "format": "json", "pageSize": str(self.page_size)}
        token: str | None = None
        count = 0
        while True:
            page = self._get_page({**params, **({"pageToken": token} if token else {})})
            for study in page.get("studies", []):
                yield study
                count += 1
                if limit is not None and count >= limit:
                    return
            token = page.get("nextPageToken")
            if not token:
                return

    def _get_page(self, params: dict[str, str]) -> dict[str, Any]:
        url = f"{self.base_url.rstrip('/')}/studies?{urllib.parse.urlencode(params)}"
        if not url.startswith(("http://", "https://")):
            raise SourceError(f"{self.base_url}: the API base URL must be http(s)")
        attempt = 0
        while True:
            self._pace()
            try:
                # the scheme was checked above: only http(s) URLs are opened
                request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    body = response.read()
                return json.loads(body)
            except urllib.error.HTTPError as exc:
                if exc.code not in RETRY_STATUSES or attempt >= self.max_retries:
                    raise SourceError(
                        f"{url}: the API answered {exc.code} {exc.reason}"
                        + (" after retries" if attempt else "")
                    ) from None
                wait = _retry_after(exc.headers.get("Retry-After"))
            except (
                urllib.error.URLError,
                http.client.HTTPException,
                ConnectionError,
                TimeoutError,
                json.JSONDecodeError,
            ) as exc:
                if attempt >= self.max_retries:
                    raise SourceError(f"{url}: {exc} (gave up after {attempt} retries)") from None
                wait = None
            attempt += 1
            self.retries += 1
            self.sleep(
                wait
                if wait is not None
                else min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
            )

    def _pace(self) -> None:
        now = self.clock()
        if self._last is not None and now - self._last < self.min_interval:
            self.sleep(self.min_interval - (now - self._last))
        self._last = self.clock()


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds form; an HTTP date is ignored)."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
