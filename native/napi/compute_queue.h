// ComputeQueue: the one background thread that runs every asynchronous call, in order.
//
// Each oneDNN call already spreads over all the threads it is given, so running async calls one
// after another on a single thread is what keeps N concurrent calls from oversubscribing the cores
// (and from competing OpenMP teams). The JS thread only enqueues and later receives the result.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace deconv::napi {

class ComputeQueue {
 public:
  using Task = std::function<void()>;

  // Runs `task` on the compute thread after every task posted before it. Tasks must not throw.
  // After stop(), tasks are dropped (destroyed unrun).
  void post(Task task);
  // post(), saying whether the task was taken (false after stop()).
  bool tryPost(Task task);

  // Runs `work` on the compute thread and waits for it, rethrowing what it throws (or runs it
  // right here once the queue has stopped). For one-time work, not per call: the hand-over costs
  // two thread wake-ups.
  void runAndWait(const std::function<void()>& work);

  // For process exit (an atexit handler, see onednn_binding.cc): drops the tasks not started yet
  // and waits for the one running, if any, to finish. Exiting while the compute thread is inside
  // oneDNN would tear down the library's statics under that thread and crash the process.
  void stop();

  // Says that oneDNN work ran on another thread (a sync call on a JS thread), whose OpenMP team
  // then competes with the compute thread's: from then on the compute thread ends when idle.
  void noteWorkElsewhere() { workElsewhere_.store(true, std::memory_order_relaxed); }

  // The process-wide queue. Its thread starts with a task; once work has run elsewhere too, it
  // ends after kIdleExit without a task (see loop()), and the next task starts a new one.
  static ComputeQueue& shared();

 private:
  void loop();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable idle_;
  std::deque<Task> tasks_;
  bool running_ = false;
  bool stopped_ = false;
  bool exited_ = false;  // the worker left loop() (idle): join it before starting another
  std::atomic<bool> workElsewhere_{false};
  std::thread worker_;
};

}  // namespace deconv::napi
