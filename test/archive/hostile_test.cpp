// Hostile archives from fixtures/archives/make_evil.py: each must be refused with an
// integrity error, without a crash and without a byte written outside the destination.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "archive_fixtures.hpp"
#include "pixi_install/archive/extract.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/thread_pool.hpp"

namespace fs = std::filesystem;
using namespace pixi_install;

namespace {

const char* const kAbsDir = "/tmp/pixi-install-evil-abs";  // used by the absolute-path cases

std::vector<fs::path> evil_cases() {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(test::generated_archives()))
        if (e.path().filename().string().rfind("evil_", 0) == 0) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

base::Result<archive::ExtractStats> extract_any(const fs::path& a, const fs::path& dest,
                                                const archive::ExtractOptions& options) {
    auto fmt = archive::format_from_name(a.filename().string());
    if (fmt && *fmt == archive::Format::wheel) return archive::extract_zip(a, dest, options);
    return archive::extract_conda_package(a, dest, options);
}

}  // namespace

TEST_CASE("every hostile archive is refused with an integrity error and nothing escapes") {
    REQUIRE_MESSAGE(!test::generated_archives().empty(), "make_evil.py failed (python3 and zstd needed)");
    auto cases = evil_cases();
    REQUIRE(cases.size() >= 30);
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    base::ThreadPool pool(4);
    // By the reading thread alone, and with workers writing the small files, called from
    // outside the pool and from one of its workers (as an install extracts: the reading
    // thread is one of the workers). The same refusal every way.
    for (int way = 0; way < 3; ++way) {
        base::ThreadPool* helpers = way == 0 ? nullptr : &pool;
        for (const auto& a : cases) {
            const std::string name = a.filename().string();
            CAPTURE(name);
            CAPTURE(way);
            fs::path box = tmp->path() / (name + "." + std::to_string(way));
            fs::create_directories(box / "outside");
            archive::ExtractOptions options;
            options.max_unpacked_bytes = 1 << 20;  // the bombs unpack to 32 MiB
            options.helpers = helpers;
            std::optional<base::Result<archive::ExtractStats>> result;
            if (way == 2) {
                pool.submit([&] { result = extract_any(a, box / "dest", options); });
                pool.wait_idle();
            } else {
                result = extract_any(a, box / "dest", options);
            }
            REQUIRE(result.has_value());
            auto& r = *result;
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().kind == base::ErrorKind::integrity);
            CHECK(r.error().message.find(name) != std::string::npos);
            CHECK(test::count_entries(box / "outside") == 0);
            for (const auto& e : fs::directory_iterator(box))  // dest and outside, nothing else
                CHECK((e.path().filename() == "dest" || e.path().filename() == "outside"));
            CHECK_FALSE(fs::exists(fs::symlink_status(kAbsDir)));
            CHECK_FALSE(fs::exists(fs::symlink_status("/etc/x")));
            // Whatever was written stays below dest and holds no device or FIFO.
            for (const auto& [path, line] : test::snapshot(box / "dest"))
                CHECK(line.find(" other") == std::string::npos);
        }
    }
}

TEST_CASE("a decompression bomb stops near the limit instead of filling the disk") {
    REQUIRE(!test::generated_archives().empty());
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    for (const char* name : {"evil_bomb.tar.bz2", "evil_bomb.conda", "evil_bomb.whl"}) {
        CAPTURE(name);
        fs::path dest = tmp->path() / name;
        archive::ExtractOptions options;
        options.max_unpacked_bytes = 1 << 20;
        auto r = extract_any(test::generated_archives() / name, dest, options);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == base::ErrorKind::integrity);
        CHECK(r.error().message.find("limit") != std::string::npos);
        std::uintmax_t on_disk = 0;
        for (const auto& e : fs::recursive_directory_iterator(dest))
            if (e.is_regular_file()) on_disk += e.file_size();
        CHECK(on_disk <= (2u << 20));
        // Without a limit the same archive is a valid (if silly) package.
        auto unlimited = extract_any(test::generated_archives() / name, tmp->path() / (std::string(name) + ".ok"), {});
        CHECK(unlimited.ok());
    }
}

TEST_CASE("the refusal names the archive and the offending entry") {
    REQUIRE(!test::generated_archives().empty());
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    base::ThreadPool pool(4);
    struct Expect {
        const char* file;
        const char* needle;
    };
    for (auto expect : {Expect{"evil_dotdot.tar.bz2", "'../outside/evil.txt'"},
                                Expect{"evil_absolute.whl", "'/etc/x'"},
                                Expect{"evil_symlink_then_file.tar.bz2", "'escape/evil.txt'"},
                                Expect{"evil_hardlink_absolute.tar.bz2", "/etc/passwd"},
                                Expect{"evil_chardev.tar.bz2", "device"},
                                Expect{"evil_fifo.tar.bz2", "FIFO"},
                                Expect{"evil_overlap.whl", "overlap"},
                                Expect{"evil_not_zstd_plain.conda", "zstd"},
                                Expect{"evil_not_bzip2.tar.bz2", "bzip2"},
                                Expect{"evil_truncated.conda", "truncated"},
                                Expect{"evil_no_index.tar.bz2", "info/index.json"},
                                Expect{"evil_file_then_dir.tar.bz2", "is a directory where the archive put a file"},
                                Expect{"evil_file_then_child.tar.bz2", "'lib/a/b' needs a directory where the archive put a file"},
                                Expect{"evil_file_then_child.conda", "'lib/a/b/c' needs a directory"}}) {
        const std::string file = expect.file;
        const char* needle = expect.needle;
        CAPTURE(file);
        auto r = extract_any(test::generated_archives() / file, tmp->path() / file, {});
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find(needle) != std::string::npos);
        archive::ExtractOptions helped;
        helped.helpers = &pool;
        auto h = extract_any(test::generated_archives() / file, tmp->path() / (file + ".helped"), helped);
        REQUIRE_FALSE(h.ok());
        CHECK(h.error().message.find(needle) != std::string::npos);
    }
}
