"""Live sources (shared/specs/live-sources.md): Prometheus, Loki or a logs file, deploys, git.

`open_live` reads one window from the systems a config file names and returns it as the same
`TelemetryStore` a bundle gives (so it passes the same redaction), with the alerts that chose
the window and where every piece came from.
"""

from sources.live.window import LiveRequest, add_arguments, window_from_args

__all__ = ["Alert", "LiveRequest", "LiveWindow", "add_arguments", "open_live", "window_from_args"]


def __getattr__(name: str):
    # Reading pulls in httpx, numpy and the bundle reader; the flags need none of them, so
    # `main.py --help` stays fast. PEP 562: these load on first use.
    if name in ("open_live", "LiveWindow"):
        from sources.live import read

        return getattr(read, name)
    if name == "Alert":
        from sources.live.alerts import Alert

        return Alert
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
