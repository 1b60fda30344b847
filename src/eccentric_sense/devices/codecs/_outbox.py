"""Where decoders put the valid messages that carry no samples."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["MessageOutbox"]

M = TypeVar("M")


class MessageOutbox(Generic[M]):
    """Hand each message to ``on_message`` if given, else keep the newest ``max_pending``.

    The callback runs synchronously inside the decoder's ``feed``; adapters
    usually forward to ``asyncio.Queue.put_nowait``.
    """

    def __init__(self, on_message: Callable[[M], None] | None, max_pending: int) -> None:
        self._on_message = on_message
        self._pending: deque[M] = deque(maxlen=max_pending)

    def deliver(self, message: M) -> None:
        if self._on_message is not None:
            self._on_message(message)
        else:
            self._pending.append(message)

    def pop_all(self) -> list[M]:
        out = list(self._pending)
        self._pending.clear()
        return out
