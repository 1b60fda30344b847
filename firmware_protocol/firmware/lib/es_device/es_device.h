/*
 * es_device: the device side of es1 (command handling, streaming state,
 * batching by message size, STATUS), in plain C with no hardware access.
 *
 * The firmware supplies the hardware through es_device_io_t callbacks
 * (send a message, configure/start/stop the IMU, read the clock) and feeds
 * IMU samples in; firmware_protocol/tools/device_sim.c drives the same code
 * on the host for tests/devices/test_firmware_device.py.
 */
#ifndef ES_DEVICE_H
#define ES_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "es_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    void *ctx;
    /* Transmit one es1 message (the transport adds COBS framing on serial).
     * May drop it when the link is congested; seq has already advanced. */
    void (*send)(void *ctx, const uint8_t *message, size_t len);
    /* Apply the nearest supported configuration to `requested` (fields are
     * never 0 here) and describe it in `applied`.  Returns an es_status. */
    uint8_t (*configure)(void *ctx, const es_config_t *requested, es_config_t *applied);
    /* Flush the IMU FIFO and start sampling; returns an es_status. */
    uint8_t (*start)(void *ctx);
    void (*stop)(void *ctx);
    /* Free-running microsecond clock (64 bits, never wraps in practice). */
    uint64_t (*now_us)(void *ctx);
} es_device_io_t;

typedef struct {
    es_device_io_t io;
    es_device_info_t info; /* info.config is the configuration in force */
    uint8_t state;         /* ES_STATE_IDLE or ES_STATE_STREAMING */
    uint8_t fmt;           /* stream format chosen at START */
    uint16_t seq;          /* next device -> host seq */
    size_t max_message;    /* largest message the transport carries */
    uint8_t batch_capacity;
    int16_t pending[255 * 6];
    uint8_t pending_n;
    uint32_t pending_t0_us;
    uint32_t period_q8;    /* estimated sample period, us * 256 */
    uint32_t last_t_us;
    int have_last_t;
    uint32_t dropped_samples;
    uint8_t flags;
    uint8_t battery_percent;
    int16_t temperature_centi_c;
    uint64_t last_status_us;
    uint8_t buffer[ES_MAX_MESSAGE];
} es_device_t;

void es_device_init(es_device_t *dev, const es_device_io_t *io, const es_device_info_t *info);
/* Largest message the link carries: ATT_MTU - 3 on BLE, ES_MAX_MESSAGE on serial. */
void es_device_set_max_message(es_device_t *dev, size_t max_message);
/* A complete message received from the host (BLE write, or a deframed serial frame). */
void es_device_on_message(es_device_t *dev, const uint8_t *message, size_t len);
/* n IMU samples, 6 int16 each (ax ay az gx gy gz), the last one taken at t_last_us. */
void es_device_push_samples(es_device_t *dev, const int16_t *samples, size_t n, uint32_t t_last_us);
/* The IMU or the transmit queue lost samples; reported in the next STATUS. */
void es_device_note_loss(es_device_t *dev, uint8_t flag, uint32_t samples);
/* Call often from the main loop: sends STATUS about once a second while streaming. */
void es_device_poll(es_device_t *dev);
/* The host went away: stop streaming without sending anything. */
void es_device_disconnected(es_device_t *dev);

#ifdef __cplusplus
}
#endif

#endif /* ES_DEVICE_H */
