// The element types device tensors hold, and conversions from and to float32 on the host.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <cudnn.h>

namespace deconv::cudnn {

enum class DType { Float32, Float16, BFloat16 };

inline std::size_t dtypeSize(DType t) { return t == DType::Float32 ? 4 : 2; }
inline cudnnDataType_t cudnnType(DType t) {
  switch (t) {
    case DType::Float16:
      return CUDNN_DATA_HALF;
    case DType::BFloat16:
      return CUDNN_DATA_BFLOAT16;
    case DType::Float32:
      break;
  }
  return CUDNN_DATA_FLOAT;
}
const char* dtypeName(DType t);
// 'float32' | 'float16' | 'bfloat16'; throws a RangeError naming `argument` otherwise.
DType dtypeFromName(const std::string& name, const char* argument);

// Converts `count` floats into `dtype` at `to` (round to nearest even; NaN stays NaN).
void fromFloat32(const float* from, void* to, int64_t count, DType dtype);
// Converts `count` values of `dtype` at `from` into floats.
void toFloat32(const void* from, float* to, int64_t count, DType dtype);

}  // namespace deconv::cudnn
