"""Where telemetry comes from: the Telemetry interface, bundles, live sources, redaction."""
