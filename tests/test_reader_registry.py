"""The READERS registry and read_paths(): every format reachable by name, suffix and content."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, V2_FILES, XML_FILES

from kg.errors import ConfigError, RecordError
from kg.model import Trial
from kg.readers import READERS, Reader, read_paths

CARD = REPO / "tests" / "fixtures" / "cards" / "NCT00179517.txt"


def test_registry_names_every_format() -> None:
    assert list(READERS) == ["ctgov-json", "ctgov-xml", "trial-card"]
    for name, reader in READERS.items():
        assert isinstance(reader, Reader)
        assert reader.name == name
        assert all(s.startswith(".") and s == s.lower() for s in reader.suffixes)


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """One record of each format, one under a misleading suffix, and a stray file."""
    if not (V2_FILES and XML_FILES):
        pytest.skip("shared data ctgov/v2 and ctgov/xml are absent (set TRIALKG_SHARED_DATA)")
    folder = tmp_path / "in"
    (folder / "deep").mkdir(parents=True)
    shutil.copy(V2_FILES[0], folder / "a.json")
    shutil.copy(XML_FILES[0], folder / "deep" / "b.xml")
    shutil.copy(CARD, folder / "c.txt")
    shutil.copy(XML_FILES[1], folder / "d.record")  # unknown suffix: found by sniffing
    (folder / "e.bin").write_bytes(b"\x00\x01 not a record")
    return folder


def test_read_paths_dispatches_by_suffix_and_content(mixed: Path) -> None:
    results = list(read_paths([mixed]))
    trials = [r for r in results if isinstance(r, Trial)]
    assert [(t.source.format, t.nct_id) for t in trials] == [
        ("ctgov-json", V2_FILES[0].stem),
        ("trial-card", CARD.stem),
        ("ctgov-xml", XML_FILES[1].stem),
        ("ctgov-xml", XML_FILES[0].stem),
    ]
    (stray,) = [r for r in results if isinstance(r, RecordError)]
    assert stray.file == str(mixed / "e.bin") and "not a trial record" in stray.reason


def test_zip_members_are_dispatched_like_files(mixed: Path, tmp_path: Path) -> None:
    archive = tmp_path / "mixed.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(mixed.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(mixed).as_posix())
    from_zip = [(r.source.format, r.nct_id) for r in read_paths([archive]) if isinstance(r, Trial)]
    from_dir = [(r.source.format, r.nct_id) for r in read_paths([mixed]) if isinstance(r, Trial)]
    assert sorted(from_zip) == sorted(from_dir)


def test_forced_format_and_missing_paths(mixed: Path, tmp_path: Path) -> None:
    forced = list(read_paths([mixed / "a.json", mixed / "c.txt"], fmt="ctgov-json"))
    assert isinstance(forced[0], Trial)
    assert isinstance(forced[1], RecordError) and "invalid JSON" in forced[1].reason
    (missing,) = read_paths([tmp_path / "nope.json"])
    assert isinstance(missing, RecordError) and "no such file" in missing.reason
    with pytest.raises(ConfigError):
        list(read_paths([mixed], fmt="csv"))
