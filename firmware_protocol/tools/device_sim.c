/*
 * Host simulator of the reference firmware's protocol logic (es_device.c +
 * es_proto.c) with a fake IMU and a fake clock, for
 * tests/devices/test_firmware_device.py.
 *
 * Reads commands on stdin, one per line:
 *   clock US            set the fake clock (u64 microseconds)
 *   mtu N               the link's ATT MTU: messages up to N - 3 bytes
 *   serial              the link is serial: messages up to ES_MAX_MESSAGE bytes
 *   rx HEX              a message received from the host
 *   samples N T_LAST    N samples from the fake IMU, the last one at T_LAST (u32 us);
 *                       sample k (counting from 0 since START) is
 *                       (k, -k, 2048, 3k, -3k, 100) in counts
 *   loss N              the IMU FIFO overflowed, N samples lost
 *   poll                run the main-loop housekeeping
 *   disconnect          the host went away
 * and prints every message the device sends as one hex line.
 *
 * The fake IMU supports 25/50/100/200/500/1000 Hz, +-2/4/8/16 g,
 * +-250/500/1000/2000 dps and picks the nearest value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es_device.h"

static uint64_t fake_clock;
static int16_t next_sample;

static void send(void *ctx, const uint8_t *message, size_t len) {
    (void)ctx;
    for (size_t i = 0; i < len; i++) printf("%02x", message[i]);
    printf("\n");
}

static unsigned nearest(unsigned want, const unsigned *options, size_t count) {
    unsigned best = options[0];
    for (size_t i = 1; i < count; i++) {
        unsigned d_best = best > want ? best - want : want - best;
        unsigned d = options[i] > want ? options[i] - want : want - options[i];
        if (d < d_best) best = options[i];
    }
    return best;
}

static uint8_t configure(void *ctx, const es_config_t *requested, es_config_t *applied) {
    static const unsigned odrs[] = {25, 50, 100, 200, 500, 1000};
    static const unsigned accs[] = {2, 4, 8, 16};
    static const unsigned gyros[] = {250, 500, 1000, 2000};
    (void)ctx;
    applied->odr_hz = (uint16_t)nearest(requested->odr_hz, odrs, 6);
    applied->acc_range_g = (uint8_t)nearest(requested->acc_range_g, accs, 4);
    applied->gyro_range_dps = (uint16_t)nearest(requested->gyro_range_dps, gyros, 4);
    applied->period_us = 1000000u / applied->odr_hz;
    applied->acc_scale_g = (float)applied->acc_range_g / 32768.0f;
    applied->gyr_scale_dps = (float)applied->gyro_range_dps / 32768.0f;
    return ES_OK;
}

static uint8_t start(void *ctx) {
    (void)ctx;
    next_sample = 0;
    return ES_OK;
}

static void stop(void *ctx) { (void)ctx; }

static uint64_t now_us(void *ctx) {
    (void)ctx;
    return fake_clock;
}

int main(void) {
    static char line[8192];
    static uint8_t message[ES_MAX_MESSAGE];
    static int16_t samples[1024 * 6];
    static es_device_t dev;
    es_device_io_t io = {NULL, send, configure, start, stop, now_us};
    es_device_info_t info;
    memset(&info, 0, sizeof info);
    info.fw_major = 0;
    info.fw_minor = 1;
    info.fw_patch = 0;
    info.imu_model = ES_IMU_EMULATOR;
    info.config.odr_hz = 100;
    info.config.acc_range_g = 16;
    info.config.gyro_range_dps = 2000;
    info.config.period_us = 10000;
    info.config.acc_scale_g = 16.0f / 32768.0f;
    info.config.gyr_scale_dps = 2000.0f / 32768.0f;
    info.supported_formats = ES_FMT_ACCEL | ES_FMT_GYRO;
    info.device_id = 0x5EED;
    es_device_init(&dev, &io, &info);

    while (fgets(line, sizeof line, stdin)) {
        char *cmd = strtok(line, " \t\r\n");
        if (!cmd) continue;
        if (strcmp(cmd, "clock") == 0) {
            fake_clock = strtoull(strtok(NULL, " \t\r\n"), NULL, 0);
        } else if (strcmp(cmd, "mtu") == 0) {
            es_device_set_max_message(&dev, strtoul(strtok(NULL, " \t\r\n"), NULL, 0) - 3);
        } else if (strcmp(cmd, "serial") == 0) {
            es_device_set_max_message(&dev, ES_MAX_MESSAGE);
        } else if (strcmp(cmd, "rx") == 0) {
            const char *hex = strtok(NULL, " \t\r\n");
            size_t n = strlen(hex) / 2;
            for (size_t i = 0; i < n && i < sizeof message; i++) {
                unsigned v;
                sscanf(hex + 2 * i, "%2x", &v);
                message[i] = (uint8_t)v;
            }
            es_device_on_message(&dev, message, n);
        } else if (strcmp(cmd, "samples") == 0) {
            size_t n = strtoul(strtok(NULL, " \t\r\n"), NULL, 0);
            uint32_t t_last = (uint32_t)strtoul(strtok(NULL, " \t\r\n"), NULL, 0);
            if (n > 1024) return 2;
            for (size_t i = 0; i < n; i++, next_sample++) {
                int16_t *s = &samples[i * 6];
                s[0] = next_sample;
                s[1] = (int16_t)-next_sample;
                s[2] = 2048;
                s[3] = (int16_t)(3 * next_sample);
                s[4] = (int16_t)(-3 * next_sample);
                s[5] = 100;
            }
            es_device_push_samples(&dev, samples, n, t_last);
        } else if (strcmp(cmd, "loss") == 0) {
            es_device_note_loss(&dev, ES_FLAG_FIFO_OVERFLOW, (uint32_t)strtoul(strtok(NULL, " \t\r\n"), NULL, 0));
        } else if (strcmp(cmd, "poll") == 0) {
            es_device_poll(&dev);
        } else if (strcmp(cmd, "disconnect") == 0) {
            es_device_disconnected(&dev);
        } else {
            fprintf(stderr, "unknown command %s\n", cmd);
            return 2;
        }
    }
    return 0;
}
