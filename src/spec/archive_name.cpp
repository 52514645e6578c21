// Conda archive file names (see archive_name.hpp).
#include "pixi_install/spec/archive_name.hpp"

namespace pixi_install::spec {

namespace {
constexpr std::string_view kConda = ".conda";
constexpr std::string_view kTarBz2 = ".tar.bz2";
}  // namespace

std::string_view archive_ext_suffix(ArchiveExt ext) noexcept {
    return ext == ArchiveExt::conda ? kConda : kTarBz2;
}

std::optional<std::uint64_t> build_number_from_build(std::string_view build) noexcept {
    std::size_t end = build.size();
    std::size_t start = end;
    while (start > 0 && build[start - 1] >= '0' && build[start - 1] <= '9') --start;
    if (start == end || end - start > 19) return std::nullopt;
    std::uint64_t n = 0;
    for (std::size_t i = start; i < end; ++i) n = n * 10 + static_cast<std::uint64_t>(build[i] - '0');
    return n;
}

std::optional<ArchiveName> ArchiveName::parse(std::string_view file_name) {
    ArchiveName out;
    std::string_view stem;
    if (file_name.size() > kConda.size() && file_name.ends_with(kConda)) {
        stem = file_name.substr(0, file_name.size() - kConda.size());
        out.ext = ArchiveExt::conda;
    } else if (file_name.size() > kTarBz2.size() && file_name.ends_with(kTarBz2)) {
        stem = file_name.substr(0, file_name.size() - kTarBz2.size());
        out.ext = ArchiveExt::tar_bz2;
    } else {
        return std::nullopt;
    }
    if (stem.find('/') != std::string_view::npos || stem.find('\\') != std::string_view::npos)
        return std::nullopt;
    std::size_t b = stem.rfind('-');
    if (b == std::string_view::npos || b == 0) return std::nullopt;
    std::size_t v = stem.rfind('-', b - 1);
    if (v == std::string_view::npos || v == 0) return std::nullopt;
    out.name = std::string(stem.substr(0, v));
    out.version = std::string(stem.substr(v + 1, b - v - 1));
    out.build = std::string(stem.substr(b + 1));
    if (out.version.empty() || out.build.empty()) return std::nullopt;
    return out;
}

std::string ArchiveName::stem() const { return name + "-" + version + "-" + build; }

std::string ArchiveName::file_name() const { return stem() + std::string(archive_ext_suffix(ext)); }

}  // namespace pixi_install::spec
