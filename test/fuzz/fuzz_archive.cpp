// libFuzzer target: the input is an archive file; it is extracted as a .conda and
// as a wheel when it looks like a zip, as a .tar.bz2 when it looks like bzip2, and
// all three ways otherwise; a zip is also read member by member with ZipReader (into
// memory and into a file, which must agree). Any outcome but a crash, leak or sanitizer report is fine;
// errors must be ordinary Result errors.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "pixi_install/archive/extract.hpp"
#include "pixi_install/archive/zip_reader.hpp"
#include "pixi_install/base/fs.hpp"

namespace fs = std::filesystem;
using namespace pixi_install;

namespace {

const fs::path& scratch() {
    static base::TempDir dir = [] {
        auto d = base::TempDir::create({}, "pi-fuzz-archive-");
        if (!d) std::abort();
        return std::move(*d);
    }();
    return dir.path();
}

bool write_input(const fs::path& path, const std::uint8_t* data, std::size_t size) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    bool ok = size == 0 || ::write(fd, data, size) == static_cast<ssize_t>(size);
    ::close(fd);
    return ok;
}

void run(const std::uint8_t* data, std::size_t size, const char* file_name, bool zip) {
    const fs::path input = scratch() / file_name;
    const fs::path dest = scratch() / "dest";
    if (!write_input(input, data, size)) std::abort();
    (void)base::remove_tree(dest);
    archive::ExtractOptions options;
    options.max_unpacked_bytes = 64u << 20;  // keep bombs from filling the disk
    auto r = zip ? archive::extract_zip(input, dest, options)
                 : archive::extract_conda_package(input, dest, options);
    if (!r && r.error().message.empty()) std::abort();  // every error must say something
    if (zip) {
        // The installer's own zip reader: every member read into memory and into a file.
        auto reader = archive::ZipReader::open(input);
        if (!reader && reader.error().message.empty()) std::abort();
        if (reader) {
            const fs::path out = scratch() / "member";
            for (std::size_t i = 0; i < reader->entries().size(); ++i) {
                if (reader->entries()[i].size > (64u << 20)) continue;
                auto content = reader->read(i);
                if (!content && content.error().message.empty()) std::abort();
                int fd = ::open(out.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0) std::abort();
                auto written = reader->write_to_fd(i, fd, out.string());
                ::close(fd);
                if (written.ok() != content.ok()) std::abort();  // both ways agree
                if (written && (written->size != content->size())) std::abort();
                ::unlink(out.c_str());
            }
        }
    }
    // Nothing may appear next to the destination.
    for (const auto& e : fs::directory_iterator(scratch())) {
        auto n = e.path().filename();
        if (n != "dest" && n != file_name) std::abort();
    }
    (void)base::remove_tree(dest);
    ::unlink(input.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const bool is_zip = size >= 2 && data[0] == 'P' && data[1] == 'K';
    const bool is_bz2 = size >= 3 && data[0] == 'B' && data[1] == 'Z' && data[2] == 'h';
    if (is_zip || !is_bz2) {
        run(data, size, "input-1.0-0.conda", false);
        run(data, size, "input-1.0-py3-none-any.whl", true);
    }
    if (is_bz2 || !is_zip) run(data, size, "input-1.0-0.tar.bz2", false);
    return 0;
}
