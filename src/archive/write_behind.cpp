#include "write_behind.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

#include "libarchive_util.hpp"
#include "pixi_install/base/fs.hpp"

namespace pixi_install::archive::detail {

namespace {

/// Bytes handed off and not yet written, over every extraction of the process: several
/// archives extracted at once share one bound.
std::atomic<std::uint64_t> g_waiting{0};

base::Error write_error(const char* what, const std::string& rel, int err, const std::string& label) {
    return base::fail_errno(what, rel, err).with_context("while extracting " + label);
}

}  // namespace

base::Result<void> write_deferred(int dest_fd, const std::string& label, const DeferredFile& file) {
    UniqueFd fd(::openat(dest_fd, file.rel.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, file.mode));
    if (fd.get() < 0) return write_error("cannot create", file.rel, errno, label);
    if (auto w = base::write_all(fd.get(), file.data, file.rel); !w.ok())
        return std::move(w).error().with_context("while extracting " + label);
    if (file.mtime.tv_nsec != UTIME_OMIT) {
        const struct timespec times[2] = {{0, UTIME_OMIT}, file.mtime};
        (void)::futimens(fd.get(), times);
    }
    return {};
}

struct WriteBehind::State {
    int dest_fd;
    std::string label;
    std::mutex mu;
    std::condition_variable idle_cv;  // writing reached 0
    std::deque<DeferredFile> queue;
    std::uint64_t waiting_bytes = 0;  // of the files queued or being written
    std::size_t writing = 0;    // files taken from the queue and not yet written
    std::uint64_t by_workers = 0;  // files written by pool workers
    std::size_t scheduled = 0;  // pool tasks submitted and not yet finished
    std::optional<base::Error> error;

    /// Takes files from the queue and writes them until it is empty (or a file failed), at
    /// most `limit` of them. Runs on a pool worker, or on the reader's thread in drain().
    void work(std::unique_lock<std::mutex>& lk, bool on_worker, std::size_t limit = SIZE_MAX) {
        for (std::size_t n = 0; n < limit && !queue.empty() && !error; ++n) {
            DeferredFile f = std::move(queue.front());
            queue.pop_front();
            ++writing;
            lk.unlock();
            auto r = write_deferred(dest_fd, label, f);
            lk.lock();
            --writing;
            waiting_bytes -= f.data.size();
            g_waiting -= f.data.size();
            if (r.ok() && on_worker) ++by_workers;
            if (!r.ok() && !error) error = std::move(r).error();
        }
        if (error) drop();  // nothing more is written: the extraction fails
        if (writing == 0) idle_cv.notify_all();
    }

    /// Forgets what is queued (under the lock).
    void drop() {
        for (const auto& f : queue) {
            waiting_bytes -= f.data.size();
            g_waiting -= f.data.size();
        }
        queue.clear();
    }
};

WriteBehind::WriteBehind(base::ThreadPool* pool, int dest_fd, std::string label)
    : st_(std::make_shared<State>()), pool_(pool && pool->size() > 1 ? pool : nullptr) {
    st_->dest_fd = dest_fd;
    st_->label = std::move(label);
}

WriteBehind::~WriteBehind() {
    std::unique_lock lk(st_->mu);
    st_->drop();
    st_->idle_cv.wait(lk, [&] { return st_->writing == 0; });
    // Tasks still scheduled find the queue empty and touch nothing but the shared state.
}

bool WriteBehind::wants(std::uint64_t size) const {
    if (!pool_ || size > kMaxFile) return false;
    {
        std::lock_guard lk(st_->mu);
        if (st_->error || st_->waiting_bytes + size > kMaxQueued) return false;
        if (g_waiting.load(std::memory_order_relaxed) + size > kMaxQueuedAll) return false;
        if (st_->writing > 0) return true;  // a worker is writing this archive's files
    }
    return pool_->has_idle_worker();
}

base::Result<void> WriteBehind::hand_off(DeferredFile file) {
    const bool idle = pool_->has_idle_worker();
    bool schedule = false;
    {
        std::lock_guard lk(st_->mu);
        if (st_->error) return *st_->error;
        st_->waiting_bytes += file.data.size();
        g_waiting += file.data.size();
        st_->queue.push_back(std::move(file));
        // One worker at first; one more while the queue is longer than the workers on it,
        // as long as the pool has one to spare.
        schedule = st_->scheduled == 0 || (idle && st_->queue.size() > st_->scheduled);
        if (schedule) ++st_->scheduled;
    }
    if (schedule) help(st_, pool_);
    return {};
}

void WriteBehind::help(const std::shared_ptr<State>& st, base::ThreadPool* pool) {
    pool->submit([st, pool] {
        std::unique_lock lk(st->mu);
        st->work(lk, true, kBatch);
        // A batch at a time: an archive queued for extraction meanwhile is started first
        // (its decompression is the part no other worker can take over), then this goes on.
        if (!st->queue.empty() && !st->error) {
            lk.unlock();
            help(st, pool);
            return;
        }
        --st->scheduled;
    });
}

std::uint64_t WriteBehind::written_by_workers() const {
    std::lock_guard lk(st_->mu);
    return st_->by_workers;
}

base::Result<void> WriteBehind::drain() {
    std::unique_lock lk(st_->mu);
    st_->work(lk, false);  // what no worker has taken yet, on this thread
    st_->idle_cv.wait(lk, [&] { return st_->writing == 0; });
    if (st_->error) return *st_->error;
    return {};
}

}  // namespace pixi_install::archive::detail
