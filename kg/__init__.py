"""TrialKG: ClinicalTrials.gov records as a validated, linked RDF knowledge graph."""

__version__ = "0.1.0"
