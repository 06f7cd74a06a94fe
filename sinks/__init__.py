"""Where a finished report goes: local files, GCS, Slack."""
