"""WitMotion serial and BLE codecs: hand-made golden packets, pairing, resync, commands."""

from __future__ import annotations

import numpy as np
import pytest

from eccentric_sense.devices.codecs import witmotion, witmotion_ble, witmotion_serial
from eccentric_sense.devices.codecs.witmotion_ble import RegisterReply, WitmotionBleDecoder
from eccentric_sense.devices.codecs.witmotion_serial import RegisterValues, WitmotionSerialDecoder
from eccentric_sense.errors import ConfigError

# Written out by hand from the datasheet layout: 55, type, 4 x int16 LE, sum of bytes 0..9.
# az = 0x0800 = 2048 counts = 1 g; temperature 0x0B0A = 2826 -> 28.26 C; sum = 0xC3.
ACCEL_1G = bytes.fromhex("55 51 0000 0000 0008 0A0B C3")
# wx = 0x0100 = 256 counts = 15.625 dps, wy = 0xFF00 = -256, wz = 0; sum 0x1BC -> 0xBC.
GYRO = bytes.fromhex("55 52 0001 00FF 0000 0A0B BC")
# roll = 0x1000 = 4096 counts = 22.5 deg, pitch = 0xF000 = -22.5, yaw 0x4000 = 90; sum 0x1E8 -> 0xE8.
ANGLE = bytes.fromhex("55 53 0010 00F0 0040 0000 E8")


def test_hand_made_packets_have_correct_checksums() -> None:
    for packet in (ACCEL_1G, GYRO, ANGLE):
        assert sum(packet[:10]) & 0xFF == packet[10]


# --------------------------------------------------------------------------- serial


def test_serial_golden_cycle() -> None:
    decoder = WitmotionSerialDecoder()
    (batch,) = decoder.feed(ACCEL_1G + GYRO + ANGLE)
    np.testing.assert_allclose(batch.acc_g, [[0.0, 0.0, 1.0]])
    np.testing.assert_allclose(batch.gyr_dps, [[15.625, -15.625, 0.0]])
    assert np.isnan(batch.device_time_s).all() and batch.seq is None
    np.testing.assert_allclose(decoder.latest_angle_deg, [22.5, -22.5, 90.0])
    assert decoder.stats.messages_ok == 3 and decoder.stats.samples_out == 1
    assert decoder.stats.other_messages == 1


def test_serial_encoders_match_hand_made_packets() -> None:
    assert witmotion_serial.encode_accel_packet([0, 0, 1], temperature_c=28.26) == ACCEL_1G
    assert witmotion_serial.encode_gyro_packet([15.625, -15.625, 0], temperature_c=28.26) == GYRO
    assert witmotion_serial.encode_angle_packet([22.5, -22.5, 90]) == ANGLE


def test_serial_accel_waits_for_its_gyro() -> None:
    decoder = WitmotionSerialDecoder()
    assert decoder.feed(ACCEL_1G) == []  # the gyro of this period has not arrived yet
    (batch,) = decoder.feed(GYRO)
    np.testing.assert_allclose(batch.gyr_dps, [[15.625, -15.625, 0.0]])


def test_serial_accel_only_stream_has_no_gyro() -> None:
    decoder = WitmotionSerialDecoder()
    (batch,) = decoder.feed(ACCEL_1G * 3)
    assert len(batch) == 2 and batch.gyr_dps is None  # third accel held until the next packet
    (last,) = decoder.feed(ANGLE)
    assert len(last) == 1


def test_serial_lost_gyro_reuses_latest() -> None:
    decoder = WitmotionSerialDecoder()
    other_gyro = witmotion_serial.encode_gyro_packet([1.0, 2.0, 3.0])
    (batch,) = decoder.feed(ACCEL_1G + GYRO + ANGLE + ACCEL_1G + ANGLE + ACCEL_1G + other_gyro)
    assert len(batch) == 3
    np.testing.assert_allclose(batch.gyr_dps[1], [15.625, -15.625, 0.0])  # the previous period's gyro
    np.testing.assert_allclose(batch.gyr_dps[2], [1.0, 2.0, 3.0], atol=2000 / 32768)


def test_serial_checksum_error_counted_and_resynced() -> None:
    bad = bytearray(ACCEL_1G)
    bad[7] ^= 0x01
    decoder = WitmotionSerialDecoder()
    (batch,) = decoder.feed(bytes(bad) + ACCEL_1G + GYRO)
    assert len(batch) == 1
    assert decoder.stats.checksum_errors == 1
    assert decoder.stats.bytes_skipped == 11


def test_serial_garbage_and_any_split() -> None:
    stream = b"\x00\x55\x99garbage" + (ACCEL_1G + GYRO + ANGLE) * 4 + b"\x55"
    decoder = WitmotionSerialDecoder()
    batches = [b for i in range(len(stream)) for b in decoder.feed(stream[i : i + 1])]
    assert sum(len(b) for b in batches) == 4
    assert decoder.stats.bytes_skipped == 10  # the 10 junk bytes; the final 0x55 is still pending
    assert decoder.stats.checksum_errors == 0


def test_serial_register_reply_and_other_types() -> None:
    reply = witmotion_serial.encode_register_values([0x0102, 0xFFFF, 0, 7])
    assert reply[:2] == b"\x55\x5f" and reply[2:4] == b"\x02\x01"
    time_packet = witmotion_serial.encode_packet(witmotion_serial.PacketType.TIME, [0x0B18, 0x0C16, 0x221E, 0x01F4])
    seen: list[object] = []
    decoder = WitmotionSerialDecoder(on_message=seen.append)
    assert decoder.feed(time_packet + reply) == []
    assert seen == [RegisterValues((0x0102, 0xFFFF, 0, 7))]
    assert decoder.stats.extra == {"other": 1, "register": 1}


# --------------------------------------------------------------------------- BLE

# ax=1 g (0x0800), ay=-1 g (0xF800), az=0.5 g (0x0400), wx=250 dps (0x1000), wy=0, wz=-2000 dps
# (0x8000), roll=90 (0x4000), pitch=-90 (0xC000), yaw=180*32767/32768 (0x7FFF).
BLE_DATA = bytes.fromhex("5561 0008 00F8 0004 0010 0000 0080 0040 00C0 FF7F")
# Datasheet example: reading register 0x3A (magnetometer) returns 360, 105, 122.
BLE_MAG_REPLY = bytes.fromhex("5571 3A00 6801 6900 7A00") + bytes(10)


def test_ble_uuids_use_the_9a_base() -> None:
    assert witmotion_ble.SERVICE_UUID == "0000ffe5-0000-1000-8000-00805f9a34fb"
    assert witmotion_ble.NOTIFY_CHAR_UUID == "0000ffe4-0000-1000-8000-00805f9a34fb"
    assert witmotion_ble.WRITE_CHAR_UUID == "0000ffe9-0000-1000-8000-00805f9a34fb"


def test_ble_golden_data_packet() -> None:
    decoder = WitmotionBleDecoder()
    (batch,) = decoder.feed(BLE_DATA)
    np.testing.assert_allclose(batch.acc_g, [[1.0, -1.0, 0.5]])
    np.testing.assert_allclose(batch.gyr_dps, [[250.0, 0.0, -2000.0]])
    np.testing.assert_allclose(decoder.latest_angle_deg, [90.0, -90.0, 180 * 32767 / 32768])
    assert np.isnan(batch.device_time_s).all()


def test_ble_encoder_matches_golden_packet() -> None:
    assert witmotion_ble.encode_data_packet([1, -1, 0.5], [250, 0, -2000], [90, -90, 180 * 32767 / 32768]) == BLE_DATA


def test_ble_register_reply_from_datasheet() -> None:
    decoder = WitmotionBleDecoder()
    assert decoder.feed(BLE_MAG_REPLY) == []
    (reply,) = decoder.pop_messages()
    assert reply == RegisterReply(0x3A, (360, 105, 122, 0, 0, 0, 0, 0))
    assert witmotion_ble.encode_register_reply(0x3A, reply.values) == BLE_MAG_REPLY


def test_ble_packets_split_and_merged_across_notifications() -> None:
    stream = BLE_DATA + BLE_MAG_REPLY + BLE_DATA * 3
    decoder = WitmotionBleDecoder()
    notifications = [stream[0:7], stream[7:33], stream[33:61], stream[61:]]
    batches = [b for n in notifications for b in decoder.feed(n)]
    assert [len(b) for b in batches] == [1, 1, 2]
    assert len(decoder.pop_messages()) == 1
    assert decoder.stats.bytes_skipped == 0 and decoder.stats.bytes_in == len(stream)


def test_ble_garbage_before_packet_is_skipped() -> None:
    decoder = WitmotionBleDecoder()
    (batch,) = decoder.feed(b"\x55\x62\x00\x55" + BLE_DATA)
    assert len(batch) == 1
    assert decoder.stats.bytes_skipped == 4


# --------------------------------------------------------------------------- commands


def test_register_commands_bytes() -> None:
    assert witmotion.unlock_command() == bytes.fromhex("FFAA6988B5")
    assert witmotion.save_command() == bytes.fromhex("FFAA000000")
    assert witmotion.set_output_rate_command(100) == bytes.fromhex("FFAA030900")
    assert witmotion.set_output_rate_command(200) == bytes.fromhex("FFAA030B00")
    assert witmotion.set_output_rate_command(0.2) == bytes.fromhex("FFAA030100")
    assert witmotion.read_register_command(0x3A) == bytes.fromhex("FFAA273A00")
    content = witmotion.ContentBit.ACC | witmotion.ContentBit.GYRO | witmotion.ContentBit.ANGLE
    assert witmotion.set_output_content_command(content) == bytes.fromhex("FFAA020E00")
    assert witmotion.set_output_content_command(witmotion.ContentBit.QUATERNION) == bytes.fromhex("FFAA020002")


def test_configure_sequence_unlocks_first_and_saves_last() -> None:
    commands = witmotion.configure_commands(rate_hz=200, content=witmotion.ContentBit.ACC | witmotion.ContentBit.GYRO)
    assert [c.hex() for c in commands] == ["ffaa6988b5", "ffaa020600", "ffaa030b00", "ffaa000000"]


def test_unsupported_rate_is_a_clear_config_error() -> None:
    with pytest.raises(ConfigError, match=r"WitMotion output rate 150 Hz is not supported; choose one of .*200 Hz"):
        witmotion.set_output_rate_command(150)
