#include "tar.hpp"
#include "pixi_install/base/fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace pixi_install::fetch::tar {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kBlock = 512;

void put_octal(char* field, std::size_t width, std::uint64_t value) {
    // width-1 digits, zero-padded, then NUL.
    std::memset(field, '0', width - 1);
    field[width - 1] = '\0';
    for (std::size_t i = width - 1; i-- > 0 && value;) {
        field[i] = static_cast<char>('0' + (value & 7));
        value >>= 3;
    }
}

std::string pax_record(const std::string& key, const std::string& value) {
    // "<len> key=value\n" where len counts itself.
    std::string body = " " + key + "=" + value + "\n";
    std::size_t len = body.size() + 1;
    while (std::to_string(len).size() + body.size() != len) ++len;
    return std::to_string(len) + body;
}

std::uint64_t parse_octal(const char* f, std::size_t width) {
    std::uint64_t v = 0;
    std::size_t i = 0;
    while (i < width && (f[i] == ' ' || f[i] == '\0')) ++i;
    for (; i < width && f[i] >= '0' && f[i] <= '7'; ++i) v = (v << 3) | static_cast<std::uint64_t>(f[i] - '0');
    return v;
}

std::string field_str(const char* f, std::size_t width) { return std::string(f, strnlen(f, width)); }

}  // namespace

base::Result<void> Writer::write_all(const void* data, std::size_t n) {
    return base::write_all(fd_, {static_cast<const char*>(data), n}, path_);
}

base::Result<void> Writer::pad(std::uint64_t size) {
    static const char zeros[kBlock] = {0};
    std::size_t rem = static_cast<std::size_t>(size % kBlock);
    if (rem) return write_all(zeros, kBlock - rem);
    return {};
}

base::Result<void> Writer::header(const std::string& name, char type, std::uint64_t size, unsigned mode) {
    if (name.size() > 100) {
        std::string rec = pax_record("path", name);
        std::string short_name = "PaxHeaders/" + name.substr(name.size() - 80);
        PI_TRY_VOID(header(short_name, 'x', rec.size(), 0644));
        PI_TRY_VOID(write_all(rec.data(), rec.size()));
        PI_TRY_VOID(pad(rec.size()));
        return header(name.substr(0, 100), type, size, mode);
    }
    if (size >= (1ULL << 33))
        return base::fail(base::ErrorKind::failure, "file too large for the bundle's tar format: " + name);
    char h[kBlock] = {0};
    std::memcpy(h, name.data(), name.size());
    put_octal(h + 100, 8, mode);
    put_octal(h + 108, 8, 0);
    put_octal(h + 116, 8, 0);
    put_octal(h + 124, 12, size);
    put_octal(h + 136, 12, 0);
    std::memset(h + 148, ' ', 8);
    h[156] = type;
    std::memcpy(h + 257, "ustar", 6);
    std::memcpy(h + 263, "00", 2);
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    put_octal(h + 148, 7, sum);
    h[155] = ' ';
    return write_all(h, kBlock);
}

base::Result<void> Writer::add_directory(const std::string& name) {
    return header(name.back() == '/' ? name : name + "/", '5', 0, 0755);
}

base::Result<void> Writer::add_bytes(const std::string& name, const std::string& content) {
    PI_TRY_VOID(header(name, '0', content.size(), 0644));
    PI_TRY_VOID(write_all(content.data(), content.size()));
    return pad(content.size());
}

base::Result<void> Writer::add_file(const std::string& name, const fs::path& source) {
    int in = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) return base::fail_errno("cannot open", source.string(), errno);
    struct stat st {};
    if (::fstat(in, &st) != 0) {
        int err = errno;
        ::close(in);
        return base::fail_errno("cannot stat", source.string(), err);
    }
    auto size = static_cast<std::uint64_t>(st.st_size);
    auto r = header(name, '0', size, 0644);
    if (!r) {
        ::close(in);
        return r;
    }
    std::vector<char> buf(1 << 20);
    std::uint64_t left = size;
    while (left) {
        ssize_t n = ::read(in, buf.data(), static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size())));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int err = n < 0 ? errno : EIO;
            ::close(in);
            return base::fail_errno("cannot read (the file changed while packing?)", source.string(), err);
        }
        if (auto w = write_all(buf.data(), static_cast<std::size_t>(n)); !w) {
            ::close(in);
            return w;
        }
        left -= static_cast<std::uint64_t>(n);
    }
    ::close(in);
    return pad(size);
}

base::Result<void> Writer::finish() {
    static const char zeros[2 * kBlock] = {0};
    return write_all(zeros, sizeof zeros);
}

base::Result<std::map<std::string, std::pair<std::uint64_t, std::uint64_t>>> index(const fs::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return base::fail_errno("cannot open bundle", path.string(), errno);
    struct stat st {};
    ::fstat(fd, &st);
    auto file_size = static_cast<std::uint64_t>(st.st_size);
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> out;
    std::uint64_t pos = 0;
    std::string pax_path;
    bool have_pax_size = false;
    std::uint64_t pax_size = 0;
    auto corrupt = [&](const std::string& why) {
        ::close(fd);
        return base::fail(base::ErrorKind::integrity,
                          "bundle " + path.string() + " is not a valid tar (" + why + " at offset " +
                              std::to_string(pos) + "); pack it again");
    };
    for (;;) {
        char h[kBlock];
        ssize_t n = ::pread(fd, h, kBlock, static_cast<off_t>(pos));
        if (n != static_cast<ssize_t>(kBlock)) return corrupt("truncated header");
        bool zero = true;
        for (char c : h) zero = zero && c == 0;
        if (zero) break;
        unsigned sum = 0;
        for (std::size_t i = 0; i < kBlock; ++i)
            sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
        if (sum != parse_octal(h + 148, 8)) return corrupt("bad header checksum");
        std::uint64_t size = have_pax_size ? pax_size : parse_octal(h + 124, 12);
        std::string name = field_str(h, 100);
        std::string prefix = field_str(h + 345, 155);
        if (!prefix.empty() && std::memcmp(h + 257, "ustar", 5) == 0) name = prefix + "/" + name;
        if (!pax_path.empty()) name = pax_path;
        char type = h[156];
        std::uint64_t data = pos + kBlock;
        if (data + size > file_size) return corrupt("entry '" + name + "' runs past the end");
        if (type == 'x') {
            if (size > (1 << 20)) return corrupt("oversized pax header");
            std::string rec(size, '\0');
            if (::pread(fd, rec.data(), size, static_cast<off_t>(data)) != static_cast<ssize_t>(size))
                return corrupt("truncated pax header");
            pax_path.clear();
            have_pax_size = false;
            std::size_t p = 0;
            while (p < rec.size()) {
                std::size_t sp = rec.find(' ', p);
                if (sp == std::string::npos) return corrupt("bad pax record");
                std::uint64_t len = std::strtoull(rec.c_str() + p, nullptr, 10);
                if (len == 0 || p + len > rec.size()) return corrupt("bad pax record length");
                std::string kv = rec.substr(sp + 1, p + len - sp - 2);
                auto eq = kv.find('=');
                if (eq != std::string::npos) {
                    if (kv.compare(0, eq, "path") == 0) pax_path = kv.substr(eq + 1);
                    if (kv.compare(0, eq, "size") == 0) {
                        pax_size = std::strtoull(kv.c_str() + eq + 1, nullptr, 10);
                        have_pax_size = true;
                    }
                }
                p += len;
            }
            pos = data + (size + kBlock - 1) / kBlock * kBlock;
            continue;
        }
        if (type == '0' || type == '\0') out[name] = {data, size};
        pax_path.clear();
        have_pax_size = false;
        pos = data + (size + kBlock - 1) / kBlock * kBlock;
    }
    ::close(fd);
    return out;
}

}  // namespace pixi_install::fetch::tar
