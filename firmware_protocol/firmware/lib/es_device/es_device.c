/* es_device: see es_device.h and firmware_protocol/PROTOCOL.md (sections 4.3, 5). */
#include "es_device.h"

#include <string.h>

#define STATUS_INTERVAL_US 1000000u

static void send_message(es_device_t *dev, size_t len) {
    if (len == 0) return;
    dev->seq++; /* counts every message built, sent or dropped by the transport */
    dev->io.send(dev->io.ctx, dev->buffer, len);
}

static void send_ack(es_device_t *dev, const es_command_t *cmd, uint8_t status, const uint8_t *data,
                     size_t data_len) {
    uint32_t now = (uint32_t)dev->io.now_us(dev->io.ctx);
    send_message(dev, es_encode_ack(dev->buffer, sizeof dev->buffer, dev->seq, now, cmd->req_id, cmd->opcode,
                                    status, data, data_len));
}

static void send_status(es_device_t *dev) {
    es_status_t status;
    uint64_t now = dev->io.now_us(dev->io.ctx);
    status.state = dev->state;
    status.flags = dev->flags;
    status.battery_percent = dev->battery_percent;
    status.dropped_samples = dev->dropped_samples;
    status.temperature_centi_c = dev->temperature_centi_c;
    dev->flags = 0;
    dev->last_status_us = now;
    send_message(dev, es_encode_status(dev->buffer, sizeof dev->buffer, dev->seq, (uint32_t)now, &status));
}

static void send_device_info(es_device_t *dev) {
    uint32_t now = (uint32_t)dev->io.now_us(dev->io.ctx);
    send_message(dev, es_encode_device_info(dev->buffer, sizeof dev->buffer, dev->seq, now, &dev->info));
}

static void update_capacity(es_device_t *dev) {
    uint8_t fmt = dev->state == ES_STATE_STREAMING ? dev->fmt : (ES_FMT_ACCEL | ES_FMT_GYRO);
    dev->batch_capacity = es_max_samples(dev->max_message, fmt);
    dev->info.max_batch = dev->batch_capacity;
}

static void flush_batch(es_device_t *dev) {
    if (dev->pending_n == 0) return;
    uint32_t period = (dev->period_q8 + 128) >> 8;
    if (period > 0xFFFF) period = 0xFFFF;
    send_message(dev, es_encode_imu_batch(dev->buffer, sizeof dev->buffer, dev->seq, dev->pending_t0_us,
                                          (uint16_t)period, dev->fmt, dev->pending, dev->pending_n));
    dev->pending_n = 0;
}

void es_device_init(es_device_t *dev, const es_device_io_t *io, const es_device_info_t *info) {
    memset(dev, 0, sizeof *dev);
    dev->io = *io;
    dev->info = *info;
    dev->info.protocol_major = ES_PROTO_MAJOR;
    dev->info.protocol_minor = ES_PROTO_MINOR;
    dev->state = ES_STATE_IDLE;
    dev->fmt = ES_FMT_ACCEL | ES_FMT_GYRO;
    dev->battery_percent = ES_BATTERY_UNKNOWN;
    dev->temperature_centi_c = ES_TEMPERATURE_UNKNOWN;
    dev->period_q8 = info->config.period_us << 8;
    es_device_set_max_message(dev, ES_MAX_MESSAGE);
}

void es_device_set_max_message(es_device_t *dev, size_t max_message) {
    if (max_message > ES_MAX_MESSAGE) max_message = ES_MAX_MESSAGE;
    /* A batch already collected for a larger message goes out first. */
    if (dev->state == ES_STATE_STREAMING && dev->pending_n > es_max_samples(max_message, dev->fmt)) {
        flush_batch(dev);
    }
    dev->max_message = max_message;
    update_capacity(dev);
}

static uint16_t get_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static void handle_set_config(es_device_t *dev, const es_command_t *cmd) {
    if (cmd->params_len < 5) {
        send_ack(dev, cmd, ES_BAD_PARAMETER, NULL, 0);
        return;
    }
    if (dev->state == ES_STATE_STREAMING) {
        send_ack(dev, cmd, ES_INVALID_STATE, NULL, 0);
        return;
    }
    es_config_t requested = dev->info.config, applied;
    uint16_t odr = get_u16(cmd->params), gyro = get_u16(cmd->params + 3);
    if (odr) requested.odr_hz = odr;
    if (cmd->params[2]) requested.acc_range_g = cmd->params[2];
    if (gyro) requested.gyro_range_dps = gyro;
    applied = dev->info.config;
    uint8_t status = dev->io.configure(dev->io.ctx, &requested, &applied);
    if (status != ES_OK) {
        send_ack(dev, cmd, status, NULL, 0);
        return;
    }
    dev->info.config = applied;
    dev->period_q8 = applied.period_us << 8;
    uint8_t block[ES_CONFIG_LEN];
    es_pack_config(block, &applied);
    send_ack(dev, cmd, ES_OK, block, sizeof block);
}

static void handle_start(es_device_t *dev, const es_command_t *cmd) {
    uint8_t fmt = cmd->params_len >= 1 ? cmd->params[0] : (ES_FMT_ACCEL | ES_FMT_GYRO);
    if (fmt != ES_FMT_ACCEL && fmt != (ES_FMT_ACCEL | ES_FMT_GYRO)) {
        send_ack(dev, cmd, ES_BAD_PARAMETER, NULL, 0);
        return;
    }
    if ((fmt & dev->info.supported_formats) != fmt || es_max_samples(dev->max_message, fmt) == 0) {
        /* e.g. 6-axis samples do not fit a 20-byte notification (MTU 23) */
        send_ack(dev, cmd, ES_NOT_SUPPORTED, NULL, 0);
        return;
    }
    if (dev->state == ES_STATE_STREAMING) dev->io.stop(dev->io.ctx);
    uint8_t status = dev->io.start(dev->io.ctx);
    if (status != ES_OK) {
        dev->state = ES_STATE_IDLE;
        send_ack(dev, cmd, status, NULL, 0);
        return;
    }
    dev->state = ES_STATE_STREAMING;
    dev->fmt = fmt;
    dev->pending_n = 0;
    dev->have_last_t = 0;
    dev->dropped_samples = 0;
    dev->flags = 0;
    dev->period_q8 = dev->info.config.period_us << 8;
    update_capacity(dev);
    dev->seq = 0; /* the START ACK is message 0 of the new stream */
    send_ack(dev, cmd, ES_OK, NULL, 0);
    send_status(dev);
}

static void handle_stop(es_device_t *dev, const es_command_t *cmd) {
    if (dev->state == ES_STATE_STREAMING) {
        dev->io.stop(dev->io.ctx);
        flush_batch(dev);
        dev->state = ES_STATE_IDLE;
        send_ack(dev, cmd, ES_OK, NULL, 0);
        send_status(dev);
        update_capacity(dev);
        return;
    }
    send_ack(dev, cmd, ES_OK, NULL, 0);
}

void es_device_on_message(es_device_t *dev, const uint8_t *message, size_t len) {
    uint64_t t_rx = dev->io.now_us(dev->io.ctx);
    es_command_t cmd;
    if (es_parse_command(message, len, &cmd) != 0) return; /* nothing to answer without a req_id */
    switch (cmd.opcode) {
    case ES_OP_GET_INFO:
        send_device_info(dev);
        send_ack(dev, &cmd, ES_OK, NULL, 0);
        break;
    case ES_OP_SET_CONFIG:
        handle_set_config(dev, &cmd);
        break;
    case ES_OP_START:
        handle_start(dev, &cmd);
        break;
    case ES_OP_STOP:
        handle_stop(dev, &cmd);
        break;
    case ES_OP_TIME_SYNC: {
        if (cmd.params_len < 4) {
            send_ack(dev, &cmd, ES_BAD_PARAMETER, NULL, 0);
            break;
        }
        uint8_t reply[ES_TIME_SYNC_REPLY_LEN];
        uint32_t token = (uint32_t)cmd.params[0] | ((uint32_t)cmd.params[1] << 8) |
                         ((uint32_t)cmd.params[2] << 16) | ((uint32_t)cmd.params[3] << 24);
        es_pack_time_sync_reply(reply, token, t_rx, dev->io.now_us(dev->io.ctx));
        send_ack(dev, &cmd, ES_OK, reply, sizeof reply);
        break;
    }
    case ES_OP_PING:
        if (cmd.params_len > ES_MAX_PING) {
            send_ack(dev, &cmd, ES_BAD_PARAMETER, NULL, 0);
        } else {
            uint8_t echo[ES_MAX_PING];
            memcpy(echo, cmd.params, cmd.params_len);
            send_ack(dev, &cmd, ES_OK, echo, cmd.params_len);
        }
        break;
    default:
        send_ack(dev, &cmd, ES_UNKNOWN_OPCODE, NULL, 0);
        break;
    }
}

void es_device_push_samples(es_device_t *dev, const int16_t *samples, size_t n, uint32_t t_last_us) {
    if (dev->state != ES_STATE_STREAMING || n == 0) return;
    /* Follow the IMU's real rate: its oscillator may be a few percent off nominal. */
    uint32_t nominal_q8 = dev->info.config.period_us << 8;
    if (dev->have_last_t) {
        uint32_t measured_q8 = (uint32_t)(((uint64_t)(uint32_t)(t_last_us - dev->last_t_us) << 8) / n);
        if (measured_q8 > nominal_q8 / 2 && measured_q8 < nominal_q8 * 2) {
            int32_t error = (int32_t)(measured_q8 - dev->period_q8);
            dev->period_q8 = (uint32_t)((int32_t)dev->period_q8 + error / 16);
        }
    }
    dev->last_t_us = t_last_us;
    dev->have_last_t = 1;
    size_t channels = (dev->fmt & ES_FMT_GYRO) ? 6 : 3;
    for (size_t i = 0; i < n; i++) {
        if (dev->pending_n == 0) {
            uint64_t back_q8 = (uint64_t)dev->period_q8 * (n - 1 - i);
            dev->pending_t0_us = t_last_us - (uint32_t)((back_q8 + 128) >> 8);
        }
        memcpy(&dev->pending[dev->pending_n * channels], &samples[i * 6], channels * sizeof(int16_t));
        dev->pending_n++;
        if (dev->pending_n >= dev->batch_capacity) flush_batch(dev);
    }
}

void es_device_note_loss(es_device_t *dev, uint8_t flag, uint32_t samples) {
    dev->flags |= flag;
    dev->dropped_samples += samples;
}

void es_device_poll(es_device_t *dev) {
    if (dev->state != ES_STATE_STREAMING) return;
    uint64_t now = dev->io.now_us(dev->io.ctx);
    if (now - dev->last_status_us >= STATUS_INTERVAL_US) send_status(dev);
}

void es_device_disconnected(es_device_t *dev) {
    if (dev->state == ES_STATE_STREAMING) dev->io.stop(dev->io.ctx);
    dev->state = ES_STATE_IDLE;
    dev->pending_n = 0;
}
