"""Incident bundles (incident-bundle/v1): reading, writing and the metrics CSV parser."""

from sources.bundle.reader import load_bundle, load_expected
from sources.bundle.writer import export_bundle

__all__ = ["export_bundle", "load_bundle", "load_expected"]
