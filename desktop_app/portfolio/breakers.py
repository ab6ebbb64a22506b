"""Circuit breakers: drawdown, daily loss, VaR and losing streaks, each tripping once.

The drawdown and daily-loss breakers read a time-weighted equity, the NAV per unit: a
deposit buys units at the current NAV and a withdrawal sells them, so only performance
moves the NAV (METRICS.md's time-weighted returns). Open positions count at their last
price, so a falling market trips the breakers before anything is closed. Both are
evaluated on every price batch (a division and two comparisons).

* drawdown: ``NAV / peak NAV - 1 <= -max_drawdown_pct``;
* daily loss: ``NAV / NAV at 00:00 UTC - 1 <= -max_daily_loss_pct`` (the day of the price
  batch's timestamp; its baseline is the last NAV seen before the day began);
* VaR: the background metrics' 1-day 95 % VaR above ``max_var_pct``;
* consecutive losses: ``max_consecutive_losses`` closed positions in a row with a realized
  loss (fees included); it also starts a cooldown of ``loss_cooldown_minutes`` in which no
  new exposure is allowed, whatever the status — it ends by itself.

A breaker fires once per trip. It stays tripped until the trader resumes the portfolio
(``resume_portfolio()``), which re-arms it relative to the state at that moment: the
drawdown peak becomes the current NAV, the daily baseline becomes the current NAV for the
rest of the day, the losing streak starts from zero, and the VaR breaker waits until VaR
has come back under the limit before it can trip again (the pre-trade check still refuses
any trade that would raise VaR above it). A breaker whose action is ALERT changes no
status; it re-arms when its condition clears.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from .risk_limits import BreakerAction, RiskLimits


class Breaker(Enum):
    DRAWDOWN = "drawdown"
    DAILY_LOSS = "daily_loss"
    VAR = "var"
    CONSECUTIVE_LOSSES = "consecutive_losses"

    @property
    def limit(self) -> str:
        return {
            Breaker.DRAWDOWN: "max_drawdown_pct",
            Breaker.DAILY_LOSS: "max_daily_loss_pct",
            Breaker.VAR: "max_var_pct",
            Breaker.CONSECUTIVE_LOSSES: "max_consecutive_losses",
        }[self]


@dataclass(frozen=True)
class BreakerTrip:
    """One trip: what was measured, against which limit, and what the breaker did."""

    breaker: Breaker
    current: float
    limit_value: float
    action: BreakerAction
    message: str
    timestamp: datetime

    @property
    def limit(self) -> str:
        return self.breaker.limit

    def to_dict(self) -> dict[str, Any]:
        return {
            "breaker": self.breaker.value,
            "limit": self.limit,
            "current": self.current,
            "limit_value": self.limit_value,
            "action": self.action.value,
            "message": self.message,
            "timestamp": self.timestamp.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BreakerTrip:
        return cls(
            Breaker(data["breaker"]),
            float(data["current"]),
            float(data["limit_value"]),
            BreakerAction(data["action"]),
            str(data["message"]),
            datetime.fromisoformat(data["timestamp"]),
        )


@dataclass
class NavState:
    """Time-weighted equity: ``NAV = equity / units``; flows change units, not the NAV."""

    units: float = 0.0
    nav: float = 1.0
    peak_nav: float = 1.0  # the drawdown breaker's peak (reset when it is re-armed)
    high_water_nav: float = 1.0  # all-time peak, for the reported current drawdown
    day: date | None = None
    day_start_nav: float = 1.0

    def start(self, equity: float, when: datetime) -> None:
        self.units = equity if equity > 0 else 0.0
        self.nav = self.peak_nav = self.high_water_nav = self.day_start_nav = 1.0
        self.day = when.date()

    def flow(self, amount: float, equity_after: float) -> None:
        """A deposit (> 0) or withdrawal (< 0) that left ``equity_after``."""
        before = equity_after - amount
        if self.units > 0 and before > 0:
            self.units += amount / (before / self.units)
        elif equity_after > 0:  # nothing invested before: start again at the last NAV
            self.units = equity_after / self.nav
        if equity_after <= 0:
            self.units = 0.0

    def mark(self, equity: float, when: datetime) -> None:
        if self.day != when.date():
            self.day = when.date()
            self.day_start_nav = self.nav
        if self.units > 0:
            self.nav = equity / self.units
        self.peak_nav = max(self.peak_nav, self.nav)
        self.high_water_nav = max(self.high_water_nav, self.nav)

    @property
    def drawdown(self) -> float:
        """Fall from the breaker's peak (<= 0)."""
        return self.nav / self.peak_nav - 1.0 if self.peak_nav > 0 else 0.0

    @property
    def current_drawdown(self) -> float:
        """Fall from the all-time peak (<= 0)."""
        return self.nav / self.high_water_nav - 1.0 if self.high_water_nav > 0 else 0.0

    @property
    def daily_return(self) -> float:
        return self.nav / self.day_start_nav - 1.0 if self.day_start_nav > 0 else 0.0


class CircuitBreakers:
    """The breakers' state: NAV, tripped breakers, losing streak, cooldown."""

    def __init__(self) -> None:
        self.nav = NavState()
        self.tripped: dict[Breaker, BreakerTrip] = {}
        self.waiting_for_var_to_clear = False
        self.loss_streak = 0
        self.cooldown_until: datetime | None = None

    def cooldown(self, now: datetime) -> datetime | None:
        """End of the consecutive-loss cooldown in force at ``now``, if any."""
        if self.cooldown_until is not None and now >= self.cooldown_until:
            self.cooldown_until = None
        return self.cooldown_until

    def _trip(
        self,
        breaker: Breaker,
        current: float,
        limit_value: float,
        limits: RiskLimits,
        message: str,
        when: datetime,
    ) -> BreakerTrip | None:
        if breaker in self.tripped:
            return None
        trip = BreakerTrip(
            breaker, current, limit_value, limits.breaker_action(breaker.value), message, when
        )
        self.tripped[breaker] = trip
        return trip

    def _clear_alert(self, breaker: Breaker) -> None:
        """An ALERT breaker re-arms when its condition clears."""
        trip = self.tripped.get(breaker)
        if trip is not None and trip.action is BreakerAction.ALERT:
            del self.tripped[breaker]

    def on_prices(self, equity: float, when: datetime, limits: RiskLimits) -> list[BreakerTrip]:
        """Mark the NAV and test the drawdown and daily-loss breakers."""
        self.nav.mark(equity, when)
        trips: list[BreakerTrip] = []
        drawdown_pct = -100.0 * self.nav.drawdown
        if limits.max_drawdown_pct is not None and drawdown_pct >= limits.max_drawdown_pct:
            trip = self._trip(
                Breaker.DRAWDOWN,
                -drawdown_pct,
                limits.max_drawdown_pct,
                limits,
                f"drawdown {drawdown_pct:.1f} % from the equity peak; limit "
                f"{limits.max_drawdown_pct:g} %",
                when,
            )
            trips += [trip] if trip else []
        else:
            self._clear_alert(Breaker.DRAWDOWN)
        loss_pct = -100.0 * self.nav.daily_return
        if limits.max_daily_loss_pct is not None and loss_pct >= limits.max_daily_loss_pct:
            trip = self._trip(
                Breaker.DAILY_LOSS,
                -loss_pct,
                limits.max_daily_loss_pct,
                limits,
                f"loss today {loss_pct:.1f} % of equity (since 00:00 UTC); limit "
                f"{limits.max_daily_loss_pct:g} %",
                when,
            )
            trips += [trip] if trip else []
        else:
            self._clear_alert(Breaker.DAILY_LOSS)
        return trips

    def on_var(
        self, var_pct: float | None, when: datetime, limits: RiskLimits
    ) -> list[BreakerTrip]:
        """Test the VaR breaker with the latest 1-day 95 % VaR (percent of equity)."""
        if var_pct is None or limits.max_var_pct is None or var_pct <= limits.max_var_pct:
            self.waiting_for_var_to_clear = False
            self._clear_alert(Breaker.VAR)
            return []
        if self.waiting_for_var_to_clear:
            return []
        trip = self._trip(
            Breaker.VAR,
            var_pct,
            limits.max_var_pct,
            limits,
            f"1-day 95 % VaR {var_pct:.1f} % of equity; limit {limits.max_var_pct:g} %",
            when,
        )
        return [trip] if trip else []

    def on_position_closed(
        self, realized_pnl: float, when: datetime, limits: RiskLimits
    ) -> list[BreakerTrip]:
        """Count a closed position's realized P&L (fees included) into the losing streak."""
        self.loss_streak = self.loss_streak + 1 if realized_pnl < 0 else 0
        limit = limits.max_consecutive_losses
        if limit is None or self.loss_streak < limit:
            return []
        streak, self.loss_streak = self.loss_streak, 0
        self.tripped.pop(Breaker.CONSECUTIVE_LOSSES, None)  # every streak is a new trip
        message = f"{streak} losing trades in a row; limit {limit}"
        if limits.loss_cooldown_minutes > 0:
            self.cooldown_until = when + timedelta(minutes=limits.loss_cooldown_minutes)
            message += f"; no new exposure until {self.cooldown_until:%Y-%m-%d %H:%M} UTC"
        trip = self._trip(
            Breaker.CONSECUTIVE_LOSSES, float(streak), float(limit), limits, message, when
        )
        return [trip] if trip else []

    def rearm(self) -> list[Breaker]:
        """Re-arm every tripped breaker relative to the current state (see the module doc)."""
        rearmed = list(self.tripped)
        if Breaker.DRAWDOWN in self.tripped:
            self.nav.peak_nav = self.nav.nav
        if Breaker.DAILY_LOSS in self.tripped:
            self.nav.day_start_nav = self.nav.nav
        if Breaker.VAR in self.tripped:
            self.waiting_for_var_to_clear = True
        self.loss_streak = 0
        self.tripped.clear()
        return rearmed

    # ------------------------------------------------------------------ storage
    def to_dict(self) -> dict[str, Any]:
        nav = asdict(self.nav)
        nav["day"] = None if self.nav.day is None else self.nav.day.isoformat()
        return {
            "nav": nav,
            "tripped": [trip.to_dict() for trip in self.tripped.values()],
            "waiting_for_var_to_clear": self.waiting_for_var_to_clear,
            "loss_streak": self.loss_streak,
            "cooldown_until": None
            if self.cooldown_until is None
            else self.cooldown_until.isoformat(),
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Load :meth:`to_dict` output (the state persisted before a restart)."""
        nav = dict(data["nav"])
        nav["day"] = None if nav.get("day") is None else date.fromisoformat(nav["day"])
        self.nav = NavState(**nav)
        self.tripped = {
            trip.breaker: trip for trip in map(BreakerTrip.from_dict, data.get("tripped", []))
        }
        self.waiting_for_var_to_clear = bool(data.get("waiting_for_var_to_clear", False))
        self.loss_streak = int(data.get("loss_streak", 0))
        until = data.get("cooldown_until")
        self.cooldown_until = None if until is None else datetime.fromisoformat(until)
