"""Types shared by every codec and device adapter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

__all__ = ["SampleBatch", "DecoderStats", "Decoder"]


@dataclass
class SampleBatch:
    """Samples decoded from one message (or one group of messages).

    Attributes
    ----------
    device_time_s
        Per-sample device time in seconds, shape ``(n,)``; ``NaN`` where the
        device sends no time (the recorder then uses host time).
    acc_g
        Accelerometer, g, shape ``(n, 3)``.
    gyr_dps
        Gyroscope, deg/s, shape ``(n, 3)``, or ``None``.
    seq
        The message sequence number, if the protocol has one.
    lost_samples
        Samples known to be lost *before* this batch (sequence gap).
    host_time_s
        Host receive time (``time.monotonic()``), filled in by the adapter.
    """

    device_time_s: np.ndarray
    acc_g: np.ndarray
    gyr_dps: np.ndarray | None = None
    seq: int | None = None
    lost_samples: int = 0
    host_time_s: float = float("nan")

    def __len__(self) -> int:
        return int(np.asarray(self.device_time_s).size)


@dataclass
class DecoderStats:
    """Counters every decoder keeps; shown live and written to metadata."""

    bytes_in: int = 0
    messages_ok: int = 0
    checksum_errors: int = 0
    bytes_skipped: int = 0  # garbage dropped while resynchronising
    lost_samples: int = 0  # inferred from sequence gaps
    other_messages: int = 0  # valid messages that carry no samples
    samples_out: int = 0
    extra: dict[str, int] = field(default_factory=dict)


class Decoder(Protocol):
    """Bytes in, sample batches out.  Never raises on any input."""

    stats: DecoderStats

    def feed(self, data: bytes) -> list[SampleBatch]:
        """Consume raw bytes (any split) and return the complete batches found."""
        ...
