"""What the server processes share: rate limits and the status-list cache, in Litestar stores. With
LEDGER_REDIS_URL every process on every host counts in one Redis; without it each process keeps its own in memory
(one process: exact; N processes: each client gets up to N times the limit). The client address a limit counts is
the connecting peer's, or, only when that peer is one of LEDGER_TRUSTED_PROXIES, the last address in
X-Forwarded-For that is not itself a trusted proxy (docs/scaling.md)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import TooManyRequestsException
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import DURATION_VALUES, RateLimitConfig, RateLimitMiddleware
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.stores.registry import StoreRegistry
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.settings import trusted_networks

NAMESPACE = "ledger"

# One atomic step in Redis: count this request in the window and say how long the window still runs.
_HIT = """
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
"""


class CountingRedisStore(RedisStore):
    """Litestar's Redis store, and a window counter that processes on any host increment atomically."""

    async def hit(self, key: str, window: int) -> tuple[int, int]:
        count, ttl = await self._redis.eval(_HIT, 1, self._make_key(key), window)
        return int(count), max(int(ttl), 1)


class CountingMemoryStore(MemoryStore):
    """Litestar's in-memory store (this process only), with the same counter."""

    def __init__(self) -> None:
        super().__init__()
        self._counting = asyncio.Lock()

    async def hit(self, key: str, window: int) -> tuple[int, int]:
        async with self._counting:
            now = time.time()
            raw = await self.get(key)
            count, reset = json.loads(raw) if raw else (0, now + window)
            if reset <= now:
                count, reset = 0, now + window
            count += 1
            await self.set(key, json.dumps([count, reset]), expires_in=max(int(reset - now) + 1, 1))
            return count, max(int(reset - now + 0.999), 1)


def store_registry(redis_url: str | None) -> StoreRegistry:
    """Every named store: a namespace of one Redis with LEDGER_REDIS_URL, otherwise a store in this process."""
    if redis_url:
        root = CountingRedisStore.with_client(redis_url, namespace=NAMESPACE)
        return StoreRegistry(default_factory=root.with_namespace)
    return StoreRegistry(default_factory=lambda _: CountingMemoryStore())


@asynccontextmanager
async def open_stores(app: Litestar) -> AsyncGenerator[None, None]:
    """The app's lifespan for its stores: the Redis connections (which all namespaces share) close with it."""
    async with app.stores.get("status_list"):
        yield


def is_shared(registry: StoreRegistry) -> bool:
    return isinstance(registry.get("rate_limit_pages"), RedisStore)


class SharedRateLimit(RateLimitMiddleware):
    """Litestar's rate limit, counted in one atomic step of the store (so that processes sharing a Redis never lose
    each other's counts), and every 429 says when to come back (Retry-After)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope["litestar_app"]
        request = app.request_class(scope)
        store: Any = self.config.get_store_from_app(app)
        window = DURATION_VALUES[self.unit]
        count, reset = await store.hit(self.cache_key_from_request(request), window)
        headers = {
            self.config.rate_limit_policy_header_key: f"{self.max_requests}; w={window}",
            self.config.rate_limit_limit_header_key: str(self.max_requests),
            self.config.rate_limit_remaining_header_key: str(max(self.max_requests - count, 0)),
            self.config.rate_limit_reset_header_key: str(reset),
        }
        if count > self.max_requests:
            raise TooManyRequestsException(
                "请求过于频繁，请稍后再试（too many requests; retry later）",
                headers={**headers, "Retry-After": str(reset)},
            )

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                out = MutableScopeHeaders(message)
                for name, value in headers.items():
                    out[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


def rate_limited(per_minute: int, store: str) -> list[DefineMiddleware]:
    """The middleware of one limit: `per_minute` requests per client address, counted in the store `store`."""
    config = RateLimitConfig(rate_limit=("minute", per_minute), store=store, middleware_class=SharedRateLimit)
    return [config.middleware]


def client_address(trusted_proxies: str | None) -> list[Callable[[ASGIApp], ASGIApp]]:
    """The app-level middleware that settles the client address from X-Forwarded-For and X-Forwarded-Proto, read
    only from a trusted proxy. Without one there is none: the peer is the client (`ledger serve` runs uvicorn
    with its own proxy-header handling off, which would otherwise believe any request from 127.0.0.1)."""
    trusted = trusted_networks(trusted_proxies)
    if not trusted:
        return []

    def behind_proxies(app: Any) -> Any:
        return ProxyHeadersMiddleware(app, trusted_hosts=trusted)

    return [behind_proxies]
