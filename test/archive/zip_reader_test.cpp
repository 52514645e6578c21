#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "pixi_install/archive/extract.hpp"
#include "pixi_install/archive/zip_reader.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"

namespace fs = std::filesystem;
using namespace pixi_install;

namespace {

/// Writes a zip with Python's zipfile: members made on DOS (create_system 0) or
/// unix (3) with the given `external_attr >> 16`, stored or deflated.
void make_zip(const fs::path& out) {
    const std::string script = R"PY(
import sys, zipfile
def add(z, name, data, attr, system, method=zipfile.ZIP_DEFLATED):
    i = zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0))
    i.create_system = system
    i.external_attr = attr << 16
    i.compress_type = method
    z.writestr(i, data)
with zipfile.ZipFile(sys.argv[1], "w") as z:
    add(z, "bin/t1.exe", b"MZ" * 1000, 0o100777, 0)
    add(z, "bin/plain.txt", b"text\n", 0o100666, 0)
    add(z, "bin/notype", b"x", 0, 0)
    add(z, "pkg/suid.sh", b"#!/bin/sh\n", 0o104755, 3)
    add(z, "pkg/stored.py", b"print(1)\n" * 100, 0o100644, 3, zipfile.ZIP_STORED)
    add(z, "pkg/link", b"target.py", 0o120777, 3)
    add(z, "pkg/sub/", b"", 0o40755, 3)
)PY";
    const fs::path py = out.parent_path() / "make_zip.py";
    std::ofstream(py) << script;
    REQUIRE(std::system(("python3 '" + py.string() + "' '" + out.string() + "'").c_str()) == 0);
}

mode_t mode_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    return st.st_mode;
}

std::string slurp(const fs::path& p) {
    auto r = base::read_file(p);
    REQUIRE(r.ok());
    return *r;
}

}  // namespace

TEST_CASE("zip permission bits count whatever system made the zip") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const fs::path zip = tmp->path() / "dos.whl";
    make_zip(zip);

    auto r = archive::extract_zip(zip, tmp->path() / "x");
    REQUIRE(r.ok());
    CHECK((mode_of(tmp->path() / "x/bin/t1.exe") & 0111) == 0111);
    CHECK((mode_of(tmp->path() / "x/bin/plain.txt") & 0111) == 0);
    CHECK((mode_of(tmp->path() / "x/bin/notype") & 0777) == (0644 & ~[] { mode_t m = ::umask(0); ::umask(m); return m; }()));
    CHECK((mode_of(tmp->path() / "x/pkg/suid.sh") & (S_ISUID | S_ISGID)) == 0);
    CHECK((mode_of(tmp->path() / "x/pkg/suid.sh") & 0100) != 0);

    auto reader = archive::ZipReader::open(zip);
    REQUIRE(reader.ok());
    auto mode = [&](const char* name) {
        auto i = reader->find(name);
        REQUIRE(i.has_value());
        return reader->entries()[*i].mode;
    };
    CHECK(mode("bin/t1.exe") == 0777);
    CHECK(mode("bin/plain.txt") == 0666);
    CHECK(mode("bin/notype") == 0644);
    CHECK(mode("pkg/suid.sh") == 0755);
    CHECK((mode("pkg/link") & 0111) == 0);  // a link becomes a text file: never executable
    CHECK(reader->entries()[*reader->find("pkg/link")].type == archive::ZipEntryType::symlink);
    CHECK(reader->entries()[*reader->find("pkg/sub/")].type == archive::ZipEntryType::directory);
}

TEST_CASE("a zip member is read in place, hashed, and checked against its CRC") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const fs::path zip = tmp->path() / "a.zip";
    make_zip(zip);
    {
        auto reader = archive::ZipReader::open(zip);
        REQUIRE(reader.ok());
        auto exe = reader->read(*reader->find("bin/t1.exe"));
        REQUIRE(exe.ok());
        std::string want;
        for (int i = 0; i < 1000; ++i) want += "MZ";
        CHECK(*exe == want);
        std::string streamed;
        auto d = reader->stream(*reader->find("pkg/stored.py"), [&](const char* p, std::size_t n) -> base::Result<void> {
            streamed.append(p, n);
            return {};
        });
        REQUIRE(d.ok());
        CHECK(d->size == streamed.size());
        base::Hasher h(base::HashAlgo::sha256);
        h.update(streamed);
        CHECK(d->sha256 == h.finish_raw());
        CHECK(reader->total_size() >= streamed.size() + want.size());
    }
    // Flip one byte of the stored member's data: its CRC no longer matches.
    std::string bytes = slurp(zip);
    auto at = bytes.find("print(1)\nprint(1)");
    REQUIRE(at != std::string::npos);
    bytes[at] = 'P';
    REQUIRE(base::write_file_atomic(zip, bytes).ok());
    auto reader = archive::ZipReader::open(zip);
    REQUIRE(reader.ok());
    auto bad = reader->read(*reader->find("pkg/stored.py"));
    REQUIRE(!bad.ok());
    CHECK(bad.error().kind == base::ErrorKind::integrity);
    CHECK(bad.error().message.find("CRC") != std::string::npos);
}

TEST_CASE("extract_zip_members writes each chosen member to its place and replaces existing files") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const fs::path zip = tmp->path() / "a.zip";
    make_zip(zip);
    auto reader = archive::ZipReader::open(zip);
    REQUIRE(reader.ok());
    const fs::path root = tmp->path() / "root";
    REQUIRE(base::make_dirs(root / "scripts").ok());
    REQUIRE(base::write_file_atomic(root / "scripts/t1.exe", "old").ok());
    auto choose = [](const archive::ZipEntry& e) -> base::Result<std::optional<archive::MemberTarget>> {
        if (e.name == "bin/plain.txt") return std::optional<archive::MemberTarget>();  // skipped
        std::string dest = e.name.rfind("bin/", 0) == 0 ? "scripts/" + e.name.substr(4) : "lib/" + e.name;
        return std::optional<archive::MemberTarget>(archive::MemberTarget{dest, e.mode});
    };
    auto r = archive::extract_zip_members(*reader, root, choose);
    REQUIRE(r.ok());
    CHECK(r->size() == 5);  // t1.exe, notype, suid.sh, stored.py, link (the directory is skipped)
    CHECK(!fs::exists(root / "scripts/plain.txt"));
    CHECK(slurp(root / "scripts/t1.exe").size() == 2000);
    CHECK((mode_of(root / "scripts/t1.exe") & 0100) != 0);
    CHECK(slurp(root / "lib/pkg/link") == "target.py");
    CHECK(S_ISREG(mode_of(root / "lib/pkg/link")));
    for (const auto& w : *r) CHECK(w.replaced == (w.path == "scripts/t1.exe"));
    // No temporary sibling is left behind.
    std::size_t n = 0;
    for (auto& e : fs::directory_iterator(root / "scripts")) n += e.path().filename().string()[0] == '.';
    CHECK(n == 0);
}

TEST_CASE("extract_zip_members refuses unsafe targets before writing anything") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const fs::path zip = tmp->path() / "a.zip";
    make_zip(zip);
    auto reader = archive::ZipReader::open(zip);
    REQUIRE(reader.ok());
    const fs::path root = tmp->path() / "root";
    REQUIRE(base::make_dirs(root).ok());
    auto escape = [](const archive::ZipEntry& e) -> base::Result<std::optional<archive::MemberTarget>> {
        if (e.name == "pkg/stored.py") return std::optional<archive::MemberTarget>(archive::MemberTarget{"../out.py", 0644});
        return std::optional<archive::MemberTarget>(archive::MemberTarget{e.name, e.mode});
    };
    auto r = archive::extract_zip_members(*reader, root, escape);
    REQUIRE(!r.ok());
    CHECK(r.error().kind == base::ErrorKind::integrity);
    CHECK(fs::is_empty(root));
    CHECK(!fs::exists(tmp->path() / "out.py"));

    // A symlink below the root leading outside it is never written through.
    const fs::path outside = tmp->path() / "outside";
    REQUIRE(base::make_dirs(outside).ok());
    fs::create_directory_symlink(outside, root / "lib");
    auto via_link = [](const archive::ZipEntry& e) -> base::Result<std::optional<archive::MemberTarget>> {
        return std::optional<archive::MemberTarget>(archive::MemberTarget{"lib/" + e.name, e.mode});
    };
    auto r2 = archive::extract_zip_members(*reader, root, via_link);
    REQUIRE(!r2.ok());
    CHECK(r2.error().kind == base::ErrorKind::integrity);
    CHECK(fs::is_empty(outside));
}

TEST_CASE("FilePlacer replaces a symlink in the way instead of writing through it, and rolls back") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const fs::path root = tmp->path() / "root";
    REQUIRE(base::make_dirs(root / "d").ok());
    REQUIRE(base::write_file_atomic(tmp->path() / "victim", "keep").ok());
    fs::create_symlink(tmp->path() / "victim", root / "d/f");
    archive::FilePlacer placer(root);
    auto p = placer.place_content("d/f", "new", 0755);
    REQUIRE(p.ok());
    CHECK(p->replaced);
    CHECK(p->digest.size == 3);
    CHECK(slurp(tmp->path() / "victim") == "keep");
    CHECK(S_ISREG(mode_of(root / "d/f")));
    CHECK((mode_of(root / "d/f") & 0777) == 0755);
    auto fresh = placer.place_content("e/g/h.txt", "x", 0644);
    REQUIRE(fresh.ok());
    CHECK(!fresh->replaced);
    auto in_dir = placer.place_content("d", "x", 0644);
    CHECK(!in_dir.ok());  // a directory is in the way
    placer.roll_back();
    CHECK(!fs::exists(root / "e/g/h.txt"));
    CHECK(fs::exists(root / "d/f"));  // replaced files stay
}

TEST_CASE("deflated members, small (inflated whole) and large (streamed), are checked for size and damage") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    // good.zip, then for each member a copy whose central directory declares one byte
    // fewer / more than the data unpacks to, and one with a damaged deflate stream.
    const std::string script = R"PY(
import struct, sys, zipfile, os
out = sys.argv[1]
small = b"".join(b"line %d of a small module\n" % i for i in range(4000))
big = b"".join(b"row %08d of a member larger than the whole-member buffer\n" % i for i in range(300000))
with zipfile.ZipFile(os.path.join(out, "good.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("pkg/small.py", small)
    z.writestr("pkg/big.dat", big)
open(os.path.join(out, "small.txt"), "wb").write(small)
open(os.path.join(out, "big.txt"), "wb").write(big)
data = open(os.path.join(out, "good.zip"), "rb").read()
for name in ("pkg/small.py", "pkg/big.dat"):
    tag = name.split("/")[1].split(".")[0]
    # the central header of this member
    at = 0
    while True:
        at = data.find(b"PK\x01\x02", at)
        n = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46:at + 46 + n] == name.encode():
            break
        at += 4
    usize = struct.unpack_from("<I", data, at + 24)[0]
    for suffix, size in (("short", usize - 1), ("long", usize + 1), ("huge", 0x7FFF0000)):
        b = bytearray(data)
        struct.pack_into("<I", b, at + 24, size)
        open(os.path.join(out, "%s-%s.zip" % (tag, suffix)), "wb").write(b)
    local = struct.unpack_from("<I", data, at + 42)[0]
    start = local + 30 + struct.unpack_from("<H", data, local + 26)[0] + struct.unpack_from("<H", data, local + 28)[0]
    csize = struct.unpack_from("<I", data, at + 20)[0]
    b = bytearray(data)
    for k in range(start + csize // 2, start + csize // 2 + 16):
        b[k] ^= 0x5A
    open(os.path.join(out, "%s-damaged.zip" % tag), "wb").write(b)
)PY";
    const fs::path py = tmp->path() / "make.py";
    std::ofstream(py) << script;
    REQUIRE(std::system(("python3 '" + py.string() + "' '" + tmp->path().string() + "'").c_str()) == 0);

    for (const char* tag : {"small", "big"}) {
        CAPTURE(tag);
        const std::string member = std::string("pkg/") + tag + (std::string(tag) == "small" ? ".py" : ".dat");
        auto good = archive::ZipReader::open(tmp->path() / "good.zip");
        REQUIRE(good.ok());
        auto content = good->read(*good->find(member));
        REQUIRE(content.ok());
        CHECK(*content == slurp(tmp->path() / (std::string(tag) + ".txt")));
        if (std::string(tag) == "big") CHECK(content->size() > (16u << 20));

        // Into a file too (a large member is inflated straight into the file's mapping).
        const fs::path out = tmp->path() / (std::string(tag) + ".out");
        auto to_file = [&](const archive::ZipReader& z) {
            fs::remove(out);
            int fd = ::open(out.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            REQUIRE(fd >= 0);
            auto r = z.write_to_fd(*z.find(member), fd, out.string());
            ::close(fd);
            return r;
        };
        auto written = to_file(*good);
        REQUIRE(written.ok());
        CHECK(slurp(out) == *content);
        CHECK(written->size == content->size());
        base::Hasher h(base::HashAlgo::sha256);
        h.update(*content);
        CHECK(written->sha256 == h.finish_raw());

        auto errors_of = [&](const char* kind) {
            auto z = archive::ZipReader::open(tmp->path() / (std::string(tag) + "-" + kind + ".zip"));
            REQUIRE(z.ok());
            auto r = z->read(*z->find(member));
            auto f = to_file(*z);
            REQUIRE(!r.ok());
            REQUIRE(!f.ok());
            CHECK(r.error().kind == base::ErrorKind::integrity);
            CHECK(f.error().kind == base::ErrorKind::integrity);
            return std::vector<std::string>{r.error().message, f.error().message};
        };
        // Declared one byte short: the data unpacks to more than declared.
        for (const auto& m : errors_of("short")) CHECK(m.find("more bytes than declared") != std::string::npos);
        for (const auto& m : errors_of("long")) CHECK(m.find("fewer bytes than declared") != std::string::npos);
        // 2 GiB declared for a member of a few hundred KiB: refused before any space is reserved.
        for (const auto& m : errors_of("huge")) CHECK(m.find("declares more bytes than its data can hold") != std::string::npos);
        CHECK(fs::file_size(out) == 0);
        for (const auto& m : errors_of("damaged"))
            CHECK((m.find("corrupt deflate data") != std::string::npos || m.find("CRC") != std::string::npos ||
                   m.find("bytes than declared") != std::string::npos));
    }
}
