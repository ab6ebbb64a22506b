"""Start-up: rebuild the ledger from its journal, with the stored settings, verified.

The journal is replayed into an empty tracker; the settings and status stored beside it are
merged into the constructor's config; and the derived state the journal stored (positions,
cash) is compared with the replay. The replay is what the engine runs on; a difference is
returned for the manager to report, never silently "fixed".
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .config import PortfolioConfig
from .errors import ConfigError, LedgerIntegrityError, PortfolioError
from .journal import Journal, RestoredLedger
from .position_tracker import PositionTracker
from .restore_check import StateMismatch, compare_with_replay
from .status import PortfolioStatus

log = logging.getLogger(__name__)

#: The status a portfolio restarts in when the app stopped in the middle of a liquidation.
INTERRUPTED_LIQUIDATION = "a liquidation was interrupted; check the remaining positions"


@dataclass(frozen=True)
class RestoreOutcome:
    """What the journal said the portfolio was, and where the stored state disagreed."""

    config: PortfolioConfig
    status: PortfolioStatus
    status_reason: str
    mismatches: tuple[StateMismatch, ...]


async def restore_ledger(
    restored: RestoredLedger,
    *,
    tracker: PositionTracker,
    journal: Journal,
    config: PortfolioConfig,
    where: str,
) -> RestoreOutcome:
    """Replay ``restored`` into the empty ``tracker`` and verify it against the stored state.

    ``where`` names the file for messages (" in /path/portfolio.db" or ""). A journal that
    cannot be replayed raises :class:`LedgerIntegrityError` and changes nothing on disk.
    """
    if restored.config:
        config = merge_stored_config(config, restored.config)
    try:
        tracker.replay(restored.entries)
    except PortfolioError as exc:
        raise LedgerIntegrityError(
            f"The fill journal{where} cannot be replayed: {exc}. Nothing was changed; "
            f"keep the file for inspection and restore it from a backup."
        ) from exc
    status = PortfolioStatus(restored.status) if restored.status else PortfolioStatus.ACTIVE
    reason = restored.status_reason if restored.status else ""
    if status is PortfolioStatus.LIQUIDATING:
        # every close booked before the stop is in the journal; the rest needs a look
        status, reason = PortfolioStatus.PAUSED, INTERRUPTED_LIQUIDATION
        await journal.save_status(status.value, reason)
        log.warning("portfolio status: paused (%s)", reason)
    if not restored.config:
        await journal.save_config(config.to_dict())
    mismatches = compare_with_replay(restored, tracker)
    verify_positions = getattr(journal, "verify_positions", None)
    if verify_positions is not None:
        mismatches += await verify_positions(tracker)
    return RestoreOutcome(config, status, reason, tuple(mismatches))


def merge_stored_config(current: PortfolioConfig, stored: Mapping[str, Any]) -> PortfolioConfig:
    """The stored settings win; one that no longer validates is skipped (and logged).

    ``risk_limits``: limits the constructor passed explicitly win (code-level limits are
    intentional); otherwise the stored ones (live edits) are restored. ``rebalance_config`` is
    restored through its class's ``from_dict`` when the constructor passed such an object,
    else kept as given.
    """
    try:
        config = PortfolioConfig.from_dict({**current.to_dict(), **stored})
    except ConfigError:
        config = current
        for key, value in stored.items():
            try:
                config = PortfolioConfig.from_dict({**config.to_dict(), key: value})
            except ConfigError as exc:
                log.warning("stored setting %s=%r ignored: %s", key, value, exc)
    nested: dict[str, Any] = {
        "risk_limits": current.risk_limits or config.risk_limits,
        "rebalance_config": current.rebalance_config,
    }
    from_dict = getattr(type(current.rebalance_config), "from_dict", None)
    stored_rebalance = stored.get("rebalance_config")
    restorable = current.rebalance_config is not None and callable(from_dict)
    if restorable and isinstance(stored_rebalance, dict):
        try:
            nested["rebalance_config"] = from_dict(stored_rebalance)
        except Exception as exc:
            log.warning("stored rebalance_config ignored: %s", exc)
    return config.with_changes(**nested)
