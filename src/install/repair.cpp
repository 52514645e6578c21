#include "repair.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <string>
#include <vector>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/install/state.hpp"
#include "transaction.hpp"
#include "transaction_rollback.hpp"

namespace pixi_install::install {

namespace fs = std::filesystem;

namespace {

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

}  // namespace

bool is_stale_temporary_name(const std::string& n) {
    if (n.size() < 2 || n[0] != '.') return false;
    if (n.rfind(".pixi-install-wheel-", 0) == 0) return n.size() == std::string(".pixi-install-wheel-").size() + 6;
    // ".<target>.<tag>-<pid>-<counter>-<random>": three dash-separated numbers after the tag.
    std::size_t end = n.size();
    for (int field = 0; field < 3; ++field) {
        std::size_t dash = n.rfind('-', end - 1);
        if (dash == std::string::npos || dash == 0) return false;
        if (!all_digits(std::string_view(n).substr(dash + 1, end - dash - 1))) return false;
        end = dash;
    }
    std::size_t dot = n.rfind('.', end - 1);
    if (dot == std::string::npos || dot == 0 || dot + 1 >= end) return false;
    for (std::size_t i = dot + 1; i < end; ++i)
        if (n[i] < 'a' || n[i] > 'z') return false;
    return true;
}

base::Result<std::size_t> remove_stale_temporaries(const fs::path& prefix, bool deep) {
    std::vector<fs::path> found;
    std::error_code ec;
    auto scan_dir = [&](const fs::path& dir) {
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
            if (is_stale_temporary_name(it->path().filename().string())) found.push_back(it->path());
    };
    if (deep) {
        fs::recursive_directory_iterator it(prefix, fs::directory_options::skip_permission_denied, ec), end;
        for (; !ec && it != end; it.increment(ec)) {
            if (!is_stale_temporary_name(it->path().filename().string())) continue;
            found.push_back(it->path());
            std::error_code e2;
            if (it->is_directory(e2) && !it->is_symlink(e2)) it.disable_recursion_pending();
        }
    } else {
        scan_dir(prefix);
        ec.clear();
        scan_dir(prefix / "conda-meta");
    }
    for (const auto& p : found) PI_TRY_VOID(base::remove_tree(p));
    return found.size();
}

base::Result<bool> Transaction::recover_interrupted() {
    if (!has_snapshot(opt_.prefix)) {
        PI_TRY_VOID(discard_snapshot(opt_.prefix, pool_.get()));  // an unfinished snapshot: nothing had changed yet
        return false;
    }
    // "complete" is written only when the new environment is whole: the snapshot is then
    // merely not yet removed. Anything else means the install died part-way.
    if (read_state(opt_.prefix).state == PrefixState::complete) {
        PI_TRY_VOID(discard_snapshot(opt_.prefix, pool_.get()));
        return false;
    }
    auto r = restore_snapshot(opt_.prefix, pool_.get());
    if (!r.ok())
        return std::move(r).error().with_context("while rolling back the interrupted install in " +
                                                 opt_.prefix.string());
    return true;
}

base::Result<void> Transaction::lock_prefix() {
    // A failed install removes the fresh prefix it made, lock file included, while still
    // holding the lock: a process that waited on that lock then holds a removed file and
    // starts over with a new one.
    // Whether this run made the prefix (and its conda-meta/) is decided by its own mkdir, at
    // every attempt: only what this run made is removed when it fails without changing anything.
    const fs::path meta = opt_.prefix / "conda-meta";
    const fs::path lock_path = meta / "pixi-install.lock";
    for (int attempt = 0;; ++attempt) {
        if (opt_.prefix.has_parent_path()) PI_TRY_VOID(base::make_dirs(opt_.prefix.parent_path()));
        created_prefix_ = ::mkdir(opt_.prefix.c_str(), 0777) == 0;
        if (!created_prefix_ && errno != EEXIST) return base::fail_errno("cannot create the prefix", opt_.prefix.string(), errno);
        created_conda_meta_ = ::mkdir(meta.c_str(), 0777) == 0;
        if (!created_conda_meta_ && errno != EEXIST) {
            // The prefix was removed between the two calls (a failed install cleaning up): start over.
            if (errno == ENOENT && attempt < 8) continue;
            return base::fail_errno("cannot create", meta.string(), errno);
        }
        auto l = base::FileLock::acquire(lock_path, [&] {
            report_.waited = true;
            if (opt_.on_wait && attempt == 0) opt_.on_wait();
        });
        std::error_code ec;
        const bool still_there = fs::exists(lock_path, ec);
        if (l.ok() && still_there) {
            lock_ = std::move(*l);
            return {};
        }
        if (attempt >= 8 || (!l.ok() && still_there)) {
            if (!l.ok()) return std::move(l).error();
            return base::fail(base::ErrorKind::failure, "the prefix " + opt_.prefix.string() +
                                                      " keeps being removed by another process; try again");
        }
    }
}

}  // namespace pixi_install::install
