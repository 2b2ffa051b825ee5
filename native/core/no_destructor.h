// NoDestructor<T>: a process-wide object that is built on first use and never destroyed.
//
// Native state shared by every Node environment (the oneDNN engine, the plan cache, the compute
// thread) must outlive them all, including a worker thread's environment that is torn down while
// the process goes on, and must still be usable while the process exits with calls in flight.
// Destroying it in static destruction order would race with the compute thread, so it never is.
#pragma once

#include <new>
#include <utility>

namespace deconv {

template <typename T>
class NoDestructor {
 public:
  template <typename... Args>
  explicit NoDestructor(Args&&... args) {
    ::new (static_cast<void*>(storage_)) T(std::forward<Args>(args)...);
  }
  NoDestructor(const NoDestructor&) = delete;
  NoDestructor& operator=(const NoDestructor&) = delete;

  T& get() { return *std::launder(reinterpret_cast<T*>(storage_)); }
  T* operator->() { return &get(); }

 private:
  alignas(T) unsigned char storage_[sizeof(T)];
};

}  // namespace deconv
