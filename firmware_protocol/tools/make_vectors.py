#!/usr/bin/env python3
"""Write the es1 test vectors in ``firmware_protocol/vectors/`` from the Python encoder.

Each vector is a pair ``NAME.hex`` (one line: the message bytes, or for the
``serial_*`` vectors the complete serial frame ``00 COBS(message) 00``, as
lowercase hex) and ``NAME.json`` (the decoded fields, written from what
:func:`eccentric_sense.devices.codecs.es1.parse_message` reads back).

Usage::

    python firmware_protocol/tools/make_vectors.py            # (re)write
    python firmware_protocol/tools/make_vectors.py --check    # exit 1 if files would change
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from eccentric_sense.devices.codecs import es1

VECTOR_DIR = Path(__file__).resolve().parents[1] / "vectors"


def _counts(rng: np.random.Generator, n: int, channels: int) -> np.ndarray:
    """Random int16 counts with the awkward values planted: 0, -1, extremes, 0x0100."""
    values = rng.integers(-32768, 32768, size=(n, channels), dtype=np.int64)
    specials = np.array([0, -1, 32767, -32768, 256, 1])
    flat = values.reshape(-1)
    flat[: min(flat.size, specials.size)] = specials[: flat.size]
    return values.astype(np.int16)


def _batch(n: int, *, seq: int, t_us: int, period_us: int = 5000, gyro: bool = True, seed: int = 0,
           counts: np.ndarray | None = None) -> bytes:
    rng = np.random.default_rng(seed)
    channels = 6 if gyro else 3
    c = _counts(rng, n, channels) if counts is None else counts
    return es1.encode_imu_batch(
        c[:, :3], c[:, 3:6] if gyro else None, seq=seq, device_time_us=t_us, period_us=period_us
    )


def _f32(x: float) -> float:
    """The value a float32 field really carries."""
    return float(np.float32(x))


CONFIG_200HZ_8G = es1.DeviceConfig(200, 8, 1000, 5000, _f32(8 / 32768), _f32(1000 / 32768))
CONFIG_ICM_200HZ = es1.DeviceConfig(200, 16, 2000, 5000, _f32(1 / 2048), _f32(1 / 16.4))
INFO = es1.DeviceInfo(
    seq=1, device_time_us=2_000_000, protocol_major=1, protocol_minor=0, firmware_version=(0, 1, 0),
    imu_model=es1.ImuModel.ICM42688P, config=CONFIG_ICM_200HZ, max_batch=19,
    supported_formats=es1.FMT_ACCEL | es1.FMT_GYRO, device_id=0x0000_A4CF_1234_5678,
)
WRAP_T0 = 2**32 - 12_000  # five 5-ms samples cross the u32 wrap
EMULATOR_INFO = es1.DeviceInfo(
    seq=0, device_time_us=0, firmware_version=(1, 2, 3), imu_model=es1.ImuModel.EMULATOR,
    config=es1.DeviceConfig(1000, 4, 250, 1000, _f32(4 / 32768), _f32(250 / 32768)),
    max_batch=84, supported_formats=es1.FMT_ACCEL | es1.FMT_GYRO, device_id=1,
)


def vectors() -> list[tuple[str, str, bytes, bool]]:
    """(name, description, message bytes, serial framing?) for every vector."""
    run_of_ones = np.full((40, 6), 0x0101, dtype=np.int16)
    ack = es1.encode_ack
    cmd = es1.encode_command
    return [
        ("imu_batch_n1", "one 6-axis sample", _batch(1, seq=1, t_us=1_000_000, seed=1), False),
        ("imu_batch_n5", "five 6-axis samples with 0, -1 and extreme counts", _batch(5, seq=2, t_us=1_005_000, seed=5), False),
        ("imu_batch_n19", "19 6-axis samples: the most that fits ATT MTU 247 (242 bytes)", _batch(19, seq=3, t_us=1_030_000, seed=19), False),
        ("imu_batch_accel_only_n1", "one accel-only sample: 20 bytes, fits the default ATT MTU 23", _batch(1, seq=4, t_us=1_125_000, gyro=False, seed=2), False),
        ("seq_wrap_1", "seq 65535; followed by seq_wrap_2", _batch(5, seq=0xFFFF, t_us=50_000_000, period_us=2500, seed=7), False),
        ("seq_wrap_2", "seq 0 right after seq_wrap_1, time contiguous: no loss", _batch(5, seq=0, t_us=50_012_500, period_us=2500, seed=8), False),
        ("time_wrap_1", "t_us 2^32-12000: samples 3 and 4 lie past the u32 wrap", _batch(5, seq=100, t_us=WRAP_T0, seed=9), False),
        ("time_wrap_2", "next batch, t_us wrapped to 13000", _batch(5, seq=101, t_us=(WRAP_T0 + 25_000) % 2**32, seed=10), False),
        ("status_streaming", "streaming, FIFO overflow flag, 87 % battery, 12 dropped, 31.25 C",
         es1.encode_status(1, seq=40, device_time_us=3_000_000, flags=es1.STATUS_FLAG_FIFO_OVERFLOW,
                           battery_percent=87, dropped_samples=12, temperature_centi_c=3125), False),
        ("status_idle_unknown", "idle, battery and temperature unknown",
         es1.encode_status(0, seq=41, device_time_us=3_500_000), False),
        ("status_cold", "negative temperature -5.5 C", es1.encode_status(0, seq=42, device_time_us=4_000_000, temperature_centi_c=-550), False),
        ("command_get_info", "GET_INFO", cmd(es1.Opcode.GET_INFO, req_id=1, seq=0), False),
        ("command_set_config", "SET_CONFIG 200 Hz, 8 g, 1000 dps",
         cmd(es1.Opcode.SET_CONFIG, es1.pack_set_config(200, 8, 1000), req_id=2, seq=1), False),
        ("command_start", "START accel+gyro", cmd(es1.Opcode.START, es1.pack_start(), req_id=3, seq=2), False),
        ("command_stop", "STOP", cmd(es1.Opcode.STOP, req_id=4, seq=3), False),
        ("command_time_sync", "TIME_SYNC token 0xDEADBEEF",
         cmd(es1.Opcode.TIME_SYNC, es1.pack_time_sync(0xDEADBEEF), req_id=5, seq=4, device_time_us=123_456), False),
        ("command_ping", "PING with 4 bytes", cmd(es1.Opcode.PING, b"es1!", req_id=6, seq=5), False),
        ("command_unknown_opcode", "opcode 0x42 (unknown to v1 devices)", cmd(0x42, b"\x01", req_id=7, seq=6), False),
        ("ack_get_info", "ACK OK to GET_INFO (DEVICE_INFO precedes it)",
         ack(1, es1.Opcode.GET_INFO, es1.Status.OK, seq=2, device_time_us=2_000_100), False),
        ("ack_set_config", "ACK OK to SET_CONFIG with the applied configuration",
         ack(2, es1.Opcode.SET_CONFIG, es1.Status.OK, es1.pack_device_config(CONFIG_200HZ_8G), seq=3, device_time_us=2_100_000), False),
        ("ack_set_config_invalid_state", "SET_CONFIG refused while streaming",
         ack(9, es1.Opcode.SET_CONFIG, es1.Status.INVALID_STATE, seq=77, device_time_us=9_000_000), False),
        ("ack_time_sync", "TIME_SYNC reply, 64-bit times beyond 2^32",
         ack(5, es1.Opcode.TIME_SYNC, es1.Status.OK,
             es1.pack_time_sync_reply(es1.TimeSyncReply(0xDEADBEEF, 2**32 + 123_456, 2**32 + 123_541)),
             seq=4, device_time_us=(2**32 + 123_541) % 2**32), False),
        ("ack_start", "ACK OK to START: the first message of the stream, seq 0",
         ack(3, es1.Opcode.START, es1.Status.OK, seq=0, device_time_us=2_500_000), False),
        ("ack_stop", "ACK OK to STOP", ack(4, es1.Opcode.STOP, es1.Status.OK, seq=1234, device_time_us=60_000_000), False),
        ("ack_ping", "PING echo", ack(6, es1.Opcode.PING, es1.Status.OK, b"es1!", seq=6, device_time_us=2_600_000), False),
        ("ack_unknown_opcode", "UNKNOWN_OPCODE", ack(7, 0x42, es1.Status.UNKNOWN_OPCODE, seq=7, device_time_us=2_700_000), False),
        ("device_info", "ICM-42688-P at 200 Hz, +-16 g (1/2048 g), +-2000 dps (1/16.4 dps)", es1.encode_device_info(INFO), False),
        ("device_info_emulator", "emulator at 1 kHz, +-4 g, +-250 dps", es1.encode_device_info(EMULATOR_INFO), False),
        ("serial_imu_batch_n5", "serial frame of a 5-sample batch (zero bytes inside)", _batch(5, seq=2, t_us=1_005_000, seed=5), True),
        ("serial_imu_batch_long_run", "serial frame of a 494-byte message with no zero byte before the CRC: COBS 0xFF blocks",
         _batch(40, seq=0x0101, t_us=0x01010101, period_us=0x0101, counts=run_of_ones), True),
        ("serial_ack_start", "serial frame of the START ACK", ack(3, es1.Opcode.START, es1.Status.OK, seq=0, device_time_us=0), True),
        ("serial_device_info", "serial frame of DEVICE_INFO", es1.encode_device_info(INFO), True),
        ("serial_command_set_config", "serial frame host -> device",
         cmd(es1.Opcode.SET_CONFIG, es1.pack_set_config(1000, 4, 250), req_id=200, seq=65535), True),
    ]


def describe(message: es1.Message) -> dict:
    """JSON-ready fields of a parsed message."""
    out: dict = {"seq": message.seq, "device_time_us": message.device_time_us}
    if isinstance(message, es1.ImuBatch):
        out |= {
            "type": "IMU_BATCH",
            "n": len(message),
            "fmt": message.fmt,
            "period_us": message.period_us,
            "acc_counts": message.acc_counts.tolist(),
            "gyr_counts": None if message.gyr_counts is None else message.gyr_counts.tolist(),
        }
    elif isinstance(message, es1.StatusReport):
        out |= {
            "type": "STATUS", "state": message.state, "flags": message.flags,
            "battery_percent": message.battery_percent, "dropped_samples": message.dropped_samples,
            "temperature_centi_c": message.temperature_centi_c,
        }
    elif isinstance(message, es1.Command):
        out |= {
            "type": "COMMAND", "req_id": message.req_id, "opcode": message.opcode,
            "opcode_name": _name(es1.Opcode, message.opcode), "params_hex": message.params.hex(),
        }
    elif isinstance(message, es1.Ack):
        out |= {
            "type": "ACK", "req_id": message.req_id, "opcode": message.opcode,
            "opcode_name": _name(es1.Opcode, message.opcode), "status": message.status,
            "status_name": _name(es1.Status, message.status), "data_hex": message.data.hex(),
            "config": None if message.config is None else _config(message.config),
            "time_sync": None if message.time_sync is None else {
                "host_token": message.time_sync.host_token, "t_rx_us": message.time_sync.t_rx_us,
                "t_tx_us": message.time_sync.t_tx_us,
            },
        }
    elif isinstance(message, es1.DeviceInfo):
        out |= {
            "type": "DEVICE_INFO", "protocol_major": message.protocol_major,
            "protocol_minor": message.protocol_minor, "firmware_version": list(message.firmware_version),
            "imu_model": message.imu_model, "imu_model_name": _name(es1.ImuModel, message.imu_model),
            "config": _config(message.config), "max_batch": message.max_batch,
            "supported_formats": message.supported_formats, "device_id": message.device_id,
        }
    return out


def _config(c: es1.DeviceConfig) -> dict:
    return {
        "odr_hz": c.odr_hz, "acc_range_g": c.acc_range_g, "gyro_range_dps": c.gyro_range_dps,
        "period_us": c.period_us, "acc_scale_g": c.acc_scale_g, "gyr_scale_dps": c.gyr_scale_dps,
    }


def _name(enum_type, value: int) -> str | None:
    try:
        return enum_type(value).name
    except ValueError:
        return None


def render() -> dict[str, str]:
    """File name -> content for every vector file."""
    files: dict[str, str] = {}
    for name, description, message, serial in vectors():
        wire = es1.frame_serial(message) if serial else message
        record = {
            "name": name,
            "description": description,
            "framing": "serial" if serial else "message",
            "message_hex": message.hex(),
            "message": describe(es1.parse_message(message)),
        }
        files[f"{name}.hex"] = wire.hex() + "\n"
        files[f"{name}.json"] = json.dumps(record, indent=1) + "\n"
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the files on disk differ")
    parser.add_argument("--out", type=Path, default=VECTOR_DIR)
    args = parser.parse_args(argv)
    files = render()
    stale = [n for n, text in files.items() if not (args.out / n).is_file() or (args.out / n).read_text() != text]
    extra = sorted(p.name for p in args.out.glob("*") if p.suffix in {".hex", ".json"} and p.name not in files) if args.out.is_dir() else []
    if args.check:
        for n in stale + extra:
            print(f"out of date: {n}", file=sys.stderr)
        return 1 if stale or extra else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for n in stale:
        (args.out / n).write_text(files[n])
    for n in extra:
        (args.out / n).unlink()
    print(f"{len(files) // 2} vectors, {len(stale)} files written, {len(extra)} removed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
