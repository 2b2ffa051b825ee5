#include "compute_queue.h"

#include <chrono>
#include <exception>

#include "../core/no_destructor.h"

namespace deconv::napi {

void ComputeQueue::post(Task task) { tryPost(std::move(task)); }

bool ComputeQueue::tryPost(Task task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return false;  // `task` is destroyed by the caller, unrun, after the lock is released
    tasks_.push_back(std::move(task));
    if (exited_) {
      worker_.join();  // it has left loop() and is only returning
      exited_ = false;
    }
    if (!worker_.joinable()) worker_ = std::thread([this] { loop(); });
  }
  ready_.notify_one();
  return true;
}

void ComputeQueue::runAndWait(const std::function<void()>& work) {
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  std::exception_ptr failure;
  const bool taken = tryPost([&] {
    try {
      work();
    } catch (...) {
      failure = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mutex);
    done = true;
    finished.notify_one();
  });
  if (!taken) {
    work();
    return;
  }
  std::unique_lock<std::mutex> lock(mutex);
  finished.wait(lock, [&] { return done; });
  if (failure) std::rethrow_exception(failure);
}

void ComputeQueue::stop() {
  std::deque<Task> dropped;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    stopped_ = true;
    dropped.swap(tasks_);
    idle_.wait(lock, [this] { return !running_; });
    // A thread that left loop() when idle may still be releasing its thread-locals (its oneDNN
    // stream, its OpenMP team): let it finish before exit tears the libraries down.
    if (exited_ && worker_.joinable()) worker_.join();
    exited_ = false;
  }
  // `dropped` is destroyed here, outside the lock: the tasks' captures may run destructors that
  // take other locks.
}

// How long the compute thread waits for work before it ends, once sync calls have run oneDNN on
// another thread. With GNU OpenMP every thread that runs parallel work keeps its own team, and
// once the teams together hold more threads than there are cores, libgomp stops spinning between
// parallel regions (GOMP_SPINCOUNT's throttled value) and every region pays a futex wake-up:
// mixing async and sync calls made sync calls 2–3× slower on small layers (dcgan-g5-b1 0.34 ms
// instead of 0.10), long after the last async one. Ending the idle thread frees its team, so the
// JS thread's team spins again. An async-only process keeps its thread (and its scratch).
constexpr std::chrono::milliseconds kIdleExit{10};

void ComputeQueue::loop() {
  for (;;) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      while (!ready_.wait_for(lock, kIdleExit, [this] { return !tasks_.empty(); })) {
        if (workElsewhere_.load(std::memory_order_relaxed)) {
          exited_ = true;  // post() joins this thread before starting the next
          return;
        }
      }
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
