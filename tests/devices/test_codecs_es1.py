"""es1 codec: golden vectors, COBS, CRC, decoder bookkeeping (loss, wrap, scales, resync)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from eccentric_sense.devices.codecs import es1
from eccentric_sense.devices.codecs.es1 import (
    Ack,
    DeviceInfo,
    Es1MessageDecoder,
    Es1SerialDecoder,
    Opcode,
    Status,
)
from eccentric_sense.devices.types import SampleBatch

VECTOR_DIR = Path(__file__).resolve().parents[2] / "firmware_protocol" / "vectors"
VECTORS = sorted(p.stem for p in VECTOR_DIR.glob("*.json"))


def load_vector(name: str) -> tuple[bytes, dict]:
    wire = bytes.fromhex((VECTOR_DIR / f"{name}.hex").read_text().strip())
    return wire, json.loads((VECTOR_DIR / f"{name}.json").read_text())


def wire_message(name: str) -> bytes:
    """The bare message of a vector (serial vectors are unframed by hand, not by our decoder)."""
    wire, record = load_vector(name)
    return bytes.fromhex(record["message_hex"]) if record["framing"] == "serial" else wire


def batch(n: int, *, seq: int, t_us: int, period_us: int = 5000, gyro: bool = True, value: int = 0) -> bytes:
    acc = np.full((n, 3), value, dtype=np.int16)
    return es1.encode_imu_batch(acc, acc if gyro else None, seq=seq, device_time_us=t_us, period_us=period_us)


# --------------------------------------------------------------------------- primitives


def test_crc16_check_value() -> None:
    # The published check value of CRC-16/CCITT-FALSE.
    assert es1.crc16(b"123456789") == 0x29B1


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        # Examples from the COBS article on Wikipedia (encoded form without the delimiter).
        ("00", "0101"),
        ("0000", "010101"),
        ("001100", "01021101"),
        ("11220033", "0311220233"),
        ("11223344", "0511223344"),
        ("11000000", "0211010101"),
    ],
)
def test_cobs_published_examples(raw: str, encoded: str) -> None:
    assert es1.cobs_encode(bytes.fromhex(raw)).hex() == encoded
    assert es1.cobs_decode(bytes.fromhex(encoded)).hex() == raw


def test_cobs_254_byte_block() -> None:
    data = bytes(range(1, 255))  # 254 non-zero bytes
    # Like Arduino PacketSerial we close with an empty block; the shorter form
    # (no trailing 01) that some encoders emit must decode to the same bytes.
    assert es1.cobs_encode(data) == b"\xff" + data + b"\x01"
    assert es1.cobs_decode(b"\xff" + data) == data
    assert es1.cobs_decode(b"\xff" + data + b"\x01") == data
    assert es1.cobs_decode(b"\x01\xff" + data) == b"\x00" + data


@pytest.mark.parametrize("bad", [b"", b"\x05\x01", b"\x02\x00", b"\x03\x11"])
def test_cobs_decode_rejects_invalid(bad: bytes) -> None:
    with pytest.raises(es1.CobsError):
        es1.cobs_decode(bad)


def test_max_samples_per_message_matches_ble_mtus() -> None:
    assert es1.max_samples_per_message(247 - 3) == 19
    assert es1.max_samples_per_message(185 - 3) == 14
    assert es1.max_samples_per_message(23 - 3) == 0
    assert es1.max_samples_per_message(23 - 3, gyro=False) == 1
    assert len(batch(19, seq=0, t_us=0)) == 242


def test_uuids_are_distinct_128_bit_strings() -> None:
    uuids = {es1.SERVICE_UUID, es1.DATA_CHAR_UUID, es1.CONTROL_CHAR_UUID}
    assert len(uuids) == 3
    for u in uuids:
        assert len(u) == 36 and u == u.lower() and not u.endswith("00805f9b34fb")


# --------------------------------------------------------------------------- golden vectors


def test_every_message_type_has_vectors() -> None:
    types = {load_vector(name)[1]["message"]["type"] for name in VECTORS}
    assert types == {"IMU_BATCH", "STATUS", "COMMAND", "ACK", "DEVICE_INFO"}
    opcodes = {load_vector(n)[1]["message"]["opcode"] for n in VECTORS if n.startswith("command_")}
    assert set(Opcode) <= opcodes
    sizes = {load_vector(n)[1]["message"]["n"] for n in VECTORS if n.startswith("imu_batch")}
    assert {1, 5, 19} <= sizes


def test_vector_files_are_what_the_generator_writes() -> None:
    import subprocess
    import sys

    script = VECTOR_DIR.parent / "tools" / "make_vectors.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", VECTORS)
def test_vector_parses_to_its_json(name: str) -> None:
    wire, record = load_vector(name)
    expected = record["message"]
    if record["framing"] == "serial":
        assert wire[0] == 0 and wire[-1] == 0 and 0 not in wire[1:-1]
        message_bytes = es1.cobs_decode(wire[1:-1])
        assert message_bytes.hex() == record["message_hex"]
    else:
        message_bytes = wire
    # Header fields checked straight from the bytes, independent of the parser.
    version, _, seq, t_us = struct.unpack_from("<BBHI", message_bytes)
    assert (version, seq, t_us) == (1, expected["seq"], expected["device_time_us"])
    message = es1.parse_message(message_bytes)
    assert (message.seq, message.device_time_us) == (expected["seq"], expected["device_time_us"])
    kind = expected["type"]
    if kind == "IMU_BATCH":
        assert isinstance(message, es1.ImuBatch)
        assert len(message) == expected["n"] and message.period_us == expected["period_us"]
        assert message.acc_counts.tolist() == expected["acc_counts"]
        gyr = None if message.gyr_counts is None else message.gyr_counts.tolist()
        assert gyr == expected["gyr_counts"]
        channels = 6 if expected["gyr_counts"] is not None else 3
        assert len(message_bytes) == 14 + 2 * channels * expected["n"]
    elif kind == "STATUS":
        assert isinstance(message, es1.StatusReport)
        assert message.temperature_centi_c == expected["temperature_centi_c"]
        assert message.dropped_samples == expected["dropped_samples"]
        assert message.battery_percent == expected["battery_percent"]
    elif kind == "COMMAND":
        assert isinstance(message, es1.Command)
        assert (message.req_id, message.opcode, message.params.hex()) == (
            expected["req_id"], expected["opcode"], expected["params_hex"],
        )
    elif kind == "ACK":
        assert isinstance(message, Ack)
        assert (message.req_id, message.opcode, message.status) == (
            expected["req_id"], expected["opcode"], expected["status"],
        )
        assert message.data.hex() == expected["data_hex"]
        if expected["time_sync"] is not None:
            assert message.time_sync == es1.TimeSyncReply(**expected["time_sync"])
        if expected["config"] is not None:
            assert message.config == es1.DeviceConfig(**expected["config"])
    else:
        assert isinstance(message, DeviceInfo)
        assert message.config == es1.DeviceConfig(**expected["config"])
        assert message.device_id == expected["device_id"]
        assert list(message.firmware_version) == expected["firmware_version"]
    # Encoding the parsed message reproduces the bytes exactly.
    assert es1.encode(message) == message_bytes


def test_specific_vector_bytes_by_hand() -> None:
    # ACK OK to START, seq 0, t = 2.5 s: layout written out from PROTOCOL.md.
    body = bytes([1, 0x11, 0, 0]) + (2_500_000).to_bytes(4, "little") + bytes([3, 0x03, 0x00])
    crc = es1.crc16(body)
    assert load_vector("ack_start")[0] == body + crc.to_bytes(2, "little")
    # A DEVICE_INFO payload is 33 bytes.
    assert len(load_vector("device_info")[0]) == 10 + 33


# --------------------------------------------------------------------------- decoders on vectors


def test_seq_wrap_is_not_a_loss() -> None:
    decoder = Es1MessageDecoder()
    first = decoder.feed(load_vector("seq_wrap_1")[0])
    second = decoder.feed(load_vector("seq_wrap_2")[0])
    assert [b.seq for b in first + second] == [65535, 0]
    assert second[0].lost_samples == 0
    assert decoder.stats.lost_samples == 0 and "lost_messages" not in decoder.stats.extra


def test_time_wrap_is_unwrapped() -> None:
    decoder = Es1MessageDecoder()
    times = np.concatenate(
        [decoder.feed(load_vector(name)[0])[0].device_time_s for name in ("time_wrap_1", "time_wrap_2")]
    )
    t0 = (2**32 - 12_000) * 1e-6
    np.testing.assert_allclose(times, t0 + 0.005 * np.arange(10), rtol=0, atol=1e-9)


def test_time_wrap_unwrapper_many_wraps_and_reordering() -> None:
    unwrapper = es1.TimeUnwrapper()
    true_times = np.arange(0, 5 * 2**32, 2**30 - 12345, dtype=np.int64)
    out = [unwrapper.unwrap(int(t) % 2**32) for t in true_times]
    assert out == true_times.tolist()
    # A message stamped slightly earlier than the previous one stays just before it.
    assert unwrapper.unwrap(int(true_times[-1] - 10) % 2**32) == true_times[-1] - 10


def test_device_info_sets_scales_and_is_reported() -> None:
    decoder = Es1MessageDecoder()
    decoder.feed(load_vector("device_info")[0])
    (info,) = decoder.pop_messages()
    assert isinstance(info, DeviceInfo) and decoder.device_info == info
    counts = np.array([[2048, -2048, 0]], dtype=np.int16)
    gyr = np.array([[164, 0, -1640]], dtype=np.int16)
    (out,) = decoder.feed(es1.encode_imu_batch(counts, gyr, seq=2, device_time_us=0, period_us=5000))
    np.testing.assert_allclose(out.acc_g, [[1.0, -1.0, 0.0]])
    np.testing.assert_allclose(out.gyr_dps, [[10.0, 0.0, -100.0]], rtol=1e-6)


def test_default_scales_before_device_info() -> None:
    decoder = Es1MessageDecoder()
    counts = np.array([[2048, 32767, -32768]], dtype=np.int16)
    (out,) = decoder.feed(es1.encode_imu_batch(counts, counts, seq=0, device_time_us=0, period_us=1000))
    np.testing.assert_allclose(out.acc_g, [[1.0, 32767 / 2048, -16.0]])
    np.testing.assert_allclose(out.gyr_dps, [[125.0, 32767 * 2000 / 32768, -2000.0]])


def test_set_config_ack_changes_scales_but_refusal_does_not() -> None:
    decoder = Es1MessageDecoder()
    decoder.feed(load_vector("ack_set_config_invalid_state")[0])
    assert decoder.acc_scale_g == es1.DEFAULT_ACC_SCALE_G
    decoder.feed(load_vector("ack_set_config")[0])
    assert decoder.acc_scale_g == pytest.approx(8 / 32768)
    assert decoder.gyr_scale_dps == pytest.approx(1000 / 32768)
    assert decoder.config is not None and decoder.config.odr_hz == 200
    acks = decoder.pop_messages()
    assert [a.status for a in acks] == [Status.INVALID_STATE, Status.OK]


def test_time_sync_reply_is_delivered_to_callback() -> None:
    seen: list[es1.Message] = []
    decoder = Es1MessageDecoder(on_message=seen.append)
    decoder.feed(load_vector("ack_time_sync")[0])
    assert decoder.pop_messages() == []
    (ack,) = seen
    assert ack.time_sync == es1.TimeSyncReply(0xDEADBEEF, 2**32 + 123_456, 2**32 + 123_541)


# --------------------------------------------------------------------------- loss and restarts


def test_lost_batch_counts_its_samples() -> None:
    decoder = Es1MessageDecoder()
    out = []
    for seq in (1, 2, 4, 5):  # batch 3 lost
        out += decoder.feed(batch(5, seq=seq, t_us=1_000_000 + (seq - 1) * 25_000))
    assert [b.lost_samples for b in out] == [0, 0, 5, 0]
    assert decoder.stats.lost_samples == 5
    assert decoder.stats.extra["lost_messages"] == 1
    assert decoder.stats.samples_out == 20


def test_lost_status_costs_no_samples() -> None:
    decoder = Es1MessageDecoder()
    decoder.feed(batch(5, seq=1, t_us=0))
    # seq 2 was a STATUS that got lost; batch 3 follows on in time.
    (b,) = decoder.feed(batch(5, seq=3, t_us=25_000))
    assert b.lost_samples == 0
    assert decoder.stats.extra["lost_messages"] == 1


def test_loss_across_seq_and_time_wrap() -> None:
    decoder = Es1MessageDecoder()
    t0 = 2**32 - 30_000
    decoder.feed(batch(4, seq=65534, t_us=t0, period_us=2500))  # ends at t0 + 10 ms
    # seq 65535 and 0 lost (two 4-sample batches), seq 1 arrives after the time wrap.
    (b,) = decoder.feed(batch(4, seq=1, t_us=(t0 + 30_000) % 2**32, period_us=2500))
    assert b.lost_samples == 8
    assert b.device_time_s[0] == pytest.approx((t0 + 30_000) * 1e-6)


def test_clock_jump_cannot_invent_more_losses_than_the_missing_messages_hold() -> None:
    decoder = Es1MessageDecoder()
    decoder.feed(batch(5, seq=1, t_us=0))
    (b,) = decoder.feed(batch(5, seq=3, t_us=1_000_000_000))  # one message missing, clock jumped 1000 s
    assert b.lost_samples == 255


def test_start_ack_restarts_sequence_without_a_gap() -> None:
    decoder = Es1MessageDecoder()
    decoder.feed(batch(5, seq=57, t_us=0))
    decoder.feed(load_vector("ack_start")[0])  # seq 0
    (b,) = decoder.feed(batch(5, seq=1, t_us=3_000_000))
    assert b.lost_samples == 0
    assert decoder.stats.extra.get("seq_discontinuities", 0) == 0
    assert decoder.stats.extra["stream_starts"] == 1
    assert "lost_messages" not in decoder.stats.extra


def test_duplicate_message_is_a_discontinuity_not_a_loss() -> None:
    decoder = Es1MessageDecoder()
    message = batch(5, seq=9, t_us=0)
    decoder.feed(message)
    decoder.feed(message)
    assert decoder.stats.lost_samples == 0
    assert decoder.stats.extra["seq_discontinuities"] == 1


# --------------------------------------------------------------------------- rejects and versioning


def test_crc_failure_is_counted_and_skipped() -> None:
    decoder = Es1MessageDecoder()
    good = load_vector("imu_batch_n5")[0]
    bad = bytearray(good)
    bad[20] ^= 0x04
    assert decoder.feed(bytes(bad)) == []
    assert decoder.stats.checksum_errors == 1
    assert decoder.stats.bytes_skipped == len(good)
    assert len(decoder.feed(good)) == 1


def test_unknown_type_and_major_version_are_ignored() -> None:
    decoder = Es1MessageDecoder()
    assert decoder.feed(es1.encode_message(0x55, b"future", seq=0, device_time_us=0)) == []
    assert decoder.feed(es1.encode_message(0x01, b"", seq=1, device_time_us=0, version=2)) == []
    assert decoder.pop_messages() == []
    assert decoder.stats.extra["unknown_type"] == 1
    assert decoder.stats.extra["version"] == 1
    assert decoder.stats.checksum_errors == 0


def test_longer_payload_is_accepted_append_only() -> None:
    info = es1.parse_message(load_vector("device_info")[0])
    payload = load_vector("device_info")[0][8:-2] + b"\x01\x02\x03\x04"  # a later minor's fields
    decoder = Es1MessageDecoder()
    decoder.feed(es1.encode_message(es1.MessageType.DEVICE_INFO, payload, seq=1, device_time_us=2_000_000))
    assert decoder.device_info is not None and decoder.device_info.config == info.config


def test_truncated_payload_is_rejected() -> None:
    decoder = Es1MessageDecoder()
    decoder.feed(es1.encode_message(es1.MessageType.DEVICE_INFO, b"\x01" * 20, seq=1, device_time_us=0))
    imu_short = struct.pack("<BBH", 5, 3, 5000) + b"\x00" * 12  # claims 5 samples, carries 1
    decoder.feed(es1.encode_message(es1.MessageType.IMU_BATCH, imu_short, seq=2, device_time_us=0))
    decoder.feed(es1.encode_message(es1.MessageType.IMU_BATCH, struct.pack("<BBH", 1, 0x13, 0) + bytes(12), seq=3, device_time_us=0))
    assert decoder.stats.extra["bad_payload"] == 2
    assert decoder.stats.extra["unsupported_format"] == 1
    assert decoder.stats.messages_ok == 0


def test_parse_message_error_names_the_reason() -> None:
    with pytest.raises(es1.Es1FormatError, match=r"\(crc\)"):
        es1.parse_message(b"\x01\x01" + bytes(10))
    with pytest.raises(es1.Es1FormatError, match=r"\(short\)"):
        es1.parse_message(b"\x01\x01")


def test_encoder_rejects_oversized_message() -> None:
    with pytest.raises(ValueError, match="exceeds 1024"):
        es1.encode_message(1, bytes(1015), seq=0, device_time_us=0)
    with pytest.raises(ValueError, match="at most 255"):
        es1.encode_imu_batch(np.zeros((256, 3)), seq=0, device_time_us=0, period_us=1)


# --------------------------------------------------------------------------- serial stream


def session_stream() -> tuple[bytes, int]:
    """A realistic serial capture: info, START, batches, a status; and the sample count."""
    parts = [load_vector("serial_device_info")[0], load_vector("serial_ack_start")[0]]
    total = 0
    for seq in range(1, 30):
        if seq % 10 == 0:
            parts.append(es1.frame_serial(es1.encode_status(1, seq=seq, device_time_us=seq * 95_000)))
            continue
        n = 1 + seq % 19
        parts.append(es1.frame_serial(batch(n, seq=seq, t_us=seq * 100_000, value=seq - 15)))
        total += n
    return b"".join(parts), total


def collect(decoder, chunks) -> list[SampleBatch]:
    out: list[SampleBatch] = []
    for chunk in chunks:
        out += decoder.feed(chunk)
    return out


def test_serial_byte_by_byte_equals_one_shot() -> None:
    stream, total = session_stream()
    whole = collect(Es1SerialDecoder(), [stream])
    decoder = Es1SerialDecoder()
    single = collect(decoder, [stream[i : i + 1] for i in range(len(stream))])
    assert sum(len(b) for b in single) == total == sum(len(b) for b in whole)
    for a, b in zip(whole, single, strict=True):
        np.testing.assert_array_equal(a.acc_g, b.acc_g)
        np.testing.assert_array_equal(a.device_time_s, b.device_time_s)
    assert decoder.stats.bytes_skipped == 0 and decoder.stats.checksum_errors == 0
    assert decoder.stats.bytes_in == len(stream)
    kinds = [type(m).__name__ for m in decoder.pop_messages()]
    assert kinds == ["DeviceInfo", "Ack", "StatusReport", "StatusReport"]
    # DEVICE_INFO said 1/2048 g per count.
    assert whole[0].acc_g[0, 0] == pytest.approx((1 - 15) / 2048)


def test_serial_garbage_is_skipped_and_counted_exactly() -> None:
    frame = load_vector("serial_imu_batch_n5")[0]
    decoder = Es1SerialDecoder()
    # "01 02 03" is valid COBS for b"\x00\x03", far too short for a message.
    out = decoder.feed(b"\x01\x02\x03" + frame)
    assert len(out) == 1 and len(out[0]) == 5
    assert decoder.stats.bytes_skipped == 4  # three bytes and the delimiter that ended them
    assert decoder.stats.extra["short"] == 1


def test_serial_partial_first_frame_after_open() -> None:
    frame = load_vector("serial_imu_batch_n5")[0]
    decoder = Es1SerialDecoder()
    out = decoder.feed(frame[40:] + frame + frame)
    assert len(out) == 2
    assert decoder.stats.bytes_skipped == len(frame) - 40  # the tail, including the 00 that ends it
    assert decoder.stats.extra["cobs"] + decoder.stats.extra.get("short", 0) == 1


def test_serial_corrupted_frame_counts_crc_and_next_frame_survives() -> None:
    frame = bytearray(load_vector("serial_imu_batch_n5")[0])
    frame[30] = 0xFF if frame[30] != 0xFF else 0xFE  # stays non-zero so framing holds
    decoder = Es1SerialDecoder()
    out = decoder.feed(bytes(frame) + load_vector("serial_imu_batch_n5")[0])
    assert len(out) == 1
    assert decoder.stats.checksum_errors + decoder.stats.extra.get("cobs", 0) == 1


def test_serial_overlong_run_is_dropped_with_bounded_memory() -> None:
    decoder = Es1SerialDecoder()
    junk = b"\x07" * 5000
    for i in range(0, len(junk), 700):
        assert decoder.feed(junk[i : i + 700]) == []
        assert len(decoder._buffer) <= es1.MAX_FRAME_LENGTH
    out = decoder.feed(load_vector("serial_imu_batch_n5")[0])
    assert len(out) == 1
    assert decoder.stats.bytes_skipped == 5000 + 1  # the junk and the delimiter that ended it
    assert decoder.stats.extra["long"] == 1


def test_serial_long_run_vector_uses_ff_blocks() -> None:
    wire, record = load_vector("serial_imu_batch_long_run")
    message = bytes.fromhex(record["message_hex"])
    assert len(message) == 494 and 0 not in message[:-2]
    assert wire[1] == 0xFF  # a full 254-byte block: the code byte's largest value
    assert len(wire) == 1 + 2 + 494 + 1  # 00, two COBS code bytes, the message, 00
    (b,) = Es1SerialDecoder().feed(wire)
    np.testing.assert_allclose(b.acc_g, np.full((40, 3), 257 * 16 / 32768))


def test_loss_ending_on_a_status_message_is_still_counted_from_device_time() -> None:
    """batch (seq 1), [batch seq 2 lost], STATUS (seq 3), batch (seq 4): the lost batch's samples count."""
    from eccentric_sense.devices.codecs import es1

    decoder = es1.Es1MessageDecoder()
    period = 5000  # 200 Hz
    counts = np.zeros((10, 3), dtype=np.int16)

    def batch(seq: int, t_us: int) -> bytes:
        return es1.encode_imu_batch(counts, counts, seq=seq, device_time_us=t_us, period_us=period)

    decoder.feed(batch(1, 0))  # samples at 0..45 ms
    decoder.feed(es1.encode_status(1, seq=3, device_time_us=100_000))
    (after,) = decoder.feed(batch(4, 100_000))  # batch 1 ended at 50 ms: 50 ms = 10 samples missing
    assert after.lost_samples == 10
    assert decoder.stats.lost_samples == 10
