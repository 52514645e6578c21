// Private: the small files of one extraction, written by idle workers of a pool while the
// thread reading the archive goes on decompressing it. One archive is one compressed stream,
// so its decompression stays on one thread; creating and writing its files (most of the
// time of a package with thousands of small files) need not.
//
// The caller decides what may be handed off (EntryWriter: a regular file whose name no
// earlier entry had and whose directories exist), and calls drain() before anything that
// could meet a file still in the queue (the same name again, a directory or hard link to
// it). Files handed off are created with O_EXCL below the destination directory, whose
// descriptor stays open until the WriteBehind is gone.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "pixi_install/base/result.hpp"
#include "pixi_install/base/thread_pool.hpp"

namespace pixi_install::archive::detail {

/// A whole file, read from the archive, still to be written.
struct DeferredFile {
    std::string rel;   // below the destination directory; its directories exist
    std::string data;  // its bytes (holes as zeros)
    mode_t mode = 0644;
    struct timespec mtime {0, UTIME_OMIT};  // UTIME_OMIT: the time of writing
};

class WriteBehind {
public:
    /// Files up to this size may be handed off; bigger ones are streamed by the reader.
    static constexpr std::uint64_t kMaxFile = 1u << 20;
    /// Bytes handed off and not yet written, at most, for this archive and for all the
    /// archives of the process together; past either the reader writes files itself.
    static constexpr std::uint64_t kMaxQueued = 16u << 20;
    static constexpr std::uint64_t kMaxQueuedAll = 64u << 20;

    /// `pool` may be nullptr (nothing is ever handed off). `dest_fd` must stay open until
    /// this object is destroyed. `label` names the archive in errors.
    WriteBehind(base::ThreadPool* pool, int dest_fd, std::string label);
    /// Waits for the files the workers are writing; what is still queued is dropped
    /// (an extraction that did not call drain() has failed, and its directory goes).
    ~WriteBehind();
    WriteBehind(const WriteBehind&) = delete;
    WriteBehind& operator=(const WriteBehind&) = delete;

    /// Whether a file of `size` bytes is worth handing off now: it is small, the queue has
    /// room, and a worker is idle or already writing this archive's files.
    bool wants(std::uint64_t size) const;
    /// Queues `file`. Fails with the first error any handed-off file met so far (then the
    /// file is not queued, and the extraction should stop).
    base::Result<void> hand_off(DeferredFile file);
    /// Writes what is still queued on this thread, waits for the workers' files, and gives
    /// the first error any of them met. Afterwards every file handed off is on disk.
    base::Result<void> drain();
    /// Files written by the pool's workers so far (not by drain()).
    std::uint64_t written_by_workers() const;

private:
    struct State;
    /// Files a worker writes before it lets the pool's other queued tasks go first.
    static constexpr std::size_t kBatch = 32;
    /// Queues a task on `pool` that writes `st`'s files, a batch at a time.
    static void help(const std::shared_ptr<State>& st, base::ThreadPool* pool);
    std::shared_ptr<State> st_;
    base::ThreadPool* pool_;
};

/// Creates `file.rel` below `dest_fd` (O_EXCL, never through a link) and writes it whole.
base::Result<void> write_deferred(int dest_fd, const std::string& label, const DeferredFile& file);

}  // namespace pixi_install::archive::detail
