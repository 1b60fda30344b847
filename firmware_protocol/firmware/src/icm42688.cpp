#include "icm42688.h"

namespace {

// Bank 0 registers (DS-000347, section 14)
constexpr uint8_t DEVICE_CONFIG = 0x11;
constexpr uint8_t INT_CONFIG = 0x14;
constexpr uint8_t FIFO_CONFIG = 0x16;
constexpr uint8_t INT_STATUS = 0x2D;
constexpr uint8_t FIFO_COUNTH = 0x2E;
constexpr uint8_t FIFO_DATA = 0x30;
constexpr uint8_t SIGNAL_PATH_RESET = 0x4B;
constexpr uint8_t PWR_MGMT0 = 0x4E;
constexpr uint8_t GYRO_CONFIG0 = 0x4F;
constexpr uint8_t ACCEL_CONFIG0 = 0x50;
constexpr uint8_t FIFO_CONFIG1 = 0x5F;
constexpr uint8_t WHO_AM_I = 0x75;
constexpr uint8_t REG_BANK_SEL = 0x76;

constexpr uint8_t WHO_AM_I_VALUE = 0x47;
constexpr uint8_t FIFO_MODE_BYPASS = 0x00;
constexpr uint8_t FIFO_MODE_STREAM = 0x40;
constexpr uint8_t FIFO_FLUSH = 0x02;
constexpr uint8_t FIFO_ACCEL_GYRO_TEMP = 0x07;
constexpr uint8_t INT_STATUS_FIFO_FULL = 0x02;
constexpr size_t PACKET3_BYTES = 16;

struct Option {
  unsigned value;
  uint8_t code;
};
// ODR codes are shared by GYRO_CONFIG0 and ACCEL_CONFIG0 bits 3:0.
constexpr Option kOdr[] = {{25, 0x0A}, {50, 0x09}, {100, 0x08}, {200, 0x07}, {500, 0x0F}, {1000, 0x06}};
// Full-scale codes go in bits 7:5; LSB per unit from the datasheet's sensitivity tables.
constexpr Option kAccRange[] = {{2, 0x03}, {4, 0x02}, {8, 0x01}, {16, 0x00}};
constexpr float kAccLsbPerG[] = {16384.0f, 8192.0f, 4096.0f, 2048.0f};
constexpr Option kGyroRange[] = {{250, 0x03}, {500, 0x02}, {1000, 0x01}, {2000, 0x00}};
constexpr float kGyroLsbPerDps[] = {131.0f, 65.5f, 32.8f, 16.4f};

template <size_t N>
size_t nearest(const Option (&options)[N], unsigned want) {
  size_t best = 0;
  for (size_t i = 1; i < N; i++) {
    unsigned d = options[i].value > want ? options[i].value - want : want - options[i].value;
    unsigned d_best = options[best].value > want ? options[best].value - want : want - options[best].value;
    if (d < d_best) best = i;
  }
  return best;
}

int16_t be16(const uint8_t *p) { return static_cast<int16_t>((p[0] << 8) | p[1]); }

}  // namespace

void Icm42688::write_reg(uint8_t reg, uint8_t value) {
  spi_->beginTransaction(SPISettings(8000000, MSBFIRST, SPI_MODE0));
  digitalWrite(cs_, LOW);
  spi_->transfer(reg & 0x7F);
  spi_->transfer(value);
  digitalWrite(cs_, HIGH);
  spi_->endTransaction();
}

void Icm42688::read_regs(uint8_t reg, uint8_t *out, size_t len) {
  spi_->beginTransaction(SPISettings(8000000, MSBFIRST, SPI_MODE0));
  digitalWrite(cs_, LOW);
  spi_->transfer(reg | 0x80);
  for (size_t i = 0; i < len; i++) out[i] = spi_->transfer(0x00);
  digitalWrite(cs_, HIGH);
  spi_->endTransaction();
}

uint8_t Icm42688::read_reg(uint8_t reg) {
  uint8_t v = 0;
  read_regs(reg, &v, 1);
  return v;
}

bool Icm42688::begin(SPIClass &spi, int cs_pin) {
  spi_ = &spi;
  cs_ = cs_pin;
  pinMode(cs_, OUTPUT);
  digitalWrite(cs_, HIGH);
  write_reg(REG_BANK_SEL, 0);
  write_reg(DEVICE_CONFIG, 0x01);  // soft reset
  delay(2);
  write_reg(REG_BANK_SEL, 0);
  if (read_reg(WHO_AM_I) != WHO_AM_I_VALUE) return false;
  write_reg(INT_CONFIG, 0x03);  // INT1 push-pull, active high (not used: we poll the FIFO)
  write_reg(FIFO_CONFIG, FIFO_MODE_BYPASS);
  write_reg(FIFO_CONFIG1, FIFO_ACCEL_GYRO_TEMP);
  return true;
}

uint8_t Icm42688::configure(const es_config_t &requested, es_config_t &applied) {
  size_t odr = nearest(kOdr, requested.odr_hz);
  size_t acc = nearest(kAccRange, requested.acc_range_g);
  size_t gyr = nearest(kGyroRange, requested.gyro_range_dps);
  gyro_config0_ = static_cast<uint8_t>((kGyroRange[gyr].code << 5) | kOdr[odr].code);
  accel_config0_ = static_cast<uint8_t>((kAccRange[acc].code << 5) | kOdr[odr].code);
  write_reg(GYRO_CONFIG0, gyro_config0_);
  write_reg(ACCEL_CONFIG0, accel_config0_);
  applied.odr_hz = static_cast<uint16_t>(kOdr[odr].value);
  applied.acc_range_g = static_cast<uint8_t>(kAccRange[acc].value);
  applied.gyro_range_dps = static_cast<uint16_t>(kGyroRange[gyr].value);
  applied.period_us = 1000000u / kOdr[odr].value;
  applied.acc_scale_g = 1.0f / kAccLsbPerG[acc];
  applied.gyr_scale_dps = 1.0f / kGyroLsbPerDps[gyr];
  return ES_OK;
}

uint8_t Icm42688::start() {
  write_reg(PWR_MGMT0, 0x0F);  // gyro and accel in low-noise mode
  delay(50);                   // the gyro needs about 45 ms to settle
  write_reg(FIFO_CONFIG, FIFO_MODE_STREAM);
  write_reg(SIGNAL_PATH_RESET, FIFO_FLUSH);
  return ES_OK;
}

void Icm42688::stop() {
  write_reg(FIFO_CONFIG, FIFO_MODE_BYPASS);
  write_reg(PWR_MGMT0, 0x00);
}

size_t Icm42688::read_fifo(int16_t *samples, size_t max_samples, bool *overflowed) {
  *overflowed = (read_reg(INT_STATUS) & INT_STATUS_FIFO_FULL) != 0;
  uint8_t count_bytes[2];
  read_regs(FIFO_COUNTH, count_bytes, 2);  // big-endian byte count (reset default)
  size_t packets = ((static_cast<size_t>(count_bytes[0]) << 8) | count_bytes[1]) / PACKET3_BYTES;
  if (packets > max_samples) packets = max_samples;
  if (packets > kMaxSamples) packets = kMaxSamples;
  if (packets == 0) return 0;
  read_regs(FIFO_DATA, fifo_bytes_, packets * PACKET3_BYTES);
  size_t n = 0;
  for (size_t i = 0; i < packets; i++) {
    const uint8_t *p = &fifo_bytes_[i * PACKET3_BYTES];
    uint8_t header = p[0];
    // bit 7: FIFO empty; bits 6/5: accel/gyro present; bit 4: 20-bit packet (not enabled)
    if ((header & 0x80) || (header & 0x60) != 0x60 || (header & 0x10)) continue;
    int16_t *s = &samples[n * 6];
    for (int k = 0; k < 6; k++) s[k] = be16(p + 1 + 2 * k);
    // Temperature in the FIFO: T = byte / 2.07 + 25 C
    temperature_centi_c_ = static_cast<int16_t>(static_cast<int8_t>(p[13]) * 100.0f / 2.07f + 2500.0f);
    n++;
  }
  return n;
}
