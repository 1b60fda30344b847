"""Property tests of every byte decoder (hypothesis).

Each decoder must: never raise on any byte string, in any split; account for
every byte; and recover every valid frame that garbage is inserted around.
Example counts (``max_examples``) add up to 10,600 across the tests below.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eccentric_sense.devices.codecs import es1, witmotion_ble, witmotion_serial
from eccentric_sense.devices.codecs.es1 import Es1MessageDecoder, Es1SerialDecoder
from eccentric_sense.devices.codecs.witmotion_ble import WitmotionBleDecoder
from eccentric_sense.devices.codecs.witmotion import ACC_SCALE_G as ACC
from eccentric_sense.devices.codecs.witmotion import GYR_SCALE_DPS as GYR
from eccentric_sense.devices.codecs.witmotion_serial import WitmotionSerialDecoder


def fast(n: int):
    return settings(max_examples=n, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)
counts16 = st.integers(-32768, 32767)


@st.composite
def imu_batches(draw) -> bytes:
    n = draw(st.integers(0, 24))
    gyro = draw(st.booleans())
    # Raw bytes are much cheaper for hypothesis to generate than lists of integers.
    values = np.frombuffer(draw(st.binary(min_size=n * 12, max_size=n * 12)), dtype="<i2").reshape(n, 6)
    return es1.encode_imu_batch(
        values[:, :3], values[:, 3:] if gyro else None, seq=draw(u16), device_time_us=draw(u32),
        period_us=draw(u16),
    )


finite32 = st.floats(width=32, allow_nan=False)


@st.composite
def other_messages(draw) -> bytes:
    seq, t_us = draw(u16), draw(u32)
    kind = draw(st.sampled_from(["status", "command", "ack", "ack_config", "ack_sync", "info"]))
    if kind == "status":
        return es1.encode_status(
            draw(st.integers(0, 255)), seq=seq, device_time_us=t_us, flags=draw(st.integers(0, 255)),
            battery_percent=draw(st.integers(0, 255)), dropped_samples=draw(u32),
            temperature_centi_c=draw(counts16),
        )
    if kind == "command":
        return es1.encode_command(
            draw(st.integers(0, 255)), draw(st.binary(max_size=40)), req_id=draw(st.integers(0, 255)),
            seq=seq, device_time_us=t_us,
        )
    config = es1.DeviceConfig(draw(u16), draw(st.integers(0, 255)), draw(u16), draw(u32), draw(finite32), draw(finite32))
    if kind == "ack":
        opcode = draw(st.sampled_from([es1.Opcode.GET_INFO, es1.Opcode.START, es1.Opcode.STOP, es1.Opcode.PING, 0x99]))
        return es1.encode_ack(
            draw(st.integers(0, 255)), opcode, draw(st.integers(0, 255)), draw(st.binary(max_size=32)),
            seq=seq, device_time_us=t_us,
        )
    if kind == "ack_config":
        return es1.encode_ack(1, es1.Opcode.SET_CONFIG, es1.Status.OK, es1.pack_device_config(config), seq=seq, device_time_us=t_us)
    if kind == "ack_sync":
        reply = es1.TimeSyncReply(draw(u32), draw(st.integers(0, 2**64 - 1)), draw(st.integers(0, 2**64 - 1)))
        return es1.encode_ack(2, es1.Opcode.TIME_SYNC, es1.Status.OK, es1.pack_time_sync_reply(reply), seq=seq, device_time_us=t_us)
    return es1.encode_device_info(
        es1.DeviceInfo(
            seq=seq, device_time_us=t_us, firmware_version=(1, 2, 3), imu_model=draw(st.integers(0, 255)),
            config=config, max_batch=draw(st.integers(0, 255)), supported_formats=draw(st.integers(0, 255)),
            device_id=draw(st.integers(0, 2**64 - 1)),
        )
    )


any_message = st.one_of(imu_batches(), other_messages())


def split(data, stream: bytes) -> list[bytes]:
    """Cut ``stream`` at hypothesis-chosen points."""
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(stream)), max_size=12))))
    bounds = [0, *cuts, len(stream)]
    return [stream[a:b] for a, b in zip(bounds, bounds[1:])]


class Recorder:
    """Feed chunks, keep the batches' seq numbers and the other messages' bytes, in order."""

    def __init__(self, decoder_type) -> None:
        self.others: list[bytes] = []
        self.decoder = decoder_type(on_message=lambda m: self.others.append(es1.encode(m)))
        self.batch_seqs: list[int] = []

    def feed(self, chunks) -> None:
        for chunk in chunks:
            for b in self.decoder.feed(chunk):
                self.batch_seqs.append(b.seq)
                assert b.acc_g.shape == (len(b), 3) and np.isfinite(b.device_time_s).all()
                assert b.lost_samples >= 0


def expected(messages: list[bytes]) -> tuple[list[int], list[bytes]]:
    batches = [m for m in messages if m[1] == es1.MessageType.IMU_BATCH]
    return [int.from_bytes(m[2:4], "little") for m in batches], [m for m in messages if m[1] != es1.MessageType.IMU_BATCH]


def is_subsequence(needle: list, haystack: list) -> bool:
    it = iter(haystack)
    return all(any(x == y for y in it) for x in needle)


# --------------------------------------------------------------------------- COBS and CRC


@fast(2000)
@given(st.binary(max_size=1200))
def test_cobs_round_trip(data: bytes) -> None:
    encoded = es1.cobs_encode(data)
    assert 0 not in encoded
    assert len(encoded) <= len(data) + 1 + len(data) // 254
    assert es1.cobs_decode(encoded) == data


@fast(1000)
@given(any_message)
def test_es1_parse_encode_round_trip(message: bytes) -> None:
    assert es1.encode(es1.parse_message(message)) == message


@fast(1500)
@given(any_message, st.data())
def test_es1_every_single_bit_flip_is_caught(message: bytes, data) -> None:
    bit = data.draw(st.integers(0, 8 * len(message) - 1))
    corrupted = bytearray(message)
    corrupted[bit // 8] ^= 1 << (bit % 8)
    seen: list = []
    decoder = Es1MessageDecoder(on_message=seen.append)
    assert decoder.feed(bytes(corrupted)) == [] and seen == []
    # CRC-16 detects every single-bit error, whatever field it hits.
    assert decoder.stats.checksum_errors == 1
    assert decoder.stats.bytes_skipped == len(message)


# --------------------------------------------------------------------------- es1 decoders never raise


@fast(1500)
@given(st.lists(st.binary(max_size=600), max_size=8))
def test_es1_message_decoder_survives_any_notifications(notifications: list[bytes]) -> None:
    decoder = Es1MessageDecoder()
    for n in notifications:
        decoder.feed(n)
    stats = decoder.stats
    assert stats.bytes_in == sum(map(len, notifications))
    assert stats.bytes_skipped <= stats.bytes_in


@fast(1500)
@given(st.binary(max_size=1500), st.data())
def test_es1_serial_decoder_survives_any_bytes(stream: bytes, data) -> None:
    decoder = Es1SerialDecoder()
    for chunk in split(data, stream):
        decoder.feed(chunk)
    assert decoder.stats.bytes_in == len(stream)
    assert decoder.stats.bytes_skipped <= len(stream)
    assert len(decoder._buffer) <= es1.MAX_FRAME_LENGTH


@fast(300)
@given(st.lists(any_message, min_size=1, max_size=5), st.data())
def test_es1_serial_decoder_survives_mutated_streams(messages: list[bytes], data) -> None:
    stream = bytearray(b"".join(es1.frame_serial(m) for m in messages))
    for _ in range(data.draw(st.integers(1, 6))):
        if not stream:
            break
        pos = data.draw(st.integers(0, len(stream) - 1))
        edit = data.draw(st.sampled_from(["replace", "insert", "delete"]))
        if edit == "replace":
            stream[pos] = data.draw(st.integers(0, 255))
        elif edit == "insert":
            stream[pos:pos] = data.draw(st.binary(min_size=1, max_size=20))
        else:
            del stream[pos : pos + data.draw(st.integers(1, 20))]
    recorder = Recorder(Es1SerialDecoder)
    recorder.feed(split(data, bytes(stream)))
    stats = recorder.decoder.stats
    assert stats.bytes_in == len(stream)
    assert stats.samples_out >= 0 and stats.messages_ok <= len(messages) + 20


# --------------------------------------------------------------------------- es1 recovery


@fast(400)
@given(
    st.lists(st.tuples(any_message, st.binary(max_size=60)), min_size=1, max_size=5),
    st.binary(max_size=60),
    st.data(),
)
def test_es1_serial_recovers_every_frame_around_garbage(pairs, lead: bytes, data) -> None:
    messages = [m for m, _ in pairs]
    stream = lead + b"".join(es1.frame_serial(m) + junk for m, junk in pairs)
    recorder = Recorder(Es1SerialDecoder)
    recorder.feed(split(data, stream))
    want_seqs, want_others = expected(messages)
    # Garbage could in principle forge an extra valid frame; it can never hide a real one.
    assert is_subsequence(want_seqs, recorder.batch_seqs)
    assert is_subsequence(want_others, recorder.others)
    if not lead and not any(junk for _, junk in pairs):
        assert recorder.batch_seqs == want_seqs and recorder.others == want_others
        assert recorder.decoder.stats.bytes_skipped == 0


@fast(300)
@given(st.lists(st.one_of(any_message, st.binary(max_size=80)), max_size=8))
def test_es1_message_decoder_recovers_valid_notifications(notifications: list[bytes]) -> None:
    recorder = Recorder(Es1MessageDecoder)
    recorder.feed(notifications)
    valid = []
    for n in notifications:
        try:
            es1.parse_message(n)
        except es1.Es1FormatError:
            continue
        valid.append(n)
    want_seqs, want_others = expected(valid)
    assert recorder.batch_seqs == want_seqs and recorder.others == want_others
    assert recorder.decoder.stats.messages_ok == len(valid)


@fast(300)
@given(u32, st.lists(st.integers(-(2**31) + 1, 2**31 - 1), max_size=50))
def test_time_unwrapper_tracks_steps_below_half_range(start: int, steps: list[int]) -> None:
    unwrapper = es1.TimeUnwrapper()
    true_time = start
    assert unwrapper.unwrap(start) == start
    for step in steps:
        true_time += step
        assert unwrapper.unwrap(true_time % 2**32) == true_time


# --------------------------------------------------------------------------- WitMotion

# Three int16 counts; the tests turn them into g or deg/s with the codec's scale.
wit_counts = st.binary(min_size=6, max_size=6).map(lambda b: np.frombuffer(b, dtype="<i2").astype(float))
no_header_junk = st.binary(max_size=30).map(lambda b: b.replace(b"\x55", b"\x56"))


@pytest.mark.parametrize(
    ("decoder_type", "packet_length"), [(WitmotionSerialDecoder, 11), (WitmotionBleDecoder, 20)]
)
@fast(600)
@given(stream=st.binary(max_size=1500), data=st.data())
def test_witmotion_decoders_account_for_every_byte(decoder_type, packet_length: int, stream: bytes, data) -> None:
    decoder = decoder_type()
    for chunk in split(data, stream):
        decoder.feed(chunk)
    s = decoder.stats
    # Every byte was part of a packet, skipped while resynchronising, or is still pending.
    assert s.bytes_in == packet_length * s.messages_ok + s.bytes_skipped + len(decoder._buffer)
    assert len(decoder._buffer) < packet_length


@fast(300)
@given(st.lists(st.tuples(wit_counts, wit_counts, no_header_junk), min_size=1, max_size=8), st.data())
def test_witmotion_serial_recovers_every_period_around_garbage(periods, data) -> None:
    periods = [(a * ACC, g * GYR, junk) for a, g, junk in periods]
    stream = b"".join(
        witmotion_serial.encode_accel_packet(acc) + junk + witmotion_serial.encode_gyro_packet(gyr)
        + witmotion_serial.encode_angle_packet([1, 2, 3])
        for acc, gyr, junk in periods
    )
    decoder = WitmotionSerialDecoder()
    batches = [b for chunk in split(data, stream) for b in decoder.feed(chunk)]
    acc = np.vstack([b.acc_g for b in batches])
    gyr = np.vstack([b.gyr_dps for b in batches])
    np.testing.assert_array_equal(acc, [p[0] for p in periods])
    np.testing.assert_array_equal(gyr, [p[1] for p in periods])
    assert decoder.stats.checksum_errors == 0
    assert decoder.stats.bytes_skipped == sum(len(junk) for _, _, junk in periods)


@fast(300)
@given(st.lists(st.tuples(wit_counts, wit_counts, no_header_junk), min_size=1, max_size=8), st.data())
def test_witmotion_ble_recovers_every_packet_in_any_notification_split(packets, data) -> None:
    packets = [(a * ACC, g * GYR, junk) for a, g, junk in packets]
    stream = b"".join(witmotion_ble.encode_data_packet(acc, gyr) + junk for acc, gyr, junk in packets)
    decoder = WitmotionBleDecoder()
    batches = [b for chunk in split(data, stream) for b in decoder.feed(chunk)]
    np.testing.assert_array_equal(np.vstack([b.acc_g for b in batches]), [p[0] for p in packets])
    np.testing.assert_array_equal(np.vstack([b.gyr_dps for b in batches]), [p[1] for p in packets])
    assert decoder.stats.bytes_skipped == sum(len(junk) for _, _, junk in packets)
