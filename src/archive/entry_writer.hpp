// Private: writes the entries of one libarchive reader below a destination
// directory, refusing anything that could escape it. One writer per job.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "libarchive_util.hpp"
#include "pixi_install/archive/extract.hpp"
#include "pixi_install/base/result.hpp"
#include "write_behind.hpp"

namespace pixi_install::archive::detail {

struct WriterPolicy {
    /// Zip (wheel) semantics: symlink entries become regular files holding the
    /// link text, as Python's zipfile-based installers produce.
    bool symlinks_as_files = false;
    /// Zip: the permission bits each member's central-directory entry records
    /// (members recording none are absent). libarchive ignores them for zips made
    /// on DOS/Windows; pip and pypa/installer honour them whatever system made the zip.
    const std::unordered_map<std::string, std::uint32_t>* zip_perms = nullptr;
    /// Source trees: a symlink must stay inside the tree (relative, not climbing
    /// above the root), so nothing a build reads through it is outside.
    bool contained_symlinks = false;
};

class EntryWriter {
public:
    /// `dest_fd` is an open directory that was empty when extraction began; every
    /// path is created relative to it (no chdir, no process-wide state).
    EntryWriter(int dest_fd, std::string label, const ExtractOptions& options, WriterPolicy policy);

    /// Writes every entry of `a` (already opened) until its end.
    base::Result<void> write_all(struct archive* a);
    /// Writes one entry whose header was just read, consuming its data.
    base::Result<void> write_entry(struct archive* a, struct archive_entry* e);
    /// Waits until every file is on disk (some may be written by ExtractOptions::helpers)
    /// and gives the first error of any. Call it after the last entry: the destructor does
    /// not write what is still waiting.
    base::Result<void> finish();

    const ExtractStats& stats() const { return stats_; }
    base::Error refuse(std::string_view entry, std::string_view why) const;
    base::Result<void> check_cancel() const;

private:
    base::Result<void> ensure_parents(const std::string& rel, std::string_view entry);
    base::Result<void> check_no_symlink_prefix(const std::string& rel, std::string_view entry) const;
    base::Result<void> clear_existing(const std::string& rel, std::string_view entry);
    /// Bytes of a member hand_off read before it gave the file back to this thread: `head`
    /// from offset 0, then one block at `offset` (all counted against the limit).
    struct ReadSoFar {
        std::string_view head;
        const void* block;
        std::size_t size;
        la_int64_t offset;
    };
    base::Result<void> write_file(struct archive* a, struct archive_entry* e, const std::string& rel,
                                  std::string_view entry, std::string_view content_override,
                                  bool use_override, const ReadSoFar* so_far = nullptr);
    base::Result<void> write_dir(struct archive_entry* e, const std::string& rel, std::string_view entry);
    base::Result<void> write_symlink(struct archive_entry* e, const std::string& rel,
                                     std::string_view entry, std::string_view target);
    base::Result<void> write_hardlink(const std::string& rel, std::string_view entry,
                                      std::string_view target);
    /// One data block of the current member, as libarchive lends it.
    struct DataBlock {
        const void* data = nullptr;
        std::size_t size = 0;
        la_int64_t offset = 0;
    };
    /// Reads the next data block of the member (false at its end): checked not to overlap
    /// what came before `end`, and counted against the unpacked-size limit, holes included.
    base::Result<bool> next_block(struct archive* a, std::string_view entry, std::uint64_t end, DataBlock& block);
    base::Result<void> hand_off(struct archive* a, struct archive_entry* e, const std::string& rel,
                                std::string_view entry);
    base::Result<void> wait_for_pending(const std::string& key, const char* hardlink);
    void note_dir(const std::string& rel);
    mode_t regular_mode(struct archive_entry* e, std::string_view entry) const;
    base::Result<void> account(std::uint64_t bytes, std::string_view entry);
    base::Error write_error(const char* what, const std::string& rel, int err) const;

    int dfd_;
    std::string label_;
    ExtractOptions options_;
    WriterPolicy policy_;
    ExtractStats stats_;
    std::uint64_t unpacked_ = 0;
    std::unordered_set<std::string> dirs_;      // directories created here (never removed)
    std::unordered_set<std::string> symlinks_;  // symlinks created here: never written through
    // With helpers, each name with its ASCII letters folded (a file system may fold case):
    // every name written so far but directories (a name seen before is written by this
    // thread, which replaces what is there), the directories made, and the files handed off
    // since the last wait (an entry that meets one of them waits until it is on disk).
    std::unique_ptr<WriteBehind> behind_;
    std::unordered_set<std::string> names_;
    std::unordered_set<std::string> folded_dirs_;
    std::unordered_set<std::string> pending_;
    bool hand_offs_stopped_ = false;  // a name with non-ASCII bytes was seen
};

}  // namespace pixi_install::archive::detail
