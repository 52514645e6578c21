#include "pixi_install/prefix/bytecode.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <mutex>
#include <set>
#include <unordered_set>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/strings.hpp"
#include "pixi_install/base/thread_pool.hpp"
#include "pixi_install/prefix/conda_meta.hpp"
#include "pixi_install/prefix/wheel.hpp"
#include "pixi_install/prefix/wheel_files.hpp"

#include "file_ops.hpp"

namespace pixi_install::prefix {

namespace fs = std::filesystem;
using base::ErrorKind;
using base::Result;

namespace {

/// Files per interpreter run. Fixed (not derived from the number of cores), so the
/// same files are compiled together in every run on every machine.
constexpr std::size_t kChunk = 256;

// Reads "source\0cfile\0" pairs from argv[1]; compiles each; prints the sources that fail.
constexpr const char* kDriver =
    "import sys, py_compile\n"
    "mode = (py_compile.PycInvalidationMode.CHECKED_HASH if sys.argv[2] == 'checked-hash'\n"
    "        else py_compile.PycInvalidationMode.TIMESTAMP)\n"
    "with open(sys.argv[1], 'rb') as f:\n"
    "    items = f.read().split(b'\\0')\n"
    "for i in range(0, len(items) - 1, 2):\n"
    "    src, dst = (x.decode('utf-8', 'surrogateescape') for x in items[i:i + 2])\n"
    "    try:\n"
    "        py_compile.compile(src, cfile=dst, dfile=src, doraise=True, invalidation_mode=mode)\n"
    "    except Exception:\n"
    "        sys.stdout.write(src + '\\n')\n";

bool ends_with(std::string_view s, std::string_view p) {
    return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

struct Run {
    int exit_code = 0;
    std::string output;
};

/// Runs the interpreter with `args`, stdout and stderr into one captured string. Callers
/// pass -I -S: isolated (no PYTHON* variables, no user site, neither the working
/// directory nor the script's on sys.path) and without the site module, so no `.pth`
/// file of the environment runs code at install time; py_compile needs neither.
Result<Run> run_python(const fs::path& exe, const std::vector<std::string>& args, const BytecodeOptions& o,
                       const fs::path& cwd) {
    std::vector<std::string> envs;
    for (const auto& e : o.env)
        if (e.rfind("PYTHON", 0) != 0) envs.push_back(e);
    envs.push_back("PYTHONHASHSEED=0");
    std::vector<std::string> argv{exe.string()};
    for (const auto& a : args) argv.push_back(a);
    PI_TRY(detail::ProcessOutcome p,
           detail::run_captured(argv, envs, cwd, "the environment's python (needed by --compile-bytecode)"));
    return Run{p.exit_code, std::move(p.output)};
}

/// The sources to compile and where each one's .pyc is recorded.
struct Source {
    std::string path;         ///< prefix-relative .py
    std::string pyc;          ///< prefix-relative .pyc
    std::size_t owner = 0;    ///< index into conda records, or wheels (+ offset)
};

struct Compiled {
    std::string sha256_raw;
    std::uint64_t size = 0;
};

}  // namespace

std::string pyc_path(const std::string& source, const std::string& tag) {
    auto slash = source.rfind('/');
    std::string dir = slash == std::string::npos ? std::string() : source.substr(0, slash + 1);
    std::string file = slash == std::string::npos ? source : source.substr(slash + 1);
    if (ends_with(file, ".py")) file.resize(file.size() - 3);
    return dir + "__pycache__/" + file + "." + tag + ".pyc";
}

Result<std::string> python_cache_tag(const fs::path& prefix, const spec::PythonInfo& python,
                                     const BytecodeOptions& o) {
    const fs::path exe = prefix / python.interpreter;
    std::error_code ec;
    if (!fs::exists(exe, ec))
        return base::fail(ErrorKind::failure, "--compile-bytecode needs the environment's interpreter, but " +
                                                  exe.string() + " does not exist");
    PI_TRY(Run r, run_python(exe, {"-I", "-S", "-B", "-c", "import sys; print(sys.implementation.cache_tag or '')"}, o,
                             prefix));
    std::string tag(base::trim(r.output));
    if (r.exit_code != 0 || tag.empty() || tag.find_first_of("/ \n") != std::string::npos)
        return base::fail(ErrorKind::failure, "--compile-bytecode: the environment's interpreter " + exe.string() +
                                                  " did not run (exit " + std::to_string(r.exit_code) +
                                                  "): " + std::string(base::trim(r.output)));
    return tag;
}

Result<BytecodeReport> compile_environment(const fs::path& prefix, const spec::PythonInfo& python,
                                           const BytecodeOptions& o, base::ThreadPool& pool) {
    BytecodeReport report;
    const std::string site = python.site_packages + "/";
    PI_TRY(auto records, read_prefix_records(prefix, ReadDepth::full, &pool));
    PI_TRY(auto dists, list_installed_dists(prefix, python));

    // What needs compiling: .py files below site-packages without a recorded .pyc.
    std::string tag;
    auto need_tag = [&]() -> Result<void> {
        if (!tag.empty()) return {};
        PI_TRY(std::string t, python_cache_tag(prefix, python, o));
        tag = std::move(t);
        return {};
    };
    std::vector<Source> sources;
    std::unordered_set<std::string> taken;
    auto is_file = [&](const std::string& rel) {
        struct stat st {};
        return ::lstat((prefix / rel).c_str(), &st) == 0 && S_ISREG(st.st_mode);
    };
    std::vector<std::size_t> conda_owners;
    for (std::size_t i = 0; i < records.size(); ++i) {
        if (records[i].package.noarch != "python") continue;
        std::unordered_set<std::string> have;
        for (const auto& p : records[i].paths) have.insert(p.path);
        for (const auto& p : records[i].paths) {
            if (p.type != PathType::hardlink || !ends_with(p.path, ".py") || p.path.rfind(site, 0) != 0) continue;
            PI_TRY_VOID(need_tag());
            std::string pyc = pyc_path(p.path, tag);
            if (have.count(pyc) || !taken.insert(p.path).second || !is_file(p.path)) continue;
            sources.push_back({p.path, pyc, i});
        }
    }
    struct WheelRecord {
        fs::path file;
        std::string site_rel;  ///< the dist-info's parent, prefix-relative
        std::vector<RecordRow> rows;
    };
    std::vector<WheelRecord> wheels;
    for (const auto& d : dists) {
        if (d.installer != kWheelInstaller) continue;
        WheelRecord w;
        w.file = d.dist_info / "RECORD";
        w.site_rel = d.dist_info.parent_path().lexically_relative(prefix).generic_string();
        PI_TRY(std::string text, base::read_file(w.file));
        auto rows = parse_record(text);
        if (!rows.ok()) return std::move(rows).error().with_context("while reading " + w.file.string());
        w.rows = std::move(*rows);
        std::unordered_set<std::string> have;
        for (const auto& r : w.rows) have.insert(r.path);
        const std::size_t owner = records.size() + wheels.size();
        for (const auto& r : w.rows) {
            if (!ends_with(r.path, ".py") || r.path.rfind("../", 0) == 0 || r.path.front() == '/') continue;
            std::string rel = w.site_rel + "/" + r.path;
            PI_TRY_VOID(need_tag());
            std::string pyc_in_record = pyc_path(r.path, tag);
            if (have.count(pyc_in_record) || !taken.insert(rel).second || !is_file(rel)) continue;
            sources.push_back({rel, w.site_rel + "/" + pyc_in_record, owner});
        }
        wheels.push_back(std::move(w));
    }
    if (sources.empty()) return report;
    std::sort(sources.begin(), sources.end(), [](const Source& a, const Source& b) { return a.path < b.path; });

    // Compile in fixed chunks, one interpreter per chunk, chunks in parallel.
    const fs::path exe = prefix / python.interpreter;
    PI_TRY(base::TempDir tmp, base::TempDir::create());
    const std::size_t n_chunks = (sources.size() + kChunk - 1) / kChunk;
    std::mutex mu;
    std::vector<base::Error> errors;
    std::set<std::string> failed;
    pool.parallel_for(n_chunks, [&](std::size_t c) {
        if (o.cancel && o.cancel->load()) return;
        std::string list;
        for (std::size_t i = c * kChunk; i < std::min(sources.size(), (c + 1) * kChunk); ++i) {
            list += (prefix / sources[i].path).string();
            list += '\0';
            list += (prefix / sources[i].pyc).string();
            list += '\0';
        }
        fs::path list_file = tmp.path() / ("chunk-" + std::to_string(c));
        auto written = base::write_file_atomic(list_file, list);
        Result<Run> done = written.ok() ? run_python(exe, {"-I", "-S", "-B", "-c", kDriver, list_file.string(),
                                                           o.checked_hash ? "checked-hash" : "timestamp"},
                                                     o, prefix)
                                        : Result<Run>(std::move(written).error());
        std::lock_guard lk(mu);
        if (!done.ok()) {
            errors.push_back(std::move(done).error());
            return;
        }
        if (done->exit_code != 0) {
            errors.push_back(base::fail(ErrorKind::failure, "--compile-bytecode: " + exe.string() + " failed (exit " +
                                                                std::to_string(done->exit_code) + "): " +
                                                                std::string(base::trim(done->output))));
            return;
        }
        std::size_t pos = 0;
        const std::string root = prefix.string() + "/";
        while (pos < done->output.size()) {
            auto nl = done->output.find('\n', pos);
            std::string line = done->output.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
            pos = nl == std::string::npos ? done->output.size() : nl + 1;
            if (line.rfind(root, 0) == 0) failed.insert(line.substr(root.size()));
        }
    });
    if (o.cancel && o.cancel->load()) return base::fail(ErrorKind::interrupted, "interrupted while compiling bytecode");
    if (!errors.empty()) return errors.front();

    // Record each .pyc with its package.
    std::map<std::size_t, std::vector<std::pair<const Source*, Compiled>>> by_owner;
    for (const auto& s : sources) {
        if (failed.count(s.path)) continue;
        auto data = base::read_file(prefix / s.pyc);
        if (!data.ok()) {
            failed.insert(s.path);
            continue;
        }
        base::Hasher h(base::HashAlgo::sha256);
        h.update(*data);
        by_owner[s.owner].push_back({&s, Compiled{h.finish_raw(), data->size()}});
        ++report.compiled;
    }
    for (auto& [owner, pycs] : by_owner) {
        if (owner < records.size()) {
            PrefixRecord& r = records[owner];
            for (const auto& [s, c] : pycs) {
                PrefixPath p;
                p.path = s->pyc;
                p.type = PathType::pyc_file;
                p.sha256 = base::to_hex(c.sha256_raw);
                p.size = c.size;
                r.paths.push_back(std::move(p));
            }
            std::sort(r.paths.begin(), r.paths.end(),
                      [](const PrefixPath& a, const PrefixPath& b) { return a.path < b.path; });
            r.files.clear();
            for (const auto& p : r.paths) r.files.push_back(p.path);
            PI_TRY_VOID(write_prefix_record(prefix, r));
        } else {
            WheelRecord& w = wheels[owner - records.size()];
            for (const auto& [s, c] : pycs)
                w.rows.push_back({s->pyc.substr(w.site_rel.size() + 1), record_hash(c.sha256_raw),
                                  std::to_string(c.size)});
            PI_TRY_VOID(base::write_file_atomic(w.file, format_record(w.rows)));
        }
    }
    report.failed.assign(failed.begin(), failed.end());
    return report;
}

}  // namespace pixi_install::prefix
