"""A loopback HTTP server that answers like Binance's spot REST API (the parts ccxt uses).

Started by the tests on 127.0.0.1 with a free port; ccxt's API URLs are pointed at it, so
no test ever reaches the internet. Endpoints:

* ``GET /api/v3/time`` — the exchange's clock (``fetch_time``)
* ``GET /api/v3/exchangeInfo`` — markets (``load_markets``)
* ``GET /api/v3/ticker/24hr?symbols=[...]`` — tickers (``fetch_tickers``)
* ``GET /api/v3/klines?symbol=..&interval=1m&startTime=..&limit=..`` — ``fetch_ohlcv``

``fail_next(n, status)`` answers the next n requests with an error; ``freeze()`` keeps the
tickers' timestamps still (a frozen cache); ``requests`` records every call.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class BinanceStub:
    prices: dict[str, float]  # exchange ids ("BTCUSDT") → last price
    kline_rows: dict[str, list[list]] = field(default_factory=dict)  # id → Binance klines
    requests: list[tuple[str, dict]] = field(default_factory=list)
    failures_left: int = 0
    failure_status: int = 503
    frozen_ms: int | None = None
    clock_offset_ms: int = 0  # how far the exchange's clock is from this machine's
    runner: web.AppRunner | None = None
    base_url: str = ""

    # -------------------------------------------------------------- control
    def fail_next(self, count: int, status: int = 503) -> None:
        self.failures_left, self.failure_status = count, status

    def freeze(self) -> None:
        self.frozen_ms = self.now_ms()

    def calls(self, path: str) -> list[dict]:
        return [query for p, query in self.requests if p.endswith(path)]

    # ------------------------------------------------------------- handlers
    @web.middleware
    async def _record_and_fail(self, request: web.Request, handler):
        self.requests.append((request.path, dict(request.query)))
        if self.failures_left > 0:
            self.failures_left -= 1
            return web.Response(status=self.failure_status, text="Service Unavailable")
        return await handler(request)

    async def exchange_info(self, request: web.Request) -> web.Response:
        symbols = []
        for market_id in self.prices:
            base, quote = market_id[:-4], market_id[-4:]  # every stub market is quoted in USDT
            symbols.append(
                {
                    "symbol": market_id,
                    "status": "TRADING",
                    "baseAsset": base,
                    "baseAssetPrecision": 8,
                    "quoteAsset": quote,
                    "quotePrecision": 8,
                    "quoteAssetPrecision": 8,
                    "orderTypes": ["LIMIT", "MARKET"],
                    "isSpotTradingAllowed": True,
                    "isMarginTradingAllowed": False,
                    "filters": [
                        {
                            "filterType": "PRICE_FILTER",
                            "minPrice": "0.00000001",
                            "maxPrice": "1000000.00000000",
                            "tickSize": "0.00000001",
                        },
                        {
                            "filterType": "LOT_SIZE",
                            "minQty": "0.00001000",
                            "maxQty": "9000000000.00000000",
                            "stepSize": "0.00001000",
                        },
                    ],
                    "permissions": [],
                    "permissionSets": [["SPOT"]],
                }
            )
        body = {
            "timezone": "UTC",
            "serverTime": self.now_ms(),
            "rateLimits": [],
            "exchangeFilters": [],
            "symbols": symbols,
        }
        return web.json_response(body)

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.clock_offset_ms

    async def server_time(self, request: web.Request) -> web.Response:
        return web.json_response({"serverTime": self.now_ms()})

    async def ticker_24hr(self, request: web.Request) -> web.Response:
        wanted = json.loads(request.query.get("symbols", "[]")) or list(self.prices)
        now_ms = self.frozen_ms or self.now_ms()
        body = []
        for market_id in wanted:
            if market_id not in self.prices:
                return web.json_response({"code": -1121, "msg": "Invalid symbol."}, status=400)
            price = f"{self.prices[market_id]:.8f}"
            body.append(
                {
                    "symbol": market_id,
                    "priceChange": "0",
                    "priceChangePercent": "0",
                    "weightedAvgPrice": price,
                    "prevClosePrice": price,
                    "lastPrice": price,
                    "lastQty": "0.1",
                    "bidPrice": price,
                    "bidQty": "1",
                    "askPrice": price,
                    "askQty": "1",
                    "openPrice": price,
                    "highPrice": price,
                    "lowPrice": price,
                    "volume": "1000",
                    "quoteVolume": "1000",
                    "openTime": now_ms - 86_400_000,
                    "closeTime": now_ms,
                    "firstId": 1,
                    "lastId": 2,
                    "count": 2,
                }
            )
        return web.json_response(body)

    async def klines(self, request: web.Request) -> web.Response:
        rows = self.kline_rows.get(request.query["symbol"], [])
        start = int(request.query.get("startTime", 0))
        limit = int(request.query.get("limit", 500))
        return web.json_response([r for r in rows if r[0] >= start][:limit])

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> str:
        app = web.Application(middlewares=[self._record_and_fail])
        app.router.add_get("/api/v3/time", self.server_time)
        app.router.add_get("/api/v3/exchangeInfo", self.exchange_info)
        app.router.add_get("/api/v3/ticker/24hr", self.ticker_24hr)
        app.router.add_get("/api/v3/klines", self.klines)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


def kline(open_ms: int, o: float, h: float, low: float, c: float, v: float) -> list:
    """One Binance kline row: open time, OHLCV as strings, close time, and the rest."""
    return [
        open_ms,
        str(o),
        str(h),
        str(low),
        str(c),
        str(v),
        open_ms + 59_999,
        "0",
        1,
        "0",
        "0",
        "0",
    ]
