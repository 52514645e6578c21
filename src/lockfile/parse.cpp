// parse_lockfile / load_lockfile: YAML -> Document (records streamed; large
// files parsed in pieces on a thread pool), then the version's reader.
#include <algorithm>
#include <thread>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/thread_pool.hpp"
#include "pixi_install/lockfile/lockfile.hpp"
#include "records.hpp"

namespace pixi_install::lockfile {

using base::ErrorKind;
using base::Result;
using detail::Document;
using detail::RawRecord;
using detail::YNode;

namespace {

constexpr std::size_t kParallelMinBytes = 256 * 1024;

/// Where a large block-style lock can be cut: the text up to and including the
/// `packages:` line, the top-level items of that sequence, and what follows.
struct Split {
    std::size_t head_end = 0;
    std::vector<std::size_t> item_starts;  // offsets of column-0 `- ` lines
    std::size_t seq_end = 0;               // where the tail begins
};

bool starts_line_with(std::string_view text, std::size_t pos, std::string_view what) {
    return text.substr(pos, what.size()) == what;
}

bool is_packages_key_line(std::string_view line) {
    for (std::string_view key : {std::string_view("packages:"), std::string_view("package:")}) {
        if (!line.starts_with(key)) continue;
        std::string_view rest = line.substr(key.size());
        while (!rest.empty() && (rest.front() == ' ' || rest.back() == '\r' || rest.back() == '\n')) {
            if (rest.front() == ' ') rest.remove_prefix(1);
            else rest.remove_suffix(1);
        }
        return rest.empty() || rest.front() == '#';
    }
    return false;
}

/// Finds the cut points, or nullopt when the text is not in the plain shape
/// pixi writes (then it is parsed in one piece).
std::optional<Split> find_split(std::string_view text) {
    if (text.size() < kParallelMinBytes) return std::nullopt;
    Split s;
    bool in_seq = false, after_seq = false;
    for (std::size_t pos = 0; pos < text.size();) {
        std::size_t nl = text.find('\n', pos);
        std::size_t next = nl == std::string_view::npos ? text.size() : nl + 1;
        std::string_view line = text.substr(pos, next - pos);
        char c = line.empty() ? '\n' : line[0];
        if (c == '%' || starts_line_with(text, pos, "---") || starts_line_with(text, pos, "...") || c == '\t')
            return std::nullopt;
        bool structural = !(c == ' ' || c == '#' || c == '\n' || c == '\r');
        if (structural && is_packages_key_line(line)) {
            if (in_seq || after_seq || s.head_end) return std::nullopt;
            s.head_end = next;
            in_seq = true;
        } else if (in_seq && structural) {
            if (c == '-' && (line.size() == 1 || line[1] == ' ' || line[1] == '\n' || line[1] == '\r')) {
                s.item_starts.push_back(pos);
            } else {
                in_seq = false;
                after_seq = true;
                s.seq_end = pos;
            }
        }
        pos = next;
    }
    if (in_seq) s.seq_end = text.size();
    if (s.item_starts.size() < 64) return std::nullopt;
    return s;
}

detail::ItemSink record_sink(std::string_view origin, std::vector<RawRecord>& out) {
    return [origin, &out](YNode&& item) -> Result<void> {
        PI_TRY(RawRecord r, detail::to_raw_record(item, origin));
        out.push_back(std::move(r));
        return {};
    };
}

Result<Document> parse_sequential(std::string_view text, std::string_view origin) {
    Document doc;
    PI_TRY(doc.top, detail::parse_yaml(text, {origin, 0, false}, record_sink(origin, doc.records)));
    return doc;
}

/// Parses the pieces of a split text concurrently; nullopt when any piece fails
/// (the caller then parses sequentially to report the first error in order).
std::optional<Document> parse_parallel(std::string_view text, std::string_view origin, const Split& s) {
    std::size_t threads = std::max<std::size_t>(2, base::available_cpus());
    std::size_t pieces = std::min(s.item_starts.size(), threads * 2);
    std::vector<std::size_t> bounds;  // offsets; piece i is [bounds[i], bounds[i+1])
    std::size_t seq_begin = s.item_starts.front();
    std::size_t target = (s.seq_end - seq_begin) / pieces + 1;
    bounds.push_back(seq_begin);
    for (std::size_t off : s.item_starts)
        if (off >= bounds.back() + target) bounds.push_back(off);
    bounds.push_back(s.seq_end);
    std::size_t n = bounds.size() - 1;

    std::vector<int> lines(n + 1);  // line offset of bounds[i]; lines[n] of the tail
    {
        std::size_t at = 0;
        int count = 0;
        for (std::size_t i = 0; i <= n; ++i) {
            std::size_t off = i < n ? bounds[i] : s.seq_end;
            count += static_cast<int>(std::count(text.begin() + static_cast<std::ptrdiff_t>(at),
                                                 text.begin() + static_cast<std::ptrdiff_t>(off), '\n'));
            at = off;
            lines[i] = count;
        }
    }
    std::vector<std::optional<Result<YNode>>> results(n + 2);
    std::vector<std::vector<RawRecord>> records(n);
    auto no_items = [](YNode&&) -> Result<void> { return {}; };
    base::ThreadPool pool(std::min(threads, n + 2));
    pool.parallel_for(n + 2, [&](std::size_t i) {
        if (i == n) {
            results[i] = detail::parse_yaml(text.substr(0, s.head_end), {origin, 0, false}, no_items);
        } else if (i == n + 1) {
            std::string_view tail = text.substr(s.seq_end);
            if (tail.find_first_not_of(" \t\r\n") == std::string_view::npos) return;
            results[i] = detail::parse_yaml(tail, {origin, lines[n], false}, no_items);
        } else {
            std::string_view piece = text.substr(bounds[i], bounds[i + 1] - bounds[i]);
            results[i] = detail::parse_yaml(piece, {origin, lines[i], true},
                                            record_sink(origin, records[i]));
        }
    });
    for (auto& r : results)
        if (r && !r->ok()) return std::nullopt;
    Document doc;
    doc.top = std::move(**results[n]);
    if (!doc.top.is_map()) return std::nullopt;
    if (results[n + 1]) {
        YNode tail = std::move(**results[n + 1]);
        if (!tail.is_map()) return std::nullopt;
        for (std::size_t i = 0; i < tail.keys.size(); ++i) {
            if (doc.top.find(tail.keys[i])) return std::nullopt;
            doc.top.keys.push_back(std::move(tail.keys[i]));
            doc.top.items.push_back(std::move(tail.items[i]));
        }
    }
    std::size_t total = 0;
    for (auto& r : records) total += r.size();
    doc.records.reserve(total);
    for (auto& r : records) std::move(r.begin(), r.end(), std::back_inserter(doc.records));
    return doc;
}

Result<int> read_version(const YNode& top, std::string_view origin) {
    const YNode* v = top.find("version");
    if (!v) return detail::yaml_error(origin, 0, 0, "missing `version` field (is this a pixi.lock?)");
    const std::string& s = v->value;
    bool digits = v->is_scalar() && v->plain && !s.empty() && s.size() < 10 &&
                  std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    int n = digits ? std::stoi(s) : 0;
    if (n == 0) return detail::node_error(origin, *v, "`version` must be a positive integer, got `" + s + "`");
    if (n > kMaxVersion)
        return detail::node_error(origin, *v,
                                  "pixi.lock format version " + std::to_string(n) +
                                      " is newer than this pixi-install supports (1–" + std::to_string(kMaxVersion) +
                                      "); upgrade pixi-install");
    return n;
}

}  // namespace

Result<LockFile> parse_lockfile(std::string_view text, std::string_view origin,
                                const std::filesystem::path& base_dir) {
    std::optional<Document> parsed;
    if (auto split = find_split(text)) parsed = parse_parallel(text, origin, *split);
    if (!parsed) {
        PI_TRY(Document d, parse_sequential(text, origin));
        parsed = std::move(d);
    }
    Document& doc = *parsed;
    if (!doc.top.is_map())
        return detail::node_error(origin, doc.top, "not a pixi.lock: the top level is not a mapping");
    PI_TRY(int version, read_version(doc.top, origin));

    const char* list_key = version <= 3 ? "package" : "packages";
    const YNode* list = doc.top.find(list_key);
    if (!list) return detail::yaml_error(origin, 0, 0, std::string("missing `") + list_key + "`");
    if (!list->is_null() && !list->is_seq())
        return detail::node_error(origin, *list, std::string("`") + list_key + "` must be a list");

    LockFile lock;
    lock.version = version;
    lock.base_dir = base_dir;
    detail::Context cx{origin, base_dir, version};
    if (version <= 3) PI_TRY_VOID(detail::read_v1(cx, doc, lock));
    else if (version <= 5) PI_TRY_VOID(detail::read_v4(cx, doc, lock));
    else if (version == 6) PI_TRY_VOID(detail::read_v6(cx, doc, lock));
    else PI_TRY_VOID(detail::read_v7(cx, doc, lock));
    PI_TRY_VOID(detail::check_environments(cx, doc, lock));
    return lock;
}

Result<LockFile> load_lockfile(const std::filesystem::path& path) {
    std::error_code ec;
    std::filesystem::path file = std::filesystem::is_directory(path, ec) ? path / "pixi.lock" : path;
    auto text = base::read_file(file);
    if (!text.ok()) {
        base::Error e = std::move(text).error();
        e.kind = ErrorKind::lockfile;
        return std::move(e).with_context("while reading the lock file " + file.string());
    }
    std::filesystem::path base_dir = file.parent_path();
    if (base_dir.empty()) base_dir = ".";
    auto abs = std::filesystem::absolute(base_dir, ec);
    if (!ec) base_dir = abs.lexically_normal();
    PI_TRY(LockFile lock, parse_lockfile(*text, file.string(), base_dir));
    lock.path = file;
    return lock;
}

}  // namespace pixi_install::lockfile
