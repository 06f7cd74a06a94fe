"""Pure functions that turn telemetry into the compact, typed results the agents' tools return."""
