#include "dtype.h"

#include <cstring>

#include "../core/error.h"

namespace deconv::cudnn {

namespace {

uint32_t bitsOf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

float floatOf(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

uint16_t toBFloat16(float value) {
  const uint32_t bits = bitsOf(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);  // quiet NaN
  const uint32_t roundingBias = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>((bits + roundingBias) >> 16);
}

// IEEE binary16, round to nearest even, with subnormals, overflow to infinity and NaN kept.
uint16_t toHalf(float value) {
  const uint32_t bits = bitsOf(value);
  const uint32_t sign = (bits >> 16) & 0x8000u;
  const uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);
  if (magnitude >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds past 65504
  if (magnitude < 0x38800000u) {
    // Subnormal half (or zero): shift the implicit-one mantissa into place, rounding to even.
    if (magnitude < 0x33000000u) return static_cast<uint16_t>(sign);  // below half of the smallest subnormal
    const uint32_t exponent = magnitude >> 23;
    const uint32_t mantissa = (magnitude & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - exponent;  // 14..24
    uint32_t half = mantissa >> shift;
    const uint32_t remainder = mantissa & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (remainder > halfway || (remainder == halfway && (half & 1u))) half += 1;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = ((magnitude >> 13) - (112u << 10));
  const uint32_t remainder = magnitude & 0x1fffu;
  if (remainder > 0x1000u || (remainder == 0x1000u && (half & 1u))) half += 1;
  return static_cast<uint16_t>(sign | half);
}

float fromHalf(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1f) return floatOf(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {
    if (mantissa == 0) return floatOf(sign);
    // Subnormal: normalize.
    exponent = 1;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      exponent -= 1;
    }
    mantissa &= 0x3ffu;
  }
  return floatOf(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

}  // namespace

const char* dtypeName(DType t) {
  switch (t) {
    case DType::Float16:
      return "float16";
    case DType::BFloat16:
      return "bfloat16";
    case DType::Float32:
      break;
  }
  return "float32";
}

DType dtypeFromName(const std::string& name, const char* argument) {
  if (name == "float32") return DType::Float32;
  if (name == "float16") return DType::Float16;
  if (name == "bfloat16") return DType::BFloat16;
  throw rangeError(std::string(argument) + " must be 'float32', 'float16' or 'bfloat16', got '" + name + "'");
}

void fromFloat32(const float* from, void* to, int64_t count, DType dtype) {
  if (dtype == DType::Float32) {
    std::memcpy(to, from, static_cast<std::size_t>(count) * sizeof(float));
    return;
  }
  auto* out = static_cast<uint16_t*>(to);
  if (dtype == DType::BFloat16) {
    for (int64_t i = 0; i < count; ++i) out[i] = toBFloat16(from[i]);
  } else {
    for (int64_t i = 0; i < count; ++i) out[i] = toHalf(from[i]);
  }
}

void toFloat32(const void* from, float* to, int64_t count, DType dtype) {
  if (dtype == DType::Float32) {
    std::memcpy(to, from, static_cast<std::size_t>(count) * sizeof(float));
    return;
  }
  const auto* in = static_cast<const uint16_t*>(from);
  if (dtype == DType::BFloat16) {
    for (int64_t i = 0; i < count; ++i) to[i] = floatOf(static_cast<uint32_t>(in[i]) << 16);
  } else {
    for (int64_t i = 0; i < count; ++i) to[i] = fromHalf(in[i]);
  }
}

}  // namespace deconv::cudnn
