"""A revoked key is refused by every API process at once.

The database is the truth (``api_keys.revoked``); each process also remembers keys it has seen for
``KEY_CACHE_SECONDS``. When several processes serve one database (``docs/deploy.md``), the process that
revokes a key publishes its hash on a Redis channel and every process, itself included, forgets that key,
so the next request reads the database. A process that loses its subscription (Redis restarting) forgets
every key when it subscribes again, since it may have missed a revocation meanwhile. Without Redis, the
revoking process forgets the key itself; several servers then need ``SUMMIT_REDIS_URL``.

Revoking a key (``DELETE /keys/{id}``, ``summit keys revoke``) calls ``app.state.revocations.revoked(key_id)``
once the ``revoked`` flag is committed.
"""

from __future__ import annotations

import logging
import threading

from api.store.repository import Repository

log = logging.getLogger(__name__)
CHANNEL = "summit:keys:revoked"


class KeyRevocations:
    def __init__(self, repo: Repository, redis_url: str | None) -> None:
        self.repo = repo
        self.redis_url = redis_url
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None

    def revoked(self, key_id: str) -> None:
        """Call after the key's ``revoked`` flag is committed: every process forgets it."""
        self.repo.forget_keys(key_id)
        if self.redis_url is None:
            return
        import redis

        try:
            redis.Redis.from_url(self.redis_url, socket_timeout=2).publish(CHANNEL, key_id)
        except redis.RedisError as error:  # the others keep it for KEY_CACHE_SECONDS at most
            log.error("could not tell the other API processes that key %s is revoked: %r", key_id, error)

    def start(self) -> None:
        if self.redis_url is not None:
            self._thread = threading.Thread(target=self._listen, name="key-revocations", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._closing.set()

    def _listen(self) -> None:
        import redis

        client = redis.Redis.from_url(self.redis_url or "", socket_timeout=5, health_check_interval=10)
        while not self._closing.is_set():
            try:
                with client.pubsub(ignore_subscribe_messages=True) as subscription:
                    subscription.subscribe(CHANNEL)
                    self.repo.forget_keys()  # anything revoked while we were not listening
                    while not self._closing.is_set():
                        message = subscription.get_message(timeout=1.0)
                        if message is not None:
                            data = message["data"]
                            self.repo.forget_keys(data.decode() if isinstance(data, bytes) else str(data))
            except redis.RedisError as error:
                log.warning("key revocations: %r; subscribing again", error)
                self._closing.wait(1.0)
