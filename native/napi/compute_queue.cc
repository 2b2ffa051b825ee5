#include "compute_queue.h"

#include "../core/no_destructor.h"

namespace deconv::napi {

void ComputeQueue::post(Task task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;  // `task` is destroyed here, unrun, after the lock is released
    tasks_.push_back(std::move(task));
    if (!worker_.joinable()) worker_ = std::thread([this] { loop(); });
  }
  ready_.notify_one();
}

void ComputeQueue::stop() {
  std::deque<Task> dropped;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    stopped_ = true;
    dropped.swap(tasks_);
    idle_.wait(lock, [this] { return !running_; });
  }
  // `dropped` is destroyed here, outside the lock: the tasks' captures may run destructors that
  // take other locks.
}

void ComputeQueue::loop() {
  for (;;) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return !tasks_.empty(); });
      task = std::move(tasks_.front());
      tasks_.pop_front();
      running_ = true;
    }
    task();
    task = nullptr;  // the task's captures go before the queue counts as idle
    {
      std::lock_guard<std::mutex> lock(mutex_);
      running_ = false;
    }
    idle_.notify_all();
  }
}

ComputeQueue& ComputeQueue::shared() {
  // Never destroyed: the thread may still be busy while the process exits (see NoDestructor).
  static NoDestructor<ComputeQueue> queue;
  return queue.get();
}

}  // namespace deconv::napi
