"""Scale corpora generated from the real records: the same shapes and contents, fresh NCT ids.

``python bench/corpus.py 50000 out.ndjson`` cycles over the real v2 records (or legacy XML with
``--xml``), giving copy *i* the id ``NCT9xxxxxxx`` (above every id the registry has issued), so a
50,000-record corpus exercises exactly the code paths the registry's records do.
"""

from __future__ import annotations

import argparse
import json
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

SHARED = Path(
    os.environ.get("TRIALKG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def fresh_id(i: int) -> str:
    """The i-th generated NCT id (NCT90000000 upwards)."""
    return f"NCT{90000000 + i:08d}"


def _sources(xml: bool) -> list[tuple[str, str]]:
    folder = SHARED / "ctgov" / ("xml" if xml else "v2")
    files = sorted(folder.glob("*.xml" if xml else "*.json"))
    if not files:
        raise SystemExit(f"no records in {folder} (set TRIALKG_SHARED_DATA)")
    return [(f.stem, f.read_text(encoding="utf-8")) for f in files]


def records(n: int, *, xml: bool = False) -> Iterator[tuple[str, str]]:
    """``n`` (new id, record text) pairs; the original id is replaced everywhere in the text."""
    sources = _sources(xml)
    for i in range(n):
        old_id, text = sources[i % len(sources)]
        new_id = fresh_id(i)
        yield new_id, text.replace(old_id, new_id)


def write_ndjson(n: int, out: Path) -> Path:
    with out.open("w", encoding="utf-8") as f:
        for _, text in records(n):
            f.write(json.dumps(json.loads(text), ensure_ascii=False) + "\n")
    return out


def write_zip(n: int, out: Path, *, xml: bool = False) -> Path:
    suffix = ".xml" if xml else ".json"
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for new_id, text in records(n, xml=xml):
            zf.writestr(f"{new_id}{suffix}", text)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("n", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--xml", action="store_true", help="legacy XML records in a zip")
    args = parser.parse_args()
    if args.xml or args.out.suffix == ".zip":
        write_zip(args.n, args.out, xml=args.xml)
    else:
        write_ndjson(args.n, args.out)
    print(f"wrote {args.n} records to {args.out}")


if __name__ == "__main__":
    main()
