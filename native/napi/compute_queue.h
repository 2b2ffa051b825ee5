// ComputeQueue: the one background thread that runs every asynchronous call, in order.
//
// Each oneDNN call already spreads over all the threads it is given, so running async calls one
// after another on a single thread is what keeps N concurrent calls from oversubscribing the cores
// (and from competing OpenMP teams). The JS thread only enqueues and later receives the result.
#pragma once

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

  // For process exit (an atexit handler, see onednn_binding.cc): drops the tasks not started yet
  // and waits for the one running, if any, to finish. Exiting while the compute thread is inside
  // oneDNN would tear down the library's statics under that thread and crash the process.
  void stop();

  // The process-wide queue (its thread starts with the first task and lives until exit).
  static ComputeQueue& shared();

 private:
  void loop();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable idle_;
  std::deque<Task> tasks_;
  bool running_ = false;
  bool stopped_ = false;
  std::thread worker_;
};

}  // namespace deconv::napi
