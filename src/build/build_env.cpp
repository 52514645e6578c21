// Build dependencies: chosen from local wheel directories (find-links), newest
// first, following each wheel's Requires-Dist; and the child processes builds run.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "build_internal.hpp"
#include "pixi_install/archive/zip_reader.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/process.hpp"
#include "pixi_install/base/strings.hpp"
#include "pixi_install/spec/pep440.hpp"
#include "pixi_install/spec/wheel_name.hpp"

namespace pixi_install::build {

namespace fs = std::filesystem;
using base::ErrorKind;
using base::Result;

namespace {

struct Candidate {
    spec::WheelName name;
    spec::pep440::Version version;
    fs::path path;
    std::size_t tag_priority = 0;
};

/// Every usable wheel of the directories, by normalized name.
Result<std::map<std::string, std::vector<Candidate>>> scan(const std::vector<fs::path>& dirs,
                                                           const spec::TagSet& tags) {
    std::map<std::string, std::vector<Candidate>> out;
    for (const auto& d : dirs) {
        std::error_code ec;
        fs::directory_iterator it(d, ec);
        if (ec) return base::fail_errno("cannot read the wheel directory", d.string(), ec.value());
        for (const auto& e : it) {
            const std::string file = e.path().filename().string();
            if (file.size() < 5 || file.compare(file.size() - 4, 4, ".whl") != 0) continue;
            std::error_code sec;
            if (!e.is_regular_file(sec)) continue;
            auto w = spec::WheelName::parse(file);
            if (!w.ok()) continue;
            auto prio = tags.compatible(*w);
            if (!prio) continue;
            auto v = spec::pep440::Version::parse(w->version);
            if (!v.ok()) continue;
            out[w->normalized_name()].push_back({*w, *v, e.path(), *prio});
        }
    }
    for (auto& [n, list] : out)
        std::stable_sort(list.begin(), list.end(), [](const Candidate& a, const Candidate& b) {
            int c = a.version.compare(b.version);
            if (c != 0) return c > 0;
            return a.tag_priority < b.tag_priority;
        });
    return out;
}

/// The Requires-Dist lines of a wheel's METADATA.
Result<std::vector<std::string>> requires_dist(const fs::path& wheel, const spec::WheelName& name) {
    PI_TRY(auto zip, archive::ZipReader::open(wheel));
    std::optional<std::size_t> meta;
    for (std::size_t i = 0; i < zip.entries().size(); ++i) {
        const std::string& n = zip.entries()[i].name;
        auto slash = n.find('/');
        if (slash == std::string::npos || n.substr(slash) != "/METADATA") continue;
        const std::string dir = n.substr(0, slash);
        if (dir.size() < 11 || dir.compare(dir.size() - 10, 10, ".dist-info") != 0) continue;
        if (spec::normalize_pypi_name(dir.substr(0, dir.find('-'))) != name.normalized_name()) continue;
        meta = i;
        break;
    }
    if (!meta) return base::fail(ErrorKind::integrity, "the wheel " + wheel.string() + " has no METADATA");
    PI_TRY(std::string text, zip.read(*meta));
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        pos = nl == std::string::npos ? text.size() : nl + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) break;  // the body starts
        constexpr std::string_view key = "Requires-Dist:";
        if (line.compare(0, key.size(), key) == 0) out.push_back(std::string(base::trim(line.substr(key.size()))));
    }
    return out;
}

/// The newest wheel the indexes list for `req` (in index order: the first index that has
/// one wins, as uv's first-index strategy), downloaded and verified.
Result<std::optional<ChosenWheel>> choose_from_index(const spec::pep508::Requirement& req, const IndexAccess& index,
                                                     const spec::TagSet& tags,
                                                     const spec::pep508::MarkerEnvironment& markers) {
    auto py = spec::pep440::Version::parse(markers.python_full_version);
    for (const auto& base : index.indexes) {
        std::string url = base;
        if (url.empty() || url.back() != '/') url += '/';
        url += req.normalized_name + "/";
        PI_TRY(auto page, index.get_page(url));
        // Only "not found" moves on to the next index; the first index that has the project
        // is the only one asked for it (as uv's first-index rule: no dependency confusion).
        if (page.status == 404 || page.status == 410) continue;
        PI_TRY(auto files, parse_index_page(page));
        std::optional<Candidate> best;
        IndexFile best_file;
        for (bool pre : {false, true}) {
        if (best) break;
        for (const auto& f : files) {
            if (f.yanked || f.sha256.empty()) continue;  // only what can be pinned
            auto w = spec::WheelName::parse(f.file_name);
            if (!w.ok() || w->normalized_name() != req.normalized_name) continue;
            auto prio = tags.compatible(*w);
            if (!prio) continue;
            auto v = spec::pep440::Version::parse(w->version);
            if (!v.ok() || !req.specifiers.contains(*v) || v->is_prerelease() != pre) continue;
            if (f.requires_python && py.ok()) {
                auto rp = spec::pep440::Specifiers::parse(*f.requires_python);
                if (rp.ok() && !rp->contains(*py)) continue;
            }
            int c = best ? v->compare(best->version) : 1;
            if (!best || c > 0 || (c == 0 && *prio < best->tag_priority)) {
                best = Candidate{*w, *v, {}, *prio};
                best_file = f;
            }
        }
        }
        if (!best) return std::optional<ChosenWheel>();  // the project's index has no wheel for it
        PI_TRY(auto path, index.download(best_file));
        ChosenWheel c;
        c.path = path;
        c.dep = {best->name.distribution, best->name.version, best->name.file_name, best_file.url, best_file.sha256};
        return std::optional<ChosenWheel>(std::move(c));
    }
    return std::optional<ChosenWheel>();
}

}  // namespace

Result<void> choose_build_set(const std::vector<std::string>& requirements, const std::vector<fs::path>& find_links,
                              const IndexAccess* index, const spec::TagSet& tags,
                              const spec::pep508::MarkerEnvironment& markers, const std::string& for_what,
                              std::vector<ChosenWheel>& chosen) {
    PI_TRY(auto local, scan(find_links, tags));
    struct Pending {
        std::string text;
        std::vector<std::string> extras;  // of the requirement that brought it
        std::string by;
    };
    std::vector<Pending> queue;
    for (const auto& r : requirements) queue.push_back({r, {}, for_what});
    std::map<std::string, std::vector<std::string>> wanted_by;  // name -> requirements on it
    std::map<std::string, std::set<std::string>> extras_of;     // name -> extras asked for so far
    for (std::size_t qi = 0; qi < queue.size(); ++qi) {
        const Pending p = queue[qi];
        auto req = spec::pep508::Requirement::parse(p.text);
        if (!req.ok())
            return base::fail(ErrorKind::build, "build requirement `" + base::printable(p.text) + "` of " + p.by +
                                                    " is not a valid requirement: " + req.error().message);
        if (!req->applies(markers, p.extras)) continue;
        if (req->url)
            return base::fail(ErrorKind::build, "build requirement `" + req->str() + "` of " + p.by +
                                                    " names a URL; build dependencies come from wheel directories");
        const std::string n = req->normalized_name;
        wanted_by[n].push_back(req->str() + " (by " + p.by + ")");
        auto have = std::find_if(chosen.begin(), chosen.end(),
                                 [&](const ChosenWheel& c) { return spec::normalize_pypi_name(c.dep.name) == n; });
        if (have != chosen.end()) {
            auto v = spec::pep440::Version::parse(have->dep.version);
            if (v.ok() && !req->specifiers.contains(*v)) {
                std::string all;
                for (const auto& w : wanted_by[n]) all += "\n  " + w;
                return base::fail(ErrorKind::build,
                                  "conflicting build requirements on " + n + ": " + have->dep.name + " " +
                                      have->dep.version + " was chosen, which does not meet `" + req->str() +
                                      "`; the requirements:" + all +
                                      "\n(build dependencies are chosen newest-first, not solved: put wheels that "
                                      "meet all of them in the wheel directory)");
            }
            // New extras of a chosen package bring their own requirements.
            std::vector<std::string> fresh;
            for (const auto& e : req->extras)
                if (!extras_of[n].count(e)) fresh.push_back(e);
            if (!fresh.empty()) {
                for (const auto& e : fresh) extras_of[n].insert(e);
                auto wn = spec::WheelName::parse(have->dep.file_name);
                if (wn.ok()) {
                    PI_TRY(auto deps, requires_dist(have->path, *wn));
                    for (auto& d : deps) queue.push_back({d, fresh, have->dep.name + " " + have->dep.version});
                }
            }
            continue;
        }
        for (const auto& e : req->extras) extras_of[n].insert(e);
        auto it = local.find(n);
        const Candidate* pick = nullptr;
        if (it != local.end())
            for (bool pre : {false, true}) {  // pre-releases only when no final release qualifies
                for (const auto& c : it->second) {
                    if (!req->specifiers.contains(c.version) || c.version.is_prerelease() != pre) continue;
                    pick = &c;
                    break;
                }
                if (pick) break;
            }
        std::optional<ChosenWheel> from_index;
        if (!pick && index && index->get_page) {
            auto got = choose_from_index(*req, *index, tags, markers);
            if (!got.ok()) {
                std::string dirs;
                for (const auto& d : find_links) dirs += (dirs.empty() ? "" : ", ") + d.string();
                return std::move(got).error().with_context(
                    "while looking on the indexes for the build requirement `" + req->str() + "` of " + p.by +
                    " (no wheel directory has one" + (dirs.empty() ? std::string() : ": " + dirs) + ")");
            }
            from_index = std::move(*got);
        }
        if (from_index) {
            PI_TRY(auto wn, spec::WheelName::parse(from_index->dep.file_name));
            PI_TRY(auto deps, requires_dist(from_index->path, wn));
            chosen.push_back(std::move(*from_index));
            for (auto& d : deps) queue.push_back({d, req->extras, wn.distribution + " " + wn.version});
            continue;
        }
        if (!pick) {
            std::string dirs;
            for (const auto& d : find_links) dirs += (dirs.empty() ? "" : ", ") + d.string();
            std::string idx;
            if (index)
                for (const auto& u : index->indexes) idx += (idx.empty() ? "" : ", ") + u;
            if (!idx.empty()) idx = ", nor on the indexes " + idx;
            return base::fail(ErrorKind::unavailable,
                              "no wheel for the build requirement `" + req->str() + "` of " + p.by +
                                  (find_links.empty() ? std::string(" (no wheel directory was given") + idx
                                                      : " in the wheel directories (" + dirs + idx) +
                                  "; add a wheel that meets it with --find-links DIR, list it under the lock's "
                                  "find-links, or build without isolation (no-build-isolation in pixi.toml)");
        }
        PI_TRY(auto sha, base::hash_file(pick->path, base::HashAlgo::sha256));
        ChosenWheel c;
        c.path = pick->path;
        c.dep = {pick->name.distribution, pick->name.version, pick->name.file_name, pick->path.string(), sha};
        PI_TRY(auto deps, requires_dist(pick->path, pick->name));
        chosen.push_back(std::move(c));
        for (auto& d : deps) queue.push_back({d, req->extras, pick->name.distribution + " " + pick->name.version});
    }
    return {};
}

Result<ProcessResult> run_logged(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                 const fs::path& cwd, const fs::path& log, const std::atomic<bool>* cancel) {
    PI_TRY(pid_t pid, base::spawn_child({argv, env, cwd, log, /*append=*/true, /*own_group=*/true}, ""));
    int status = 0;
    bool killed = false;
    auto kill_deadline = std::chrono::steady_clock::time_point::max();
    for (;;) {
        pid_t w = ::waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        if (w < 0 && errno != EINTR) return base::fail_errno("cannot wait for", argv.front(), errno);
        if (cancel && cancel->load() && !killed) {
            ::kill(-pid, SIGTERM);
            killed = true;
            kill_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        }
        if (killed && std::chrono::steady_clock::now() > kill_deadline) {
            ::kill(-pid, SIGKILL);
            kill_deadline = std::chrono::steady_clock::time_point::max();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // Whatever the backend started and left behind goes with it.
    ::kill(-pid, SIGKILL);
    if (killed) return base::fail(ErrorKind::interrupted, "interrupted while building");
    ProcessResult out;
    out.exit_code = base::exit_code_of(status);
    return out;
}

}  // namespace pixi_install::build
