#include "pixi_install/base/thread_pool.hpp"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

namespace pixi_install::base {

std::size_t available_cpus() {
    // The CPUs this process may run on (taskset, a container's cpuset), as uv and pixi count
    // them, not every CPU of the machine.
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) == 0) {
        const int n = CPU_COUNT(&set);
        if (n > 0) return static_cast<std::size_t>(n);
    }
    return std::max(1u, std::thread::hardware_concurrency());
}

ThreadPool::ThreadPool(std::size_t workers) {
    if (workers == 0) workers = available_cpus();
    threads_.reserve(workers);
    for (std::size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { run(); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lk(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
}

void ThreadPool::submit(std::function<void()> task) {
    {
        std::lock_guard lk(mu_);
        queue_.push_back(std::move(task));
    }
    cv_.notify_one();
}

bool ThreadPool::has_idle_worker() {
    std::lock_guard lk(mu_);
    return active_ + queue_.size() < threads_.size();
}

void ThreadPool::wait_idle() {
    std::unique_lock lk(mu_);
    idle_cv_.wait(lk, [this] { return queue_.empty() && active_ == 0; });
}

void ThreadPool::run() {
    for (;;) {
        std::function<void()> task;
        {
            std::unique_lock lk(mu_);
            cv_.wait(lk, [this] { return stop_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stop_ and drained
            task = std::move(queue_.front());
            queue_.pop_front();
            ++active_;
        }
        task();
        {
            std::lock_guard lk(mu_);
            --active_;
            if (queue_.empty() && active_ == 0) idle_cv_.notify_all();
        }
    }
}

void ThreadPool::parallel_for(std::size_t n, const std::function<void(std::size_t)>& f) {
    // A shared index keeps the queue short (one task per worker) however large n is.
    std::atomic<std::size_t> next{0};
    std::mutex done_mu;
    std::condition_variable done_cv;
    std::size_t running = std::min(n, threads_.size());
    std::size_t finished = 0;
    for (std::size_t w = 0; w < running; ++w) {
        submit([&] {
            for (std::size_t i; (i = next.fetch_add(1)) < n;) f(i);
            std::lock_guard lk(done_mu);
            if (++finished == running) done_cv.notify_all();
        });
    }
    std::unique_lock lk(done_mu);
    done_cv.wait(lk, [&] { return finished == running; });
}

std::vector<Error> ThreadPool::try_each(std::size_t n, const std::function<Result<void>(std::size_t)>& f) {
    std::mutex mu;
    std::vector<Error> errors;
    parallel_for(n, [&](std::size_t i) {
        {
            std::lock_guard lk(mu);
            if (!errors.empty()) return;
        }
        auto r = f(i);
        if (r.ok()) return;
        std::lock_guard lk(mu);
        errors.push_back(std::move(r).error());
    });
    std::sort(errors.begin(), errors.end(), [](const Error& a, const Error& b) { return a.message < b.message; });
    return errors;
}

}  // namespace pixi_install::base
