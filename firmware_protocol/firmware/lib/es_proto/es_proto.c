/* es_proto: see es_proto.h and firmware_protocol/PROTOCOL.md. */
#include "es_proto.h"

#include <string.h>

static void put_u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v & 0xFF);
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void put_f32(uint8_t *p, float f) {
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits); /* IEEE-754 on every target we support */
    put_u32(p, bits);
}

static uint16_t get_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

uint16_t es_crc16_update(uint16_t crc, const uint8_t *data, size_t len) {
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)data[i] << 8;
        for (int bit = 0; bit < 8; bit++) {
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
        }
    }
    return crc;
}

uint16_t es_crc16(const uint8_t *data, size_t len) { return es_crc16_update(0xFFFF, data, len); }

size_t es_encode_message(uint8_t *out, size_t cap, uint8_t type, uint16_t seq, uint32_t t_us,
                         const uint8_t *payload, size_t payload_len) {
    size_t total = ES_OVERHEAD + payload_len;
    if (total > ES_MAX_MESSAGE || total > cap) return 0;
    out[0] = ES_PROTO_MAJOR;
    out[1] = type;
    put_u16(out + 2, seq);
    put_u32(out + 4, t_us);
    /* memmove: callers may build the payload in place at out + ES_HEADER_LEN */
    if (payload_len) memmove(out + ES_HEADER_LEN, payload, payload_len);
    put_u16(out + ES_HEADER_LEN + payload_len, es_crc16(out, ES_HEADER_LEN + payload_len));
    return total;
}

size_t es_encode_imu_batch(uint8_t *out, size_t cap, uint16_t seq, uint32_t t_us, uint16_t period_us,
                           uint8_t fmt, const int16_t *samples, uint8_t n) {
    size_t channels;
    if (fmt == ES_FMT_ACCEL) {
        channels = 3;
    } else if (fmt == (ES_FMT_ACCEL | ES_FMT_GYRO)) {
        channels = 6;
    } else {
        return 0;
    }
    size_t payload_len = ES_BATCH_HEAD_LEN + 2 * channels * n;
    if (ES_OVERHEAD + payload_len > cap || ES_OVERHEAD + payload_len > ES_MAX_MESSAGE) return 0;
    uint8_t *p = out + ES_HEADER_LEN;
    p[0] = n;
    p[1] = fmt;
    put_u16(p + 2, period_us);
    for (size_t i = 0; i < channels * n; i++) put_u16(p + ES_BATCH_HEAD_LEN + 2 * i, (uint16_t)samples[i]);
    return es_encode_message(out, cap, ES_TYPE_IMU_BATCH, seq, t_us, p, payload_len);
}

size_t es_encode_status(uint8_t *out, size_t cap, uint16_t seq, uint32_t t_us, const es_status_t *status) {
    uint8_t p[ES_STATUS_LEN];
    p[0] = status->state;
    p[1] = status->flags;
    p[2] = status->battery_percent;
    put_u32(p + 3, status->dropped_samples);
    put_u16(p + 7, (uint16_t)status->temperature_centi_c);
    return es_encode_message(out, cap, ES_TYPE_STATUS, seq, t_us, p, sizeof p);
}

/* Two header bytes, then a variable tail: shared by COMMAND and ACK. */
static size_t encode_with_prefix(uint8_t *out, size_t cap, uint8_t type, uint16_t seq, uint32_t t_us,
                                 const uint8_t *prefix, size_t prefix_len, const uint8_t *tail,
                                 size_t tail_len) {
    size_t payload_len = prefix_len + tail_len;
    if (ES_OVERHEAD + payload_len > cap || ES_OVERHEAD + payload_len > ES_MAX_MESSAGE) return 0;
    uint8_t *p = out + ES_HEADER_LEN;
    if (tail_len) memmove(p + prefix_len, tail, tail_len);
    memcpy(p, prefix, prefix_len);
    return es_encode_message(out, cap, type, seq, t_us, p, payload_len);
}

size_t es_encode_command(uint8_t *out, size_t cap, uint16_t seq, uint32_t t_us, uint8_t req_id,
                         uint8_t opcode, const uint8_t *params, size_t params_len) {
    const uint8_t prefix[2] = {req_id, opcode};
    return encode_with_prefix(out, cap, ES_TYPE_COMMAND, seq, t_us, prefix, 2, params, params_len);
}

size_t es_encode_ack(uint8_t *out, size_t cap, uint16_t seq, uint32_t t_us, uint8_t req_id, uint8_t opcode,
                     uint8_t status, const uint8_t *data, size_t data_len) {
    const uint8_t prefix[3] = {req_id, opcode, status};
    return encode_with_prefix(out, cap, ES_TYPE_ACK, seq, t_us, prefix, 3, data, data_len);
}

void es_pack_config(uint8_t out[ES_CONFIG_LEN], const es_config_t *config) {
    put_u16(out, config->odr_hz);
    out[2] = config->acc_range_g;
    put_u16(out + 3, config->gyro_range_dps);
    put_u32(out + 5, config->period_us);
    put_f32(out + 9, config->acc_scale_g);
    put_f32(out + 13, config->gyr_scale_dps);
}

void es_pack_time_sync_reply(uint8_t out[ES_TIME_SYNC_REPLY_LEN], uint32_t host_token, uint64_t t_rx_us,
                             uint64_t t_tx_us) {
    put_u32(out, host_token);
    put_u64(out + 4, t_rx_us);
    put_u64(out + 12, t_tx_us);
}

size_t es_encode_device_info(uint8_t *out, size_t cap, uint16_t seq, uint32_t t_us,
                             const es_device_info_t *info) {
    uint8_t p[ES_DEVICE_INFO_LEN];
    p[0] = info->protocol_major;
    p[1] = info->protocol_minor;
    p[2] = info->fw_major;
    p[3] = info->fw_minor;
    p[4] = info->fw_patch;
    p[5] = info->imu_model;
    es_pack_config(p + 6, &info->config);
    p[23] = info->max_batch;
    p[24] = info->supported_formats;
    put_u64(p + 25, info->device_id);
    return es_encode_message(out, cap, ES_TYPE_DEVICE_INFO, seq, t_us, p, sizeof p);
}

uint8_t es_max_samples(size_t max_message_bytes, uint8_t fmt) {
    size_t per_sample = (fmt & ES_FMT_GYRO) ? 12 : 6;
    if (max_message_bytes > ES_MAX_MESSAGE) max_message_bytes = ES_MAX_MESSAGE;
    if (max_message_bytes < ES_OVERHEAD + ES_BATCH_HEAD_LEN) return 0;
    size_t n = (max_message_bytes - ES_OVERHEAD - ES_BATCH_HEAD_LEN) / per_sample;
    return (uint8_t)(n > 255 ? 255 : n);
}

size_t es_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap) {
    size_t code_at = 0; /* where the current block's code byte goes */
    size_t o = 1;
    uint8_t code = 1;
    if (cap < 1) return 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == 0) {
            out[code_at] = code;
            code_at = o++;
            code = 1;
        } else {
            if (o >= cap) return 0;
            out[o++] = in[i];
            code++;
            if (code == 0xFF) {
                out[code_at] = code;
                code_at = o++;
                code = 1;
            }
        }
        if (o > cap) return 0;
    }
    if (code_at >= cap) return 0;
    out[code_at] = code;
    return o;
}

long es_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap) {
    size_t i = 0, o = 0;
    if (len == 0) return -1;
    while (i < len) {
        uint8_t code = in[i];
        if (code == 0 || i + code > len) return -1;
        for (size_t k = 1; k < code; k++) {
            if (in[i + k] == 0 || o >= cap) return -1;
            out[o++] = in[i + k];
        }
        i += code;
        if (code != 0xFF && i < len) {
            if (o >= cap) return -1;
            out[o++] = 0;
        }
    }
    return (long)o;
}

size_t es_frame_serial(const uint8_t *message, size_t len, uint8_t *out, size_t cap) {
    if (cap < 2) return 0;
    out[0] = 0;
    size_t n = es_cobs_encode(message, len, out + 1, cap - 2);
    if (n == 0) return 0;
    out[1 + n] = 0;
    return n + 2;
}

int es_parse_command(const uint8_t *message, size_t len, es_command_t *command) {
    if (len < ES_OVERHEAD + 2 || len > ES_MAX_MESSAGE) return -1;
    if (es_crc16(message, len - ES_CRC_LEN) != get_u16(message + len - ES_CRC_LEN)) return -2;
    if (message[0] != ES_PROTO_MAJOR) return -3;
    if (message[1] != ES_TYPE_COMMAND) return -4;
    command->seq = get_u16(message + 2);
    command->t_us = get_u32(message + 4);
    command->req_id = message[ES_HEADER_LEN];
    command->opcode = message[ES_HEADER_LEN + 1];
    command->params = message + ES_HEADER_LEN + 2;
    command->params_len = len - ES_OVERHEAD - 2;
    return 0;
}

void es_deframer_init(es_deframer_t *deframer) {
    deframer->frame_len = 0;
    deframer->overflow = 0;
}

size_t es_deframer_push(es_deframer_t *deframer, uint8_t byte) {
    if (byte != 0) {
        if (deframer->frame_len < sizeof deframer->frame) {
            deframer->frame[deframer->frame_len++] = byte;
        } else {
            deframer->overflow = 1;
        }
        return 0;
    }
    size_t frame_len = deframer->frame_len;
    int overflow = deframer->overflow;
    es_deframer_init(deframer);
    if (frame_len == 0 || overflow) return 0;
    long n = es_cobs_decode(deframer->frame, frame_len, deframer->message, sizeof deframer->message);
    return n > 0 ? (size_t)n : 0;
}
