#include "compute_queue.h"

#include "../core/no_destructor.h"

namespace deconv::napi {

void ComputeQueue::post(Task task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
    if (!worker_.joinable()) worker_ = std::thread([this] { loop(); });
  }
  ready_.notify_one();
}

void ComputeQueue::loop() {
  for (;;) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return !tasks_.empty(); });
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

ComputeQueue& ComputeQueue::shared() {
  // Never destroyed: the thread may still be busy while the process exits (see NoDestructor).
  static NoDestructor<ComputeQueue> queue;
  return queue.get();
}

}  // namespace deconv::napi
