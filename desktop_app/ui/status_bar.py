"""The status bar: price-feed state and last-tick age, the data folder, the portfolio status.

The feed is whatever object the app hands the window (anything with ``status`` — a
``FeedStatus`` enum — and optionally ``status_message``); the window polls it once a
second, because a feed that has gone quiet emits nothing. The tick age comes from the
bridge, i.e. from prices the engine actually accepted.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from .format import format_duration
from .theme import current_theme, status_color

_FEED_COLOURS = {
    "live": "positive",
    "connecting": "warning",
    "reconnecting": "warning",
    "stale": "warning",
    "stopped": "muted",
    "error": "negative",
}


def feed_state(feed: Any) -> str:
    """The feed's status as a lower-case word (``live``, ``stale`` ...)."""
    status = getattr(feed, "status", None)
    if isinstance(status, Enum):
        return str(status.name).lower()
    return str(status or "unknown").lower()


def feed_name(feed: Any) -> str:
    name = getattr(feed, "name", None)
    if isinstance(name, str) and name:
        return name
    return type(feed).__name__.removesuffix("Feed").lower() or "feed"


class StatusBarView:
    """Owns the permanent widgets of the window's status bar."""

    def __init__(self, bar: QStatusBar, data_dir: Path, parent: QWidget) -> None:
        self.bar = bar
        self.feed_label = QLabel("no price feed", parent)
        self.feed_label.setObjectName("feedStatusLabel")
        self.data_dir_label = QLabel(f"Data: {data_dir}", parent)
        self.data_dir_label.setObjectName("dataDirLabel")
        self.data_dir_label.setToolTip(f"Database, logs and exports live in {data_dir}")
        self.status_label = QLabel(parent)
        self.status_label.setObjectName("portfolioStatusLabel")
        bar.addPermanentWidget(self.feed_label)
        bar.addPermanentWidget(self.data_dir_label)
        bar.addPermanentWidget(self.status_label)

    def show_feed(self, feed: Any, tick_age_s: float | None, stats: Any = None) -> str:
        """Update the feed label; returns the state word shown."""
        theme = current_theme()
        if feed is None:
            self.feed_label.setText("● no price feed")
            self.feed_label.setStyleSheet(f"color: {theme.muted};")
            self.feed_label.setToolTip("Start with --feed simulated|replay|ccxt to stream prices")
            return "none"
        state = feed_state(feed)
        age = (
            "no ticks yet" if tick_age_s is None else f"last tick {format_duration(tick_age_s)} ago"
        )
        self.feed_label.setText(f"● {feed_name(feed)} {state.upper()} · {age}")
        colour = getattr(theme, _FEED_COLOURS.get(state, "muted"))
        self.feed_label.setStyleSheet(f"color: {colour};")
        message = getattr(feed, "status_message", "") or ""
        lines = [message or f"Price feed {state}"]
        if stats is not None:
            lines.append(
                f"ticks accepted {stats.ticks_accepted:,} · dropped {stats.ticks_dropped:,} · "
                f"batches {stats.batches_delivered:,}"
            )
            if stats.last_batch_latency_ms is not None:
                lines.append(f"last batch booked in {stats.last_batch_latency_ms:.1f} ms")
        self.feed_label.setToolTip("\n".join(lines))
        return state

    def show_status(self, status: str, reason: str, demo: bool) -> None:
        text = f"Portfolio {status.upper()}" + (" · DEMO" if demo else "")
        self.status_label.setText(text)
        self.status_label.setStyleSheet(f"color: {status_color(status).name()}; font-weight: 600;")
        self.status_label.setToolTip(reason or text)
