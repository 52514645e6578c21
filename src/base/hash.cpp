#include "pixi_install/base/hash.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <xxhash.h>

namespace pixi_install::base {

struct Hasher::Impl {
    EVP_MD_CTX* ctx = nullptr;
    ~Impl() { EVP_MD_CTX_free(ctx); }
};

Hasher::Hasher(HashAlgo algo) : impl_(std::make_unique<Impl>()) {
    impl_->ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(impl_->ctx, algo == HashAlgo::sha256 ? EVP_sha256() : EVP_md5(), nullptr);
}
Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(const void* data, std::size_t size) {
    if (size) EVP_DigestUpdate(impl_->ctx, data, size);
}

std::string Hasher::finish_raw() {
    unsigned char buf[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(impl_->ctx, buf, &len);
    return std::string(reinterpret_cast<const char*>(buf), len);
}

std::string Hasher::finish_hex() { return to_hex(finish_raw()); }

std::string to_hex(std::string_view raw) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    out.reserve(raw.size() * 2);
    for (unsigned char c : raw) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

bool is_hex_digest(std::string_view s, std::size_t bytes) {
    if (s.size() != bytes * 2) return false;
    for (char c : s) {
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!hex) return false;
    }
    return true;
}

std::string normalize_hex(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &len);
    return std::string(reinterpret_cast<const char*>(out), len);
}

std::string sha256_hex(std::string_view data) {
    Hasher h(HashAlgo::sha256);
    h.update(data);
    return h.finish_hex();
}

namespace {
template <class F>
Result<void> stream_file(const std::filesystem::path& path, F&& consume) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail_errno("cannot open", path.string(), errno);
    static thread_local std::string buf(1 << 20, '\0');
    for (;;) {
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            ::close(fd);
            return fail_errno("cannot read", path.string(), err);
        }
        if (n == 0) break;
        consume(buf.data(), static_cast<std::size_t>(n));
    }
    ::close(fd);
    return {};
}
}  // namespace

Result<std::string> hash_file(const std::filesystem::path& path, HashAlgo algo) {
    Hasher h(algo);
    PI_TRY_VOID(stream_file(path, [&](const char* d, std::size_t n) { h.update(d, n); }));
    return h.finish_hex();
}

Result<std::pair<std::string, std::string>> hash_file_both(const std::filesystem::path& path) {
    Hasher s(HashAlgo::sha256), m(HashAlgo::md5);
    PI_TRY_VOID(stream_file(path, [&](const char* d, std::size_t n) {
        s.update(d, n);
        m.update(d, n);
    }));
    return std::pair{s.finish_hex(), m.finish_hex()};
}

std::string base64_urlsafe_nopad(std::string_view raw) {
    static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::size_t i = 0;
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(raw[k]); };
    for (; i + 2 < raw.size(); i += 3) {
        unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        out += tbl[(v >> 18) & 63];
        out += tbl[(v >> 12) & 63];
        out += tbl[(v >> 6) & 63];
        out += tbl[v & 63];
    }
    if (raw.size() - i == 1) {
        unsigned v = byte(i) << 16;
        out += tbl[(v >> 18) & 63];
        out += tbl[(v >> 12) & 63];
    } else if (raw.size() - i == 2) {
        unsigned v = (byte(i) << 16) | (byte(i + 1) << 8);
        out += tbl[(v >> 18) & 63];
        out += tbl[(v >> 12) & 63];
        out += tbl[(v >> 6) & 63];
    }
    return out;
}

std::string xxh3_hex(std::string_view data) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx",
                  static_cast<unsigned long long>(XXH3_64bits(data.data(), data.size())));
    return buf;
}

Xxh3::Xxh3() : state_(XXH3_createState()) { XXH3_64bits_reset(static_cast<XXH3_state_t*>(state_)); }
Xxh3::~Xxh3() { XXH3_freeState(static_cast<XXH3_state_t*>(state_)); }
void Xxh3::update(std::string_view s) {
    XXH3_64bits_update(static_cast<XXH3_state_t*>(state_), s.data(), s.size());
}
void Xxh3::field(std::string_view s) {
    std::uint64_t n = s.size();
    XXH3_64bits_update(static_cast<XXH3_state_t*>(state_), &n, sizeof n);
    update(s);
}
std::string Xxh3::hex() const {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx",
                  static_cast<unsigned long long>(
                      XXH3_64bits_digest(static_cast<const XXH3_state_t*>(state_))));
    return buf;
}

}  // namespace pixi_install::base
