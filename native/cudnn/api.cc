#include "api.h"

#include <dlfcn.h>
#include <link.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <sys/stat.h>

#include "../core/error.h"
#include "../core/no_destructor.h"

namespace deconv::cudnn {

namespace {

#define DECONV_STRINGIFY_EXPANDED(x) DECONV_STRINGIFY(x)
#define DECONV_STRINGIFY(x) #x

struct Loaded {
  Availability availability;
  DriverApi driver;
  CudnnApi dnn;
};

std::string dlerrorText() {
  const char* text = dlerror();
  return text ? text : "unknown dlopen error";
}

bool isDirectory(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

// Resolves every entry of a table; on a missing symbol, names it (a library too old or not the
// one expected).
template <typename Table>
bool resolve(void* library, Table& table, std::string& missing);

#define DECONV_RESOLVE(name)                                                              \
  table.name = reinterpret_cast<decltype(table.name)>(dlsym(library, DECONV_STRINGIFY_EXPANDED(name))); \
  if (table.name == nullptr) {                                                            \
    missing = DECONV_STRINGIFY_EXPANDED(name);                                            \
    return false;                                                                         \
  }

template <>
bool resolve<DriverApi>(void* library, DriverApi& table, std::string& missing) {
  DECONV_CUDA_DRIVER_FUNCTIONS(DECONV_RESOLVE)
  return true;
}

template <>
bool resolve<CudnnApi>(void* library, CudnnApi& table, std::string& missing) {
  DECONV_CUDNN_FUNCTIONS(DECONV_RESOLVE)
  return true;
}

#undef DECONV_RESOLVE

std::string cudaVersionText(int version) {
  return std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10);
}

// libcudnn: DECONV_CUDNN_PATH (the library file or its directory), else the loader's search
// (LD_LIBRARY_PATH, ld.so.cache, the system directories).
void loadCudnn(Loaded& loaded) {
  Availability& a = loaded.availability;
  std::string request = "libcudnn.so.9";
  if (const char* path = std::getenv("DECONV_CUDNN_PATH"); path && *path) {
    request = path;
    if (isDirectory(request)) request += "/libcudnn.so.9";
  }
  void* library = dlopen(request.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    a.reason = "libcudnn.so.9 not found (" + dlerrorText() +
               "); install cuDNN 9 (for example the nvidia-cudnn-cu12 wheel) and set LD_LIBRARY_PATH or DECONV_CUDNN_PATH to its lib directory";
    return;
  }
  std::string missing;
  if (!resolve(library, loaded.dnn, missing)) {
    a.reason = request + " lacks " + missing + ": deconv needs cuDNN 9";
    return;
  }
  // libcudnn.so.9 is a shim that loads the real libraries on first use and aborts the process
  // when one is missing. Load them first, from the shim's own directory where they are, so a
  // partial install is a reason rather than a crash.
  char origin[4096] = {0};
  const std::string directory = dlinfo(library, RTLD_DI_ORIGIN, origin) == 0 ? std::string(origin) : std::string();
  for (const char* part : {"libcudnn_graph.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9", "libcudnn_heuristic.so.9", "libcudnn_engines_precompiled.so.9"}) {
    const std::string beside = directory + "/" + part;
    const bool local = !directory.empty() && access(beside.c_str(), F_OK) == 0;
    if (dlopen(local ? beside.c_str() : part, RTLD_NOW | RTLD_LOCAL) == nullptr) {
      a.reason = "the cuDNN at " + (directory.empty() ? request : directory) + " is incomplete: " + part + " does not load (" + dlerrorText() + ")";
      return;
    }
  }
  const size_t version = loaded.dnn.cudnnGetVersion();
  if (version < 90000) {
    a.reason = request + " is cuDNN " + std::to_string(version) + ": deconv needs cuDNN 9";
    return;
  }
  a.cudnnLoaded = true;
  a.cudnnPath = request;
  a.cudnnVersion = std::to_string(version / 10000) + "." + std::to_string((version % 10000) / 100) + "." +
                   std::to_string(version % 100);
  a.cudnnCudartVersion = static_cast<int>(loaded.dnn.cudnnGetCudartVersion());
}

void loadDriver(Loaded& loaded) {
  Availability& a = loaded.availability;
  const std::string found = a.cudnnLoaded ? " (cuDNN " + a.cudnnVersion + " was found)" : "";
  void* library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    a.reason = "no NVIDIA driver: libcuda.so.1 not found" + found;
    return;
  }
  std::string missing;
  if (!resolve(library, loaded.driver, missing)) {
    a.reason = "the NVIDIA driver is too old: libcuda.so.1 lacks " + missing + found;
    return;
  }
  loaded.driver.cuDriverGetVersion(&a.driverVersion);
  const CUresult init = loaded.driver.cuInit(0);
  if (init == CUDA_ERROR_NO_DEVICE) {
    a.reason = "no CUDA device (the driver reports none)" + found;
    return;
  }
  if (init != CUDA_SUCCESS) {
    a.reason = "the CUDA driver did not initialize: " + driverErrorName(init) + found;
    return;
  }
  loaded.driver.cuDeviceGetCount(&a.deviceCount);
  if (a.deviceCount == 0) {
    a.reason = "no CUDA device" + found;
    return;
  }
  if (!a.cudnnLoaded) return;  // the cuDNN reason stands
  if (a.driverVersion < a.cudnnCudartVersion - a.cudnnCudartVersion % 1000) {
    a.reason = "the NVIDIA driver is too old: it supports CUDA " + cudaVersionText(a.driverVersion) + ", cuDNN " +
               a.cudnnVersion + " is built for CUDA " + cudaVersionText(a.cudnnCudartVersion);
    return;
  }
  a.usable = true;
  a.reason.clear();
}

const Loaded& loaded() {
  static NoDestructor<Loaded> instance;
  static std::once_flag once;
  std::call_once(once, [] {
    Loaded& l = instance.get();
    loadCudnn(l);
    const std::string cudnnReason = l.availability.reason;
    loadDriver(l);
    // Without cuDNN, say that first, and what the driver side found as well.
    if (!l.availability.cudnnLoaded) {
      l.availability.usable = false;
      const std::string driverSide = l.availability.reason;
      l.availability.reason = cudnnReason + (driverSide.empty() ? "" : "; " + driverSide);
    }
  });
  return instance.get();
}

}  // namespace

const Availability& availability() { return loaded().availability; }

const DriverApi& driver() {
  const Loaded& l = loaded();
  if (!l.availability.usable) throw Error(ErrorKind::Error, "backend 'cudnn' is not available: " + l.availability.reason);
  return l.driver;
}

const CudnnApi& dnn() {
  const Loaded& l = loaded();
  if (!l.availability.usable) throw Error(ErrorKind::Error, "backend 'cudnn' is not available: " + l.availability.reason);
  return l.dnn;
}

std::string driverErrorName(CUresult result) {
  const char* name = nullptr;
  const Loaded& l = loaded();
  if (l.driver.cuGetErrorName && l.driver.cuGetErrorName(result, &name) == CUDA_SUCCESS && name) return name;
  return "CUDA error " + std::to_string(static_cast<int>(result));
}

std::string cudnnErrorName(cudnnStatus_t status) {
  const Loaded& l = loaded();
  if (l.dnn.cudnnGetErrorString) return l.dnn.cudnnGetErrorString(status);
  return "cuDNN status " + std::to_string(static_cast<int>(status));
}

void checkDriver(CUresult result, const char* what) {
  if (result == CUDA_SUCCESS) return;
  if (result == CUDA_ERROR_OUT_OF_MEMORY) {
    throw Error(ErrorKind::Error, std::string("cudnn: out of device memory in ") + what);
  }
  throw Error(ErrorKind::Error, std::string("cudnn: ") + what + " failed: " + driverErrorName(result));
}

void checkCudnn(cudnnStatus_t status, const char* what) {
  if (status == CUDNN_STATUS_SUCCESS) return;
  throw Error(ErrorKind::Error, std::string("cudnn: ") + what + " failed: " + cudnnErrorName(status));
}

}  // namespace deconv::cudnn
