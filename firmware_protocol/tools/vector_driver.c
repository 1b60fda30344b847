/*
 * Host test driver for es_proto.c: reads one message description per line
 * on stdin and prints the encoded message (or serial frame) as lowercase hex,
 * one line per input line.  Used by tests/devices/test_firmware_encoder.py,
 * which writes the lines from the JSON files in firmware_protocol/vectors.
 *
 * Line format (whitespace-separated; a leading "serial" asks for the framed form):
 *   imu_batch   seq t_us period_us fmt n v0 v1 ... (n*3 or n*6 counts)
 *   status      seq t_us state flags battery dropped temperature_centi_c
 *   command     seq t_us req_id opcode params_hex|-
 *   ack         seq t_us req_id opcode status data_hex|-
 *   ack_config  seq t_us req_id status odr acc_range gyro_range period acc_scale gyr_scale
 *   ack_time_sync seq t_us req_id status token t_rx_us t_tx_us
 *   device_info seq t_us pmaj pmin fwmaj fwmin fwpatch model odr acc_range gyro_range
 *               period acc_scale gyr_scale max_batch formats device_id
 *   crc         ascii_text          (prints the CRC as 4 hex digits)
 *   max_samples bytes fmt           (prints the count in decimal)
 *   deframe     stream_hex          (feeds the bytes one by one to es_deframer and
 *                                    prints, space-separated on one line, for each
 *                                    message "cmd:seq:req_id:opcode:params_hex" or
 *                                    "err:code"; "none" if there was no message)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es_proto.h"

static char *next(void) { return strtok(NULL, " \t\r\n"); }
static unsigned long long num(void) {
    char *t = next();
    if (!t) {
        fprintf(stderr, "missing field\n");
        exit(2);
    }
    return strtoull(t, NULL, 0);
}
static long long snum(void) {
    char *t = next();
    if (!t) {
        fprintf(stderr, "missing field\n");
        exit(2);
    }
    return strtoll(t, NULL, 0);
}
static float fnum(void) {
    char *t = next();
    if (!t) {
        fprintf(stderr, "missing field\n");
        exit(2);
    }
    return strtof(t, NULL);
}
static size_t hexbytes(uint8_t *out, size_t cap) {
    char *t = next();
    if (!t || strcmp(t, "-") == 0) return 0;
    size_t n = strlen(t) / 2;
    if (n > cap) exit(2);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(t + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}
static void read_config(es_config_t *c) {
    c->odr_hz = (uint16_t)num();
    c->acc_range_g = (uint8_t)num();
    c->gyro_range_dps = (uint16_t)num();
    c->period_us = (uint32_t)num();
    c->acc_scale_g = fnum();
    c->gyr_scale_dps = fnum();
}

int main(void) {
    static char line[65536];
    static uint8_t msg[ES_MAX_MESSAGE];
    static uint8_t frame[ES_MAX_FRAME];
    static uint8_t data[ES_MAX_MESSAGE];
    static int16_t samples[255 * 6];
    while (fgets(line, sizeof line, stdin)) {
        char *kind = strtok(line, " \t\r\n");
        if (!kind) continue;
        int serial = 0;
        if (strcmp(kind, "serial") == 0) {
            serial = 1;
            kind = next();
        }
        if (strcmp(kind, "crc") == 0) {
            char *text = next();
            printf("%04x\n", es_crc16((const uint8_t *)text, strlen(text)));
            continue;
        }
        if (strcmp(kind, "max_samples") == 0) {
            size_t bytes = (size_t)num();
            uint8_t fmt = (uint8_t)num();
            printf("%u\n", es_max_samples(bytes, fmt));
            continue;
        }
        if (strcmp(kind, "deframe") == 0) {
            static es_deframer_t deframer;
            static uint8_t stream[32768];
            size_t n = hexbytes(stream, sizeof stream);
            int any = 0;
            es_deframer_init(&deframer);
            for (size_t i = 0; i < n; i++) {
                size_t len = es_deframer_push(&deframer, stream[i]);
                if (!len) continue;
                es_command_t c;
                int rc = es_parse_command(deframer.message, len, &c);
                if (any++) printf(" ");
                if (rc) {
                    printf("err:%d", rc);
                    continue;
                }
                printf("cmd:%u:%u:%u:", c.seq, c.req_id, c.opcode);
                for (size_t k = 0; k < c.params_len; k++) printf("%02x", c.params[k]);
            }
            printf(any ? "\n" : "none\n");
            continue;
        }
        uint16_t seq = (uint16_t)num();
        uint32_t t_us = (uint32_t)num();
        size_t len = 0;
        if (strcmp(kind, "imu_batch") == 0) {
            uint16_t period = (uint16_t)num();
            uint8_t fmt = (uint8_t)num();
            uint8_t n = (uint8_t)num();
            size_t count = (size_t)n * ((fmt & ES_FMT_GYRO) ? 6 : 3);
            for (size_t i = 0; i < count; i++) samples[i] = (int16_t)snum();
            len = es_encode_imu_batch(msg, sizeof msg, seq, t_us, period, fmt, samples, n);
        } else if (strcmp(kind, "status") == 0) {
            es_status_t s;
            s.state = (uint8_t)num();
            s.flags = (uint8_t)num();
            s.battery_percent = (uint8_t)num();
            s.dropped_samples = (uint32_t)num();
            s.temperature_centi_c = (int16_t)snum();
            len = es_encode_status(msg, sizeof msg, seq, t_us, &s);
        } else if (strcmp(kind, "command") == 0) {
            uint8_t req = (uint8_t)num(), op = (uint8_t)num();
            size_t n = hexbytes(data, sizeof data);
            len = es_encode_command(msg, sizeof msg, seq, t_us, req, op, data, n);
        } else if (strcmp(kind, "ack") == 0) {
            uint8_t req = (uint8_t)num(), op = (uint8_t)num(), st = (uint8_t)num();
            size_t n = hexbytes(data, sizeof data);
            len = es_encode_ack(msg, sizeof msg, seq, t_us, req, op, st, data, n);
        } else if (strcmp(kind, "ack_config") == 0) {
            uint8_t req = (uint8_t)num(), st = (uint8_t)num();
            es_config_t c;
            read_config(&c);
            es_pack_config(data, &c);
            len = es_encode_ack(msg, sizeof msg, seq, t_us, req, ES_OP_SET_CONFIG, st, data, ES_CONFIG_LEN);
        } else if (strcmp(kind, "ack_time_sync") == 0) {
            uint8_t req = (uint8_t)num(), st = (uint8_t)num();
            uint32_t token = (uint32_t)num();
            uint64_t rx = num(), tx = num();
            es_pack_time_sync_reply(data, token, rx, tx);
            len = es_encode_ack(msg, sizeof msg, seq, t_us, req, ES_OP_TIME_SYNC, st, data,
                                ES_TIME_SYNC_REPLY_LEN);
        } else if (strcmp(kind, "device_info") == 0) {
            es_device_info_t info;
            info.protocol_major = (uint8_t)num();
            info.protocol_minor = (uint8_t)num();
            info.fw_major = (uint8_t)num();
            info.fw_minor = (uint8_t)num();
            info.fw_patch = (uint8_t)num();
            info.imu_model = (uint8_t)num();
            read_config(&info.config);
            info.max_batch = (uint8_t)num();
            info.supported_formats = (uint8_t)num();
            info.device_id = num();
            len = es_encode_device_info(msg, sizeof msg, seq, t_us, &info);
        } else {
            fprintf(stderr, "unknown kind %s\n", kind);
            return 2;
        }
        const uint8_t *outp = msg;
        if (serial && len) {
            len = es_frame_serial(msg, len, frame, sizeof frame);
            outp = frame;
        }
        if (!len) {
            printf("ERROR\n");
            continue;
        }
        for (size_t i = 0; i < len; i++) printf("%02x", outp[i]);
        printf("\n");
    }
    return 0;
}
