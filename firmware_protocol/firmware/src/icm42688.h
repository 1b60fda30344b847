// Minimal ICM-42688-P driver for the es1 reference firmware: SPI, FIFO in
// "packet 3" form (header, accel, gyro, temperature, timestamp: 16 bytes),
// stream-to-FIFO mode.  Register addresses and field layouts are from the
// TDK InvenSense ICM-42688-P datasheet (DS-000347); this code has not yet
// been run on hardware by the project (see firmware/README.md).
#pragma once

#include <Arduino.h>
#include <SPI.h>

#include "es_proto.h"

class Icm42688 {
 public:
  static constexpr size_t kMaxSamples = 128;  // 2 KiB FIFO / 16-byte packets

  bool begin(SPIClass &spi, int cs_pin);
  // Nearest supported rate/ranges; fills `applied` (period and scales too).
  uint8_t configure(const es_config_t &requested, es_config_t &applied);
  uint8_t start();  // flush FIFO, stream-to-FIFO mode, sensors in low-noise mode
  void stop();      // sensors off, FIFO bypassed
  // Reads every complete packet: 6 int16 per sample (ax ay az gx gy gz).
  size_t read_fifo(int16_t *samples, size_t max_samples, bool *overflowed);
  int16_t temperature_centi_c() const { return temperature_centi_c_; }

 private:
  void write_reg(uint8_t reg, uint8_t value);
  uint8_t read_reg(uint8_t reg);
  void read_regs(uint8_t reg, uint8_t *out, size_t len);

  SPIClass *spi_ = nullptr;
  int cs_ = -1;
  uint8_t gyro_config0_ = 0;
  uint8_t accel_config0_ = 0;
  int16_t temperature_centi_c_ = ES_TEMPERATURE_UNKNOWN;
  uint8_t fifo_bytes_[kMaxSamples * 16];
};
