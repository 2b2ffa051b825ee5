// buildInfo(): what this binary was built from and with. Lets the JS side
// decide which backends it may use, and makes bug reports self-describing.
#pragma once

#include <napi.h>

namespace deconv::napi {

// () => { addonVersion, napiVersion, compiler,
//         backends: { onednn: { compiled, reason? }, cudnn: { compiled, reason? } } }
Napi::Value buildInfo(const Napi::CallbackInfo& info);

}  // namespace deconv::napi
