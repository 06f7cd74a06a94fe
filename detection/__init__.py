"""Detection stage: incident episodes from metric series, on top of the WindowTrigger."""

from detection.baseline import BaselineSettings
from detection.episodes import (
    DEFAULT_SETTINGS,
    Episode,
    EpisodeSettings,
    detect_episodes,
    score_series,
)

__all__ = [
    "DEFAULT_SETTINGS",
    "BaselineSettings",
    "Episode",
    "EpisodeSettings",
    "detect_episodes",
    "score_series",
]
