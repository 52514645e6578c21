// Test helpers for fetch: the loopback HTTP server (server.py) and small file utilities.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

#include "pixi_install/base/hash.hpp"
#include "support.hpp"

extern char** environ;

namespace pixi_install::test {

/// Runs test/fetch/server.py serving `root` on a free loopback port; stops it when destroyed.
class TestServer {
public:
    explicit TestServer(const std::filesystem::path& root) {
        std::string script = (test::source_dir() / "test" / "fetch" / "server.py").string();
        int in_pipe[2], out_pipe[2];
        if (::pipe(in_pipe) != 0 || ::pipe(out_pipe) != 0) throw std::runtime_error("pipe");
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
        posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
        posix_spawn_file_actions_addclose(&fa, in_pipe[1]);
        posix_spawn_file_actions_addclose(&fa, out_pipe[0]);
        std::string root_s = root.string();
        const char* argv[] = {"python3", script.c_str(), root_s.c_str(), nullptr};
        if (posix_spawnp(&pid_, "python3", &fa, nullptr, const_cast<char**>(argv), environ) != 0)
            throw std::runtime_error("cannot start server.py");
        posix_spawn_file_actions_destroy(&fa);
        ::close(in_pipe[0]);
        ::close(out_pipe[1]);
        stdin_fd_ = in_pipe[1];
        FILE* out = ::fdopen(out_pipe[0], "r");
        char line[64] = {0};
        if (!std::fgets(line, sizeof line, out) || std::sscanf(line, "PORT %d", &port_) != 1)
            throw std::runtime_error("server.py did not report its port");
        std::fclose(out);
    }
    ~TestServer() {
        ::close(stdin_fd_);
        ::kill(pid_, SIGTERM);
        int st = 0;
        ::waitpid(pid_, &st, 0);
    }
    int port() const { return port_; }
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }
    /// GET /_stats: the JSON text of the request counters.
    std::string stats() const { return get("/_stats"); }
    /// The number of requests served so far (excluding /_stats).
    int requests() const {
        std::string s = stats();
        auto p = s.find("\"requests\": ");
        return p == std::string::npos ? -1 : std::stoi(s.substr(p + 12));
    }

private:
    std::string get(const std::string& path) const {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(port_));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(fd);
            return {};
        }
        std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        (void)!::write(fd, req.data(), req.size());
        std::string resp;
        char buf[4096];
        ssize_t n;
        while ((n = ::read(fd, buf, sizeof buf)) > 0) resp.append(buf, static_cast<std::size_t>(n));
        ::close(fd);
        auto body = resp.find("\r\n\r\n");
        return body == std::string::npos ? std::string() : resp.substr(body + 4);
    }
    pid_t pid_ = -1;
    int stdin_fd_ = -1;
    int port_ = 0;
};

/// Writes `size` pseudo-random bytes (seeded) to `path`; returns the content.
inline std::string write_random(const std::filesystem::path& path, std::size_t size, unsigned seed) {
    std::mt19937 rng(seed);
    std::string data(size, '\0');
    for (auto& c : data) c = static_cast<char>(rng() & 0xff);
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << data;
    return data;
}

inline std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Regular files under `dir` (recursively).
inline std::size_t count_files(const std::filesystem::path& dir) {
    std::size_t n = 0;
    std::error_code ec;
    for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file()) ++n;
    return n;
}

}  // namespace pixi_install::test
