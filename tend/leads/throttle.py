"""How often one address may send leads through one web form: a counter per form key,
address and minute in Django's cache — a file cache in the data directory that every server
process of the machine shares, or Redis (TEND_CACHE_URL) when several machines serve Tend."""

import hashlib
import time

from django.core.cache import cache

INBOUND_PER_MINUTE = 30
_WINDOW_SECONDS = 60


def inbound_allowed(form_key: str, address: str, now: float | None = None) -> bool:
    """Count one submission; False once this key and address sent more than the limit in
    the current minute."""
    minute = int((time.time() if now is None else now) // _WINDOW_SECONDS)
    # Hashed: a cache key holds no form key in clear, and has a bounded length.
    digest = hashlib.sha256(f"{form_key}\x00{address}".encode()).hexdigest()[:40]
    key = f"tend:lead-inbound:{digest}:{minute}"
    cache.add(key, 0, timeout=2 * _WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:
        # Expired between add and incr.
        cache.set(key, 1, timeout=2 * _WINDOW_SECONDS)
        count = 1
    return count <= INBOUND_PER_MINUTE
