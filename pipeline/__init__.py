"""The one run sequence (source -> detect -> investigate -> sinks) and the CLI plumbing."""
