"""Attempts kept across runs (issue 17): a change's Idempotency-Key and request, written to the state folder before
anything is sent and forgotten once the portal has given a definitive answer, so that the same command run again
after an unknown outcome (the portal unreachable, 5xx after the retries, gkh itself killed) sends the kept request
with the kept key, and the portal replays its first outcome instead of doing it twice. `gkh pay` and
`gkh wallet top-up` keep theirs in payments.json, `gkh appeal send` and `gkh appeal answer` in appeals.json."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

KEPT_FOR = timedelta(hours=24)  # as long as the portal keeps an idempotency key


class KeptAttempts:
    """Idempotency keys and requests kept in a file of the state folder (0600, folder 0700, written whole under a
    file lock) from before each is sent until the portal's answer is known; each under a hash of what the command
    was asked to do, so the same command run again finds it. Entries older than KEPT_FOR are dropped."""

    def __init__(self, now: datetime, file: str):
        from gkh.paths import state_home

        self.now = now
        self.path = state_home() / file

    @staticmethod
    def slot(*identity: Any) -> str:
        """The hash of what identifies the command's request (the profile, the portal, what it was asked)."""
        return hashlib.sha256(json.dumps(identity, ensure_ascii=False).encode("utf-8")).hexdigest()

    def get(self, slot: str) -> dict | None:
        """The live attempt kept under `slot`, if any."""
        return self._live(self._read()).get(slot)

    def put(self, slot: str, key: str, body: dict) -> None:
        self._change(lambda attempts: attempts.update(
            {slot: {"key": key, "body": body, "saved_at": self.now.isoformat(timespec="seconds")}}))

    def forget(self, slot: str) -> None:
        self._change(lambda attempts: attempts.pop(slot, None))

    def _change(self, change: Callable[[dict], object]) -> None:
        from gkh.config._files import locked, write_state

        with locked(self.path):
            attempts = self._live(self._read())
            change(attempts)
            write_state(self.path, "attempts", attempts)

    def _read(self) -> dict:
        from gkh.config._files import read_state

        return read_state(self.path, "attempts")

    def _live(self, attempts: dict) -> dict:
        live = {}
        for slot, entry in attempts.items():
            try:
                saved = datetime.fromisoformat(entry["saved_at"])
                if self.now - saved < KEPT_FOR and saved <= self.now + timedelta(minutes=5) \
                        and isinstance(entry["key"], str) and isinstance(entry["body"], dict):
                    live[slot] = entry
            except (KeyError, TypeError, ValueError):
                continue
        return live

