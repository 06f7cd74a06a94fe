"""Incident bundles (incident-bundle/v1): reading, writing and the metrics CSV parser."""
