/*
 * es_proto: encoder (and command parser) for es1, the eccentric-sense sensor
 * protocol.  See firmware_protocol/PROTOCOL.md.
 *
 * Plain C99, no Arduino or ESP-IDF headers, no allocation, no globals: the
 * same file builds into the firmware and into the host test
 * (tests/devices/test_firmware_encoder.py compiles it with gcc and compares
 * every output with firmware_protocol/vectors/).
 *
 * Every encoder writes into a caller buffer of `cap` bytes and returns the
 * number of bytes written, or 0 if the buffer is too small or an argument is
 * out of range.
 */
#ifndef ES_PROTO_H
#define ES_PROTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ES_PROTO_MAJOR 1
#define ES_PROTO_MINOR 0

#define ES_HEADER_LEN 8
#define ES_CRC_LEN 2
#define ES_OVERHEAD (ES_HEADER_LEN + ES_CRC_LEN)
#define ES_MAX_MESSAGE 1024
/* COBS encoding of the largest message, without delimiters */
#define ES_MAX_COBS (ES_MAX_MESSAGE + 1 + ES_MAX_MESSAGE / 254)
/* 00 + COBS + 00 */
#define ES_MAX_FRAME (ES_MAX_COBS + 2)

#define ES_BATCH_HEAD_LEN 4
#define ES_CONFIG_LEN 17
#define ES_DEVICE_INFO_LEN 33
#define ES_STATUS_LEN 9
#define ES_TIME_SYNC_REPLY_LEN 20
#define ES_MAX_PING 32

enum es_type {
    ES_TYPE_IMU_BATCH = 0x01,
    ES_TYPE_STATUS = 0x02,
    ES_TYPE_COMMAND = 0x10,
    ES_TYPE_ACK = 0x11,
    ES_TYPE_DEVICE_INFO = 0x12
};

enum es_opcode {
    ES_OP_GET_INFO = 0x01,
    ES_OP_SET_CONFIG = 0x02,
    ES_OP_START = 0x03,
    ES_OP_STOP = 0x04,
    ES_OP_TIME_SYNC = 0x05,
    ES_OP_PING = 0x06
};

enum es_status {
    ES_OK = 0x00,
    ES_UNKNOWN_OPCODE = 0x01,
    ES_BAD_PARAMETER = 0x02,
    ES_INVALID_STATE = 0x03,
    ES_NOT_SUPPORTED = 0x04,
    ES_BUSY = 0x05,
    ES_INTERNAL_ERROR = 0x06
};

enum es_imu_model {
    ES_IMU_UNKNOWN = 0x00,
    ES_IMU_ICM42688P = 0x01,
    ES_IMU_BMI270 = 0x02,
    ES_IMU_MPU6050 = 0x03,
    ES_IMU_LSM6DS3 = 0x04,
    ES_IMU_EMULATOR = 0xFE
};

#define ES_FMT_ACCEL 0x01
#define ES_FMT_GYRO 0x02

#define ES_STATE_IDLE 0
#define ES_STATE_STREAMING 1

#define ES_FLAG_FIFO_OVERFLOW 0x01
#define ES_FLAG_TX_OVERFLOW 0x02
#define ES_FLAG_LOW_BATTERY 0x04
#define ES_BATTERY_UNKNOWN 0xFF
#define ES_TEMPERATURE_UNKNOWN 0x7FFF

typedef struct {
    uint16_t odr_hz;
    uint8_t acc_range_g;
    uint16_t gyro_range_dps;
    uint32_t period_us;
    float acc_scale_g;   /* g per count */
    float gyr_scale_dps; /* deg/s per count */
} es_config_t;

typedef struct {
    uint8_t protocol_major;
    uint8_t protocol_minor;
    uint8_t fw_major, fw_minor, fw_patch;
    uint8_t imu_model;
    es_config_t config;
    uint8_t max_batch;
    uint8_t supported_formats;
    uint64_t device_id;
} es_device_info_t;

typedef struct {
    uint8_t state;
    uint8_t flags;
    uint8_t battery_percent;
    uint32_t dropped_samples;
    int16_t temperature_centi_c;
} es_status_t;

typedef struct {
    uint16_t seq;
    uint32_t t_us;
    uint8_t req_id;
    uint8_t opcode;
    const uint8_t *params; /* points into the parsed message */
    size_t params_len;
} es_command_t;

/* CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF; "123456789" -> 0x29B1. */
uint16_t es_crc16(const uint8_t *data, size_t len);
uint16_t es_crc16_update(uint16_t crc, const uint8_t *data, size_t len);

/* Header + payload + CRC. */
size_t es_encode_message(uint8_t *out, size_t cap, uint8_t type, uint16_t seq, uint32_t t_us,
                         const uint8_t *payload, size_t payload_len);

/* IMU_BATCH.  `samples` holds n * c int16 counts, c = 3 (fmt 0x01) or 6 (fmt 0x03),
 * per sample ax ay az [gx gy gz]. */
size_t es_encode_imu_batch(uint8_t *out, size_t cap, uint16_t seq, uint32_t t_us, uint16_t period_us,
                           uint8_t fmt, const int16_t *samples, uint8_t n);
size_t es_encode_status(uint8_t *out, size_t cap, uint16_t seq, uint32_t t_us, const es_status_t *status);
size_t es_encode_command(uint8_t *out, size_t cap, uint16_t seq, uint32_t t_us, uint8_t req_id,
                         uint8_t opcode, const uint8_t *params, size_t params_len);
size_t es_encode_ack(uint8_t *out, size_t cap, uint16_t seq, uint32_t t_us, uint8_t req_id, uint8_t opcode,
                     uint8_t status, const uint8_t *data, size_t data_len);
size_t es_encode_device_info(uint8_t *out, size_t cap, uint16_t seq, uint32_t t_us,
                             const es_device_info_t *info);

/* Payload pieces: write exactly ES_CONFIG_LEN / ES_TIME_SYNC_REPLY_LEN bytes. */
void es_pack_config(uint8_t out[ES_CONFIG_LEN], const es_config_t *config);
void es_pack_time_sync_reply(uint8_t out[ES_TIME_SYNC_REPLY_LEN], uint32_t host_token, uint64_t t_rx_us,
                             uint64_t t_tx_us);

/* Samples that fit in one message of at most max_message_bytes (BLE: ATT_MTU - 3). */
uint8_t es_max_samples(size_t max_message_bytes, uint8_t fmt);

/* COBS.  es_cobs_encode returns the encoded length (0 if cap is too small);
 * es_cobs_decode returns the decoded length or -1 if the input is not valid COBS. */
size_t es_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);
long es_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);
/* Serial frame: 00 COBS(message) 00. */
size_t es_frame_serial(const uint8_t *message, size_t len, uint8_t *out, size_t cap);

/* Check (length, CRC, version, type) and parse a COMMAND.
 * Returns 0, or -1 short/long, -2 CRC, -3 version, -4 not a COMMAND. */
int es_parse_command(const uint8_t *message, size_t len, es_command_t *command);

/* Byte-at-a-time receiver for serial frames.  es_deframer_push returns the
 * length of a complete decoded message now in `message`, else 0. */
typedef struct {
    uint8_t frame[ES_MAX_COBS];
    size_t frame_len;
    int overflow;
    uint8_t message[ES_MAX_MESSAGE];
} es_deframer_t;

void es_deframer_init(es_deframer_t *deframer);
size_t es_deframer_push(es_deframer_t *deframer, uint8_t byte);

#ifdef __cplusplus
}
#endif

#endif /* ES_PROTO_H */
