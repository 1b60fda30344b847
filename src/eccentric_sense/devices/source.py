"""One asynchronous interface for every sample source (serial, BLE, replay).

A *source* is an async context manager and an async iterator of
:class:`~eccentric_sense.devices.types.SampleBatch`::

    async with open_source("serial:/dev/ttyUSB0", protocol="es1") as source:
        async for batch in source:
            ...

Transport callbacks (a serial reader thread, bleak notifications, a replay
timer) never do work themselves: they decode and hand batches to an
:class:`asyncio.Queue`, which the iterator drains.  The iterator ends when
the source is closed, when a replay file is exhausted, or when a device went
away and did not come back within the give-up timeout.  Every failure is a
:class:`~eccentric_sense.errors.DeviceError` subclass (see
:mod:`eccentric_sense.devices.errors`).
"""

from __future__ import annotations

import asyncio
import collections
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Deque

from .errors import DeviceError, DeviceNotRespondingError
from .types import DecoderStats, SampleBatch

__all__ = ["Gap", "SourceStats", "Source", "open_source", "parse_uri", "PROTOCOLS"]

#: Wire protocols a live source can speak.
PROTOCOLS = ("es1", "witmotion", "polar")

#: Window over which :attr:`SourceStats.samples_per_s` is measured.
_RATE_WINDOW_S = 2.0


@dataclass
class Gap:
    """A stretch of time in which the device was disconnected and sent nothing.

    Attributes
    ----------
    after_sample
        Number of samples delivered before the gap began.
    start_host_s, end_host_s
        Host monotonic times of the start and end (``None`` while open).
    reason
        Why (``"disconnected"``, ``"port error: ..."``).
    """

    after_sample: int
    start_host_s: float
    reason: str
    end_host_s: float | None = None

    @property
    def duration_s(self) -> float | None:
        return None if self.end_host_s is None else self.end_host_s - self.start_host_s


@dataclass
class SourceStats:
    """Counters of one source, a snapshot taken by :attr:`Source.stats`.

    ``lost_samples`` counts samples the protocol *knows* were lost (sequence
    gaps); samples missed during a disconnect are visible as :attr:`gaps`
    instead, because a device without sequence numbers cannot count them.
    """

    samples: int = 0
    samples_per_s: float = 0.0
    lost_samples: int = 0
    checksum_errors: int = 0
    bytes_in: int = 0
    bytes_skipped: int = 0
    messages_ok: int = 0
    reconnects: int = 0
    gaps: list[Gap] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary (gaps with their durations)."""
        out = asdict(self)
        out["gaps"] = [dict(asdict(gap), duration_s=gap.duration_s) for gap in self.gaps]
        return out


_END = object()


class Source:
    """Base class of all sources: queue, statistics, iteration and lifecycle.

    Subclasses implement :meth:`_start` (open, handshake, start streaming,
    raise a :class:`DeviceError` on failure) and :meth:`_stop` (stop
    streaming, release everything; must not raise), and call
    :meth:`_deliver` for every decoded batch and :meth:`_end` when the
    stream is over for good.

    Attributes
    ----------
    uri
        The URI the source was opened with.
    protocol
        Wire protocol (``"es1"``, ``"witmotion"``, ``"replay"``).
    sample_rate_hz
        Nominal sample rate (applied by the device, or the file's metadata).
    has_gyroscope
        Whether batches carry gyroscope data.
    device_info
        What the device told about itself (name, firmware, ...), as text.
    """

    transport = "?"

    def __init__(self, uri: str, *, protocol: str) -> None:
        self.uri = uri
        self.protocol = protocol
        self.sample_rate_hz: float | None = None
        self.has_gyroscope = True
        self.device_info: dict[str, str] = {}
        self._queue: asyncio.Queue[Any] | None = None
        self._samples = 0
        self._lost = 0
        self._reconnects = 0
        self._gaps: list[Gap] = []
        self._finished_decoders = DecoderStats()
        self._decoder_stats: DecoderStats | None = None
        self._recent: Deque[tuple[float, int]] = collections.deque()
        self._opened = False
        self._ended = False

    # ------------------------------------------------------------------ lifecycle
    async def open(self) -> None:
        """Connect, configure and start streaming (idempotent)."""
        if self._opened:
            return
        self._queue = asyncio.Queue()
        await self._start()
        self._opened = True

    async def close(self) -> None:
        """Stop streaming and release the device (idempotent, never raises)."""
        if self._queue is None:
            return
        try:
            await self._stop()
        finally:
            self._end()

    async def __aenter__(self) -> "Source":
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __aiter__(self) -> "Source":
        return self

    async def __anext__(self) -> SampleBatch:
        if self._queue is None:
            raise DeviceError(f"{self.uri}: the source is not open; use 'async with open_source(...)'")
        item = await self._queue.get()
        if item is _END:
            self._queue.put_nowait(_END)  # later calls end too
            raise StopAsyncIteration
        if isinstance(item, BaseException):
            raise item
        return item

    @property
    def gap_starts(self) -> tuple[int, ...]:
        """For each gap so far, the number of samples delivered before it."""
        return tuple(g.after_sample for g in self._gaps)

    def pending(self) -> int:
        """Number of batches waiting in the queue."""
        return 0 if self._queue is None else self._queue.qsize()

    @property
    def ended(self) -> bool:
        """True once the stream is over (closed, exhausted, or device gone)."""
        return self._ended

    # ------------------------------------------------------------------ statistics
    @property
    def stats(self) -> SourceStats:
        """A snapshot of the counters."""
        totals = _add_stats(self._finished_decoders, self._decoder_stats)
        return SourceStats(
            samples=self._samples,
            samples_per_s=self._rate(),
            lost_samples=self._lost,
            checksum_errors=totals.checksum_errors,
            bytes_in=totals.bytes_in,
            bytes_skipped=totals.bytes_skipped,
            messages_ok=totals.messages_ok,
            reconnects=self._reconnects,
            gaps=[Gap(**asdict(g)) for g in self._gaps],
        )

    def _rate(self) -> float:
        now = time.monotonic()
        while self._recent and now - self._recent[0][0] > _RATE_WINDOW_S:
            self._recent.popleft()
        if not self._recent:
            return 0.0
        return sum(n for _, n in self._recent) / _RATE_WINDOW_S

    # ------------------------------------------------------------------ for subclasses
    async def _start(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    async def _stop(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _use_decoder_stats(self, stats: DecoderStats | None) -> None:
        """Count a new decoder's statistics (after a reconnect) on top of the old ones."""
        if self._decoder_stats is not None:
            self._finished_decoders = _add_stats(self._finished_decoders, self._decoder_stats)
        self._decoder_stats = stats

    def _deliver(self, batch: SampleBatch) -> None:
        """Hand one decoded batch to the consumer (call from the event loop)."""
        n = len(batch)
        if self._ended or self._queue is None or (n == 0 and batch.lost_samples == 0):
            return
        if batch.host_time_s != batch.host_time_s:  # NaN: stamp it now
            batch.host_time_s = time.monotonic()
        self._samples += n
        self._lost += int(batch.lost_samples)
        self._recent.append((batch.host_time_s, n))
        self._queue.put_nowait(batch)

    def _deliver_decoded(self, batches: list[SampleBatch], host_time: float, *, accepting: bool = True) -> None:
        """Stamp and deliver what a decoder returned for one read or notification.

        ``accepting`` is False before the device acknowledged START: such data
        belongs to no recording and is dropped.
        """
        if not accepting:
            return
        for batch in batches:
            batch.host_time_s = host_time
            self._deliver(batch)

    async def _await_first_message(self, decoder: Any, timeout_s: float, *, hint: str) -> None:
        """Wait until ``decoder`` has accepted a valid message (for protocols without acknowledgements)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while decoder.stats.messages_ok == 0:
            if loop.time() > deadline:
                got = decoder.stats.bytes_in
                what = "no data at all" if got == 0 else f"{got} bytes but no valid packet"
                raise DeviceNotRespondingError(f"{self.uri}: {what} within {timeout_s:g} s; {hint}")
            await asyncio.sleep(0.05)

    def _begin_gap(self, reason: str) -> Gap:
        gap = Gap(after_sample=self._samples, start_host_s=time.monotonic(), reason=reason)
        self._gaps.append(gap)
        return gap

    def _end_gap(self, gap: Gap) -> None:
        gap.end_host_s = time.monotonic()
        self._reconnects += 1

    def _fail(self, error: DeviceError) -> None:
        """End the stream with an error the consumer will see after the queued batches."""
        if self._queue is not None and not self._ended:
            self._queue.put_nowait(error)
        self._end()

    def _end(self) -> None:
        if self._queue is not None and not self._ended:
            self._queue.put_nowait(_END)
        self._ended = True


def requested_rate(protocol: str, sample_rate_hz: float | None, witmotion_default: float) -> float | None:
    """The output rate to configure: es1 keeps the device's (``None``); WitMotion needs a supported one."""
    if protocol != "witmotion":
        return sample_rate_hz
    from .codecs import witmotion

    rate = sample_rate_hz or witmotion_default
    witmotion.set_output_rate_command(rate)  # raises ConfigError for a rate the device lacks
    return rate


def _add_stats(a: DecoderStats, b: DecoderStats | None) -> DecoderStats:
    if b is None:
        return a
    return DecoderStats(
        bytes_in=a.bytes_in + b.bytes_in,
        messages_ok=a.messages_ok + b.messages_ok,
        checksum_errors=a.checksum_errors + b.checksum_errors,
        bytes_skipped=a.bytes_skipped + b.bytes_skipped,
        lost_samples=a.lost_samples + b.lost_samples,
        other_messages=a.other_messages + b.other_messages,
        samples_out=a.samples_out + b.samples_out,
    )


_URI = re.compile(r"^(?P<scheme>[a-z]+):(?P<target>.+)$")
_SCHEMES = ("serial", "ble", "replay")


def parse_uri(uri: str) -> tuple[str, str]:
    """Split ``scheme:target``; raise a :class:`DeviceError` naming the accepted forms."""
    match = _URI.match(uri.strip())
    if not match or match.group("scheme") not in _SCHEMES:
        raise DeviceError(
            f"cannot understand the device '{uri}'; use serial:PORT (e.g. serial:/dev/ttyUSB0, "
            "serial:COM3), ble:NAME_OR_ADDRESS or replay:FILE.csv"
        )
    return match.group("scheme"), match.group("target")


def open_source(uri: str, **options: Any) -> Source:
    """Create the source for ``uri`` (not yet opened: use ``async with``).

    Parameters
    ----------
    uri
        ``serial:PORT``, ``ble:NAME_OR_ADDRESS`` or ``replay:FILE.csv``.
    **options
        Passed to the source class: ``protocol`` (``"es1"``, ``"witmotion"``;
        ``"polar"`` over BLE only), ``sample_rate_hz``, ``baudrate``
        (serial), ``reconnect_timeout_s`` (how long a vanished device is
        waited for), ``scan_timeout_s`` (BLE), ``speed`` (replay; ``0`` for
        as fast as possible), and for tests ``client_backend`` /
        ``scanner_backend`` (bleak backend classes).

    Returns
    -------
    Source
    """
    scheme, target = parse_uri(uri)
    if scheme == "replay":
        from .replay import ReplaySource

        options.pop("protocol", None)
        return ReplaySource(target, **options)
    protocol = options.pop("protocol", None)
    if protocol is None:
        raise DeviceError(f"{uri}: say which protocol the device speaks (one of {', '.join(PROTOCOLS)})")
    if protocol not in PROTOCOLS:
        raise DeviceError(f"unknown protocol '{protocol}'; known: {', '.join(PROTOCOLS)}")
    if scheme == "serial":
        from .serial_source import SerialSource

        return SerialSource(target, protocol=protocol, **options)
    from .ble_source import BleSource

    return BleSource(target, protocol=protocol, **options)
