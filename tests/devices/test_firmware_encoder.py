"""The firmware's C encoder (es_proto.c) reproduces every es1 test vector byte for byte.

The C code is compiled on the host with gcc, exactly as the firmware builds
it (no Arduino headers), together with the small driver
``firmware_protocol/tools/vector_driver.c``.  The driver's input lines are
written from the vectors' *JSON* (decoded fields), and its hex output is
compared with the vectors' *.hex* files (written by the Python encoder), so
the two encoders are checked against each other through the vectors.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from eccentric_sense.devices.codecs import es1

ROOT = Path(__file__).resolve().parents[2] / "firmware_protocol"
VECTOR_DIR = ROOT / "vectors"
SOURCES = [ROOT / "firmware" / "lib" / "es_proto" / "es_proto.c", ROOT / "tools" / "vector_driver.c"]


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    gcc = shutil.which("gcc")
    assert gcc is not None, "gcc is required to test the firmware encoder (it is installed on CI)"
    exe = tmp_path_factory.mktemp("es_proto") / "vector_driver"
    cmd = [
        gcc, "-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", "-pedantic", "-Wconversion",
        "-Wno-sign-conversion", f"-I{SOURCES[0].parent}", *map(str, SOURCES), "-o", str(exe),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return exe


def run(driver: Path, lines: list[str]) -> list[str]:
    result = subprocess.run([str(driver)], input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert len(out) == len(lines)
    return out


def _config_fields(c: dict) -> list:
    # repr() of a float32-exact double reads back (strtof) as the same float32.
    return [c["odr_hz"], c["acc_range_g"], c["gyro_range_dps"], c["period_us"], repr(c["acc_scale_g"]), repr(c["gyr_scale_dps"])]


def driver_line(record: dict) -> str:
    """The driver input for one vector, from its decoded fields only."""
    m = record["message"]
    head = [m["seq"], m["device_time_us"]]
    kind = m["type"]
    if kind == "IMU_BATCH":
        rows = m["acc_counts"] if m["gyr_counts"] is None else [a + g for a, g in zip(m["acc_counts"], m["gyr_counts"])]
        fields = ["imu_batch", *head, m["period_us"], m["fmt"], m["n"], *(v for row in rows for v in row)]
    elif kind == "STATUS":
        fields = ["status", *head, m["state"], m["flags"], m["battery_percent"], m["dropped_samples"], m["temperature_centi_c"]]
    elif kind == "COMMAND":
        fields = ["command", *head, m["req_id"], m["opcode"], m["params_hex"] or "-"]
    elif kind == "ACK" and m["config"] is not None:
        fields = ["ack_config", *head, m["req_id"], m["status"], *_config_fields(m["config"])]
    elif kind == "ACK" and m["time_sync"] is not None:
        ts = m["time_sync"]
        fields = ["ack_time_sync", *head, m["req_id"], m["status"], ts["host_token"], ts["t_rx_us"], ts["t_tx_us"]]
    elif kind == "ACK":
        fields = ["ack", *head, m["req_id"], m["opcode"], m["status"], m["data_hex"] or "-"]
    else:
        fields = [
            "device_info", *head, m["protocol_major"], m["protocol_minor"], *m["firmware_version"],
            m["imu_model"], *_config_fields(m["config"]), m["max_batch"], m["supported_formats"], m["device_id"],
        ]
    if record["framing"] == "serial":
        fields.insert(0, "serial")
    return " ".join(str(f) for f in fields)


def test_c_encoder_matches_every_vector(driver: Path) -> None:
    names = sorted(p.stem for p in VECTOR_DIR.glob("*.json"))
    assert len(names) >= 30
    records = [json.loads((VECTOR_DIR / f"{n}.json").read_text()) for n in names]
    outputs = run(driver, [driver_line(r) for r in records])
    mismatched = [
        n for n, out in zip(names, outputs) if out != (VECTOR_DIR / f"{n}.hex").read_text().strip()
    ]
    assert mismatched == []


def test_c_crc_check_value(driver: Path) -> None:
    assert run(driver, ["crc 123456789"]) == ["29b1"]


@pytest.mark.parametrize(("max_bytes", "fmt"), [(244, 3), (182, 3), (20, 3), (20, 1), (244, 1), (5000, 3), (13, 3)])
def test_c_batch_sizing_matches_python(driver: Path, max_bytes: int, fmt: int) -> None:
    expected = es1.max_samples_per_message(max_bytes, gyro=bool(fmt & es1.FMT_GYRO))
    assert run(driver, [f"max_samples {max_bytes} {fmt}"]) == [str(expected)]


def test_c_encoder_refuses_what_does_not_fit(driver: Path) -> None:
    # 85 six-axis samples make a 1034-byte message: over the 1024-byte limit.
    line = "imu_batch 0 0 1000 3 85 " + " ".join(["1"] * 85 * 6)
    assert run(driver, [line]) == ["ERROR"]
    # fmt 0x02 (gyro without accel) is not a v1 format.
    assert run(driver, ["imu_batch 0 0 1000 2 1 1 2 3 4 5 6"]) == ["ERROR"]


def test_c_deframer_parses_commands_after_garbage(driver: Path) -> None:
    set_config = (VECTOR_DIR / "serial_command_set_config.hex").read_text().strip()
    ack = (VECTOR_DIR / "serial_ack_start.hex").read_text().strip()
    start = es1.frame_serial(es1.encode_command(es1.Opcode.START, es1.pack_start(), req_id=9, seq=7)).hex()
    corrupt = bytearray(bytes.fromhex(start))
    corrupt[12] ^= 0x10  # non-zero either way, so only the CRC can catch it
    stream = "0102ff" + set_config + ack + corrupt.hex() + "37" * 2000 + start
    (line,) = run(driver, [f"deframe {stream}"])
    # "01 02 ff" happens to be valid COBS for 2 bytes: too short (-1); set_config parsed;
    # the ACK is not a COMMAND (-4); the corrupt START fails its CRC (-2); the 2000-byte
    # run overflows the frame buffer and is dropped silently; the good START parses.
    assert line.split() == ["err:-1", "cmd:65535:200:2:e80304fa00", "err:-4", "err:-2", "cmd:7:9:3:03"]
