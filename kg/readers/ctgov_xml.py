"""Read the legacy ClinicalTrials.gov ``<clinical_study>`` XML (AllPublicXML dump) into Trials.

Single files, directories and the ``AllPublicXML.zip`` dump (streamed member by member, never
extracted) are accepted. Any document that could carry a DTD goes through defusedxml with
DTDs forbidden, so entity bombs and external entities (``<!ENTITY x SYSTEM "file:///...">``)
are refused before any expansion; the registry's own files never carry a DTD, and a document
that provably has none (ASCII-compatible encoding, no ``<!DOCTYPE``) is parsed by expat through
ElementTree's C builder, three times faster and equally safe.

The element's content is mapped onto the model by :mod:`kg.readers.ctgov_xml_record`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as FastET
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from kg.errors import RecordError
from kg.model import Source, Trial
from kg.readers.archive import READ_ERRORS, Entry, read_matching
from kg.readers.ctgov_xml_record import ROOT, element_to_trial

FORMAT = "ctgov-xml"
Result = Trial | RecordError
_DECLARED_ENCODING = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_ASCII_COMPATIBLE = {b"utf-8", b"utf8", b"us-ascii", b"ascii", b"iso-8859-1", b"latin-1", b"latin1"}


class CtgovXmlReader:
    """The ``ctgov-xml`` reader: one ``<clinical_study>`` per file or zip member."""

    name = FORMAT
    suffixes: tuple[str, ...] = (".xml",)

    def sniff(self, head: bytes) -> bool:
        """True when the content is XML whose root is ``<clinical_study>``."""
        return b"<clinical_study" in head

    def read(self, path: Path) -> Iterator[Result]:
        """Every record under ``path`` (file, directory or zip); other files are reported."""
        return read_matching(
            path,
            self.suffixes,
            self.read_entry,
            "an XML file",
            hint="pass .xml files or an AllPublicXML.zip",
        )

    def read_entry(self, entry: Entry) -> Iterator[Result]:
        """The one record of an XML file or zip member."""
        source = Source(path=str(entry.path), format=FORMAT, entry=entry.member)
        try:
            with entry.open() as stream:
                data = stream.read()
        except READ_ERRORS as exc:
            yield RecordError(entry.label, f"cannot be read: {exc}")
            return
        yield parse_record(data, source)


def parse_record(data: bytes, source: Source) -> Result:
    """The Trial of one ``<clinical_study>`` document, or a RecordError saying what is wrong.

    >>> xml = b"<clinical_study><id_info><nct_id>NCT00000102</nct_id></id_info>"
    >>> t = parse_record(xml + b"<phase>Phase 1/Phase 2</phase></clinical_study>",
    ...                  Source("a.xml", "ctgov-xml"))
    >>> [p.value for p in t.design.phases]
    ['PHASE1', 'PHASE2']
    >>> print(parse_record(b"<clinical_study><id_info>", Source("a.xml", "ctgov-xml")))
    a.xml: invalid XML: no element found: line 1, column 25
    """
    file = str(source)
    if not data.strip():
        return RecordError(file, "empty file")
    try:
        root = _parse_xml(data)
    except DefusedXmlException as exc:
        return RecordError(
            file,
            f"refused: {type(exc).__name__} (DTDs, entity declarations and external "
            "references are not accepted)",
            hint="registry records never carry a DTD; this file was altered",
        )
    except ParseError as exc:
        return RecordError(file, f"invalid XML: {exc}")
    if root.tag != ROOT:
        return RecordError(file, f"root element is <{root.tag}>, not <{ROOT}>; not a trial record")
    try:
        return element_to_trial(root, source)
    except RecordError as error:
        return error


def may_carry_dtd(data: bytes) -> bool:
    """Whether a document could declare a DTD (and so entities); if not, expat alone is safe.

    Conservative: any ``<!DOCTYPE`` anywhere, or an encoding in which that byte string could be
    hidden (UTF-16/32, EBCDIC, anything not ASCII-compatible), counts as "may".

    >>> may_carry_dtd(b'<?xml version="1.0" encoding="UTF-8"?><clinical_study/>')
    False
    >>> may_carry_dtd(b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    True
    >>> may_carry_dtd('<?xml version="1.0" encoding="UTF-16"?><x/>'.encode("utf-16"))
    True
    """
    body = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if body[:1] != b"<":
        return True
    declared = _DECLARED_ENCODING.match(body)
    if declared and declared.group(1).lower() not in _ASCII_COMPATIBLE:
        return True
    return b"<!DOCTYPE" in body


def _parse_xml(data: bytes) -> Element:
    """Parse with defusedxml (DTDs forbidden) whenever a DTD is possible, else with C expat.

    defusedxml must use ElementTree's pure-Python tree builder to watch for declarations,
    about three times slower; a document without a DTD can declare no entity, so expat
    through the C-accelerated builder is equally safe for it (undeclared entities are errors).
    """
    if may_carry_dtd(data):
        return SafeET.fromstring(data, forbid_dtd=True)
    return FastET.fromstring(data)  # noqa: S314 -- no DTD possible, see may_carry_dtd
