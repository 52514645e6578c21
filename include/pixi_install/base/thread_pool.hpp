// One fixed pool of worker threads for CPU and disk work (extraction, linking,
// hashing). No thread per task; a process allowed one CPU runs the same code with one worker.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "pixi_install/base/result.hpp"

namespace pixi_install::base {

/// The number of CPUs this process may run on (its affinity mask: `taskset`, a container's
/// cpuset), at least 1.
std::size_t available_cpus();

class ThreadPool {
public:
    /// `workers` == 0 means available_cpus().
    explicit ThreadPool(std::size_t workers = 0);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    /// Queues a task. Tasks must not throw (they return Results through captured state).
    void submit(std::function<void()> task);
    /// Blocks until every submitted task has finished.
    void wait_idle();
    std::size_t size() const { return threads_.size(); }
    /// Whether a worker would start a task submitted now at once (none is queued ahead of
    /// it and some worker is waiting). A hint: the answer may change right after.
    bool has_idle_worker();

    /// Runs f(i) for i in [0, n) on the pool and waits. Safe to call from outside the pool only.
    void parallel_for(std::size_t n, const std::function<void(std::size_t)>& f);
    /// parallel_for for work that can fail: once an f(i) has failed, no further i is begun.
    /// Returns the errors met, sorted by message (none: every f(i) succeeded).
    std::vector<Error> try_each(std::size_t n, const std::function<Result<void>(std::size_t)>& f);

private:
    void run();

    std::mutex mu_;
    std::condition_variable cv_;
    std::condition_variable idle_cv_;
    std::deque<std::function<void()>> queue_;
    std::size_t active_ = 0;
    bool stop_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace pixi_install::base
