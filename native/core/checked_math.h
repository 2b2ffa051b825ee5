// Overflow-checked int64 arithmetic for shape and element-count math.
//
// Shapes arrive from JavaScript as doubles (up to 2^53), so a product of a few
// of them can exceed int64 easily. Silent wrap-around there would turn into an
// undersized allocation or an out-of-bounds read in a backend; a RangeError
// naming the quantity is the only acceptable outcome.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "error.h"

namespace deconv {

namespace detail {
[[noreturn]] inline void throwOverflow(const char* what) {
  throw rangeError(std::string(what) + " overflows a 64-bit integer");
}
}  // namespace detail

inline int64_t checkedAdd(int64_t a, int64_t b, const char* what) {
  int64_t result = 0;
#if defined(__GNUC__) || defined(__clang__)
  if (__builtin_add_overflow(a, b, &result)) detail::throwOverflow(what);
#else
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  if ((b > 0 && a > kMax - b) || (b < 0 && a < kMin - b)) detail::throwOverflow(what);
  result = a + b;
#endif
  return result;
}

inline int64_t checkedSub(int64_t a, int64_t b, const char* what) {
  int64_t result = 0;
#if defined(__GNUC__) || defined(__clang__)
  if (__builtin_sub_overflow(a, b, &result)) detail::throwOverflow(what);
#else
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  if ((b < 0 && a > kMax + b) || (b > 0 && a < kMin + b)) detail::throwOverflow(what);
  result = a - b;
#endif
  return result;
}

inline int64_t checkedMul(int64_t a, int64_t b, const char* what) {
  int64_t result = 0;
#if defined(__GNUC__) || defined(__clang__)
  if (__builtin_mul_overflow(a, b, &result)) detail::throwOverflow(what);
#else
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  if (a != 0 && b != 0) {
    const bool overflows = a > 0 ? (b > 0 ? a > kMax / b : b < kMin / a)
                                 : (b > 0 ? a < kMin / b : b < kMax / a);
    if (overflows) detail::throwOverflow(what);
  }
  result = a * b;
#endif
  return result;
}

}  // namespace deconv
