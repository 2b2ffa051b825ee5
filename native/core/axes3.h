// Axes3: a problem's spatial sizes on three axes (D, H, W), the leading ones neutral (size 1, no
// padding) for rank < 3, so that one loop nest serves 1-, 2- and 3-D problems.
#pragma once

#include <cstdint>

#include "problem.h"

namespace deconv {

struct Axes3 {
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1}, pb[3] = {0, 0, 0};
  explicit Axes3(const Problem& p) {
    for (int i = 0; i < p.rank; ++i) {
      const int a = 3 - p.rank + i;
      in[a] = p.inSpatial[i], out[a] = p.outSpatial[i], k[a] = p.kernel[i];
      s[a] = p.strides[i], d[a] = p.dilations[i], pb[a] = p.padsBegin[i];
    }
  }
  // Calls visit(kd, kh, id, ih) for every kernel row (kd, kh) through which an input row
  // (id, ih) reaches the output row (od, oh).
  template <typename Visit>
  void forEachReachingRow(int64_t od, int64_t oh, Visit visit) const {
    for (int64_t kd = 0; kd < k[0]; ++kd) {
      const int64_t td = od + pb[0] - kd * d[0];
      if (td < 0 || td % s[0] != 0 || td / s[0] >= in[0]) continue;
      for (int64_t kh = 0; kh < k[1]; ++kh) {
        const int64_t th = oh + pb[1] - kh * d[1];
        if (th < 0 || th % s[1] != 0 || th / s[1] >= in[1]) continue;
        visit(kd, kh, td / s[0], th / s[1]);
      }
    }
  }
};

}  // namespace deconv
