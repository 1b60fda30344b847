// es1 reference firmware: ESP32 + ICM-42688-P, BLE (NimBLE-Arduino 2.x) and USB serial.
//
// All protocol behaviour (commands, START/STOP, seq, batching to the link's
// message size, STATUS) lives in lib/es_device (plain C, tested on the host by
// tests/devices/test_firmware_device.py).  This file only wires it to the
// hardware:
//   * BLE: one es1 message per notification on DATA, commands written to CONTROL;
//     the batch size follows the negotiated ATT MTU (MTU - 3 bytes per message);
//   * USB serial: 00 COBS(message) 00 frames both ways, 1024-byte messages;
//   * the link that sent the last command gets the replies and the stream.
// BLE callbacks run in the NimBLE host task, so they only queue work for loop().

#include <Arduino.h>
#include <NimBLEDevice.h>
#include <SPI.h>
#include <esp_mac.h>
#include <esp_timer.h>

extern "C" {
#include "es_device.h"
#include "es_proto.h"
}
#include "icm42688.h"

namespace {

// Frozen in firmware_protocol/PROTOCOL.md, section 3.2.
const char *const kServiceUuid = "e7169495-5462-42f9-b227-61e4fbf68717";
const char *const kDataUuid = "e7169496-5462-42f9-b227-61e4fbf68717";
const char *const kControlUuid = "e7169497-5462-42f9-b227-61e4fbf68717";

constexpr uint16_t kPreferredMtu = 247;
constexpr size_t kMaxCommand = 64;  // the longest v1 command (PING) is 44 bytes

enum class Link : uint8_t { kNone, kBle, kSerial };

struct Incoming {
  uint8_t len;
  uint8_t bytes[kMaxCommand];
};

Icm42688 imu;
es_device_t device;
es_deframer_t deframer;
NimBLECharacteristic *data_char = nullptr;
QueueHandle_t ble_commands;
volatile uint16_t ble_mtu = 23;
volatile bool ble_connected = false;
volatile bool ble_mtu_changed = false;
volatile bool ble_disconnected = false;
Link active_link = Link::kNone;
int16_t fifo_samples[Icm42688::kMaxSamples * 6];
uint8_t serial_frame[ES_MAX_FRAME];

// ------------------------------------------------------------------ es_device I/O

uint32_t samples_in_message(const uint8_t *message, size_t len) {
  return (len > ES_HEADER_LEN && message[1] == ES_TYPE_IMU_BATCH) ? message[ES_HEADER_LEN] : 0;
}

void send_message(void *, const uint8_t *message, size_t len) {
  bool sent = false;
  if (active_link == Link::kBle && ble_connected && data_char != nullptr) {
    sent = data_char->notify(message, len);  // false when the host's buffers are full
  } else if (active_link == Link::kSerial) {
    size_t n = es_frame_serial(message, len, serial_frame, sizeof serial_frame);
    if (n != 0 && static_cast<size_t>(Serial.availableForWrite()) >= n) {
      Serial.write(serial_frame, n);
      sent = true;
    }
  }
  // Dropped: seq has advanced anyway, so the host sees the gap (PROTOCOL.md section 5).
  if (!sent && active_link != Link::kNone) {
    es_device_note_loss(&device, ES_FLAG_TX_OVERFLOW, samples_in_message(message, len));
  }
}

uint8_t configure_imu(void *, const es_config_t *requested, es_config_t *applied) {
  return imu.configure(*requested, *applied);
}

uint8_t start_imu(void *) { return imu.start(); }

void stop_imu(void *) { imu.stop(); }

uint64_t now_us(void *) { return static_cast<uint64_t>(esp_timer_get_time()); }

// ------------------------------------------------------------------ BLE

class ServerCallbacks : public NimBLEServerCallbacks {
  void onConnect(NimBLEServer *server, NimBLEConnInfo &info) override {
    ble_connected = true;
    // 7.5-15 ms interval (units of 1.25 ms), no latency, 4 s supervision timeout.
    server->updateConnParams(info.getConnHandle(), 6, 12, 0, 400);
  }
  void onDisconnect(NimBLEServer *, NimBLEConnInfo &, int) override {
    ble_connected = false;
    ble_disconnected = true;
    NimBLEDevice::startAdvertising();
  }
  void onMTUChange(uint16_t mtu, NimBLEConnInfo &) override {
    ble_mtu = mtu;
    ble_mtu_changed = true;
  }
};

class ControlCallbacks : public NimBLECharacteristicCallbacks {
  void onWrite(NimBLECharacteristic *characteristic, NimBLEConnInfo &) override {
    NimBLEAttValue value = characteristic->getValue();
    if (value.size() == 0 || value.size() > kMaxCommand) return;
    Incoming in;
    in.len = static_cast<uint8_t>(value.size());
    memcpy(in.bytes, value.data(), value.size());
    xQueueSend(ble_commands, &in, 0);  // full queue: the host will time out and retry
  }
};

ServerCallbacks server_callbacks;
ControlCallbacks control_callbacks;

void start_ble(uint64_t device_id) {
  char name[32];
  snprintf(name, sizeof name, "eccentric-sense-%04X", static_cast<unsigned>(device_id & 0xFFFF));
  NimBLEDevice::init(name);
  NimBLEDevice::setMTU(kPreferredMtu);
  NimBLEServer *server = NimBLEDevice::createServer();
  server->setCallbacks(&server_callbacks);

  NimBLEService *service = server->createService(kServiceUuid);
  data_char = service->createCharacteristic(kDataUuid, NIMBLE_PROPERTY::NOTIFY);
  NimBLECharacteristic *control =
      service->createCharacteristic(kControlUuid, NIMBLE_PROPERTY::WRITE | NIMBLE_PROPERTY::WRITE_NR);
  control->setCallbacks(&control_callbacks);
  service->start();

  NimBLEService *dis = server->createService("180A");
  char version[16];
  snprintf(version, sizeof version, "%d.%d.%d", ES_FIRMWARE_VERSION_MAJOR, ES_FIRMWARE_VERSION_MINOR,
           ES_FIRMWARE_VERSION_PATCH);
  dis->createCharacteristic("2A26", NIMBLE_PROPERTY::READ)->setValue(version);
  dis->start();

  NimBLEAdvertising *advertising = NimBLEDevice::getAdvertising();
  advertising->addServiceUUID(kServiceUuid);
  advertising->setName(name);
  advertising->start();
}

// ------------------------------------------------------------------ main loop pieces

void use_link(Link link) {
  if (link == active_link) return;
  // Switching links mid-stream would split the stream: stop it first.
  es_device_disconnected(&device);
  active_link = link;
  es_device_set_max_message(&device, link == Link::kBle ? ble_mtu - 3 : ES_MAX_MESSAGE);
}

void poll_ble() {
  if (ble_disconnected) {
    ble_disconnected = false;
    if (active_link == Link::kBle) {
      es_device_disconnected(&device);
      active_link = Link::kNone;
    }
    ble_mtu = 23;
  }
  if (ble_mtu_changed) {
    ble_mtu_changed = false;
    if (active_link == Link::kBle) es_device_set_max_message(&device, ble_mtu - 3);
  }
  Incoming in;
  while (xQueueReceive(ble_commands, &in, 0) == pdTRUE) {
    use_link(Link::kBle);
    es_device_on_message(&device, in.bytes, in.len);
  }
}

void poll_serial() {
  while (Serial.available() > 0) {
    size_t len = es_deframer_push(&deframer, static_cast<uint8_t>(Serial.read()));
    if (len == 0) continue;
    use_link(Link::kSerial);
    es_device_on_message(&device, deframer.message, len);
  }
}

void poll_imu() {
  if (device.state != ES_STATE_STREAMING) return;
  // The FIFO is read when it holds a few samples; the newest one was taken
  // within one sample period before this timestamp.
  uint32_t t_read = static_cast<uint32_t>(esp_timer_get_time());
  bool overflowed = false;
  size_t n = imu.read_fifo(fifo_samples, Icm42688::kMaxSamples, &overflowed);
  if (overflowed) es_device_note_loss(&device, ES_FLAG_FIFO_OVERFLOW, 0);
  if (n == 0) return;
  device.temperature_centi_c = imu.temperature_centi_c();
  es_device_push_samples(&device, fifo_samples, n, t_read);
}

uint64_t chip_id() {
  uint8_t mac[6] = {0};
  esp_read_mac(mac, ESP_MAC_BT);
  uint64_t id = 0;
  for (uint8_t b : mac) id = (id << 8) | b;
  return id;
}

}  // namespace

void setup() {
  Serial.begin(921600);
  ble_commands = xQueueCreate(8, sizeof(Incoming));
  es_deframer_init(&deframer);

  SPI.begin(ES_PIN_SCK, ES_PIN_MISO, ES_PIN_MOSI, ES_PIN_CS);
  bool imu_ok = imu.begin(SPI, ES_PIN_CS);

  es_device_info_t info = {};
  info.fw_major = ES_FIRMWARE_VERSION_MAJOR;
  info.fw_minor = ES_FIRMWARE_VERSION_MINOR;
  info.fw_patch = ES_FIRMWARE_VERSION_PATCH;
  info.imu_model = imu_ok ? ES_IMU_ICM42688P : ES_IMU_UNKNOWN;
  info.supported_formats = imu_ok ? (ES_FMT_ACCEL | ES_FMT_GYRO) : 0;  // START then says NOT_SUPPORTED
  info.device_id = chip_id();
  es_config_t requested = {200, 16, 2000, 5000, 0.0f, 0.0f};
  if (imu_ok) {
    imu.configure(requested, info.config);
  } else {
    info.config = requested;
    info.config.acc_scale_g = 16.0f / 32768.0f;
    info.config.gyr_scale_dps = 2000.0f / 32768.0f;
  }
  es_device_io_t io = {nullptr, send_message, configure_imu, start_imu, stop_imu, now_us};
  es_device_init(&device, &io, &info);

  start_ble(info.device_id);
}

void loop() {
  poll_ble();
  poll_serial();
  poll_imu();
  es_device_poll(&device);
  // At 1 kHz the 2 KiB FIFO holds 128 ms; polling every millisecond keeps batches small and fresh.
  delay(1);
}
