// The second step of a cold install, alone, over a cache entry tree a real install made: how
// much CPU hard-linking every file into a new prefix costs, against creating and writing each
// one from memory (what writing each file once while extracting would still do for the prefix)
// and against copying each one from the cache (what --link-mode copy does). One thread, one
// mode per run, so that every mode meets a file system in the same state (bench/copy_floor.py
// makes a new one each time).
//
// usage: copy_floor link|write|copy CACHE_PKGS_DIR DEST_DIR
// prints: MODE files=N bytes=N wall=S cpu=S
#include <fcntl.h>
#include <ftw.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Item {
    std::string rel;
    bool dir = false;
    mode_t mode = 0;
    off_t size = 0;
    struct timespec mtime {};
    std::string data;  // "write" mode only: the content, read before the timing
};

std::vector<Item> g_items;
std::size_t g_root_len = 0;
bool g_preload = false;

int collect(const char* path, const struct stat* st, int type, struct FTW*) {
    if (std::strlen(path) <= g_root_len || (type != FTW_F && type != FTW_D)) return 0;
    if (type == FTW_F && !S_ISREG(st->st_mode)) return 0;  // symbolic links are not timed here
    Item it;
    it.rel = path + g_root_len + 1;
    it.dir = type == FTW_D;
    it.mode = st->st_mode & 0777;
    it.size = st->st_size;
    it.mtime = st->st_mtim;
    if (!it.dir && g_preload) {
        int fd = ::open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) return -1;
        it.data.resize(static_cast<std::size_t>(st->st_size));
        std::size_t got = 0;
        while (got < it.data.size()) {
            ssize_t n = ::read(fd, &it.data[got], it.data.size() - got);
            if (n <= 0) break;
            got += static_cast<std::size_t>(n);
        }
        ::close(fd);
        if (got != it.data.size()) return -1;
    }
    g_items.push_back(std::move(it));
    return 0;
}

double cpu_seconds() {
    struct rusage ru {};
    ::getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

bool write_all(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w <= 0) return false;
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: copy_floor link|write|copy CACHE_PKGS_DIR DEST_DIR\n");
        return 2;
    }
    const std::string mode = argv[1], src = argv[2], dst = argv[3];
    if (mode != "link" && mode != "write" && mode != "copy") {
        std::fprintf(stderr, "copy_floor: unknown mode '%s'\n", mode.c_str());
        return 2;
    }
    g_root_len = src.size();
    g_preload = mode == "write";
    if (::nftw(src.c_str(), collect, 64, FTW_PHYS) != 0) {
        std::fprintf(stderr, "copy_floor: cannot read %s\n", src.c_str());
        return 1;
    }
    ::mkdir(dst.c_str(), 0755);
    const int sfd = ::open(src.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    const int dfd = ::open(dst.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (sfd < 0 || dfd < 0) {
        std::perror("copy_floor: open");
        return 1;
    }
    ::sync();

    std::size_t files = 0;
    unsigned long long bytes = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    for (const Item& it : g_items) {
        const char* rel = it.rel.c_str();
        if (it.dir) {
            if (::mkdirat(dfd, rel, 0755) != 0) return std::perror(rel), 1;
            continue;
        }
        ++files;
        if (mode == "link") {
            if (::linkat(sfd, rel, dfd, rel, 0) != 0) return std::perror(rel), 1;
            continue;
        }
        const int out = ::openat(dfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, it.mode);
        if (out < 0) return std::perror(rel), 1;
        if (mode == "write") {
            if (!write_all(out, it.data.data(), it.data.size())) return std::perror(rel), 1;
            bytes += it.data.size();
        } else {
            // The size as the walk found it, as the installer copies with the status it read first.
            const int in = ::openat(sfd, rel, O_RDONLY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC);
            if (in < 0) return std::perror(rel), 1;
            off_t off = 0;
            for (off_t left = it.size; left > 0;) {
                ssize_t n = ::copy_file_range(in, &off, out, nullptr, static_cast<std::size_t>(left), 0);
                if (n <= 0) return std::perror(rel), 1;
                left -= n;
            }
            bytes += static_cast<unsigned long long>(it.size);
            ::close(in);
        }
        const struct timespec ts[2] = {it.mtime, it.mtime};
        ::futimens(out, ts);
        ::close(out);
    }
    const double cpu = cpu_seconds() - c0;
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s files=%zu bytes=%llu wall=%.3f cpu=%.3f\n", mode.c_str(), files, bytes, wall, cpu);
    return 0;
}
