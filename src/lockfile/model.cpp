// Small accessors of the lock model.
#include "pixi_install/lockfile/model.hpp"

namespace pixi_install::lockfile {

const char* kind_name(PackageKind k) noexcept {
    switch (k) {
    case PackageKind::conda: return "conda";
    case PackageKind::conda_source: return "conda_source";
    case PackageKind::pypi: return "pypi";
    }
    return "conda";
}

const std::string& Package::name() const {
    switch (kind) {
    case PackageKind::conda: return conda->name;
    case PackageKind::conda_source: return source->name;
    case PackageKind::pypi: return pypi->name;
    }
    return conda->name;
}

const std::string& Package::location() const {
    switch (kind) {
    case PackageKind::conda: return conda->location;
    case PackageKind::conda_source: return source->location;
    case PackageKind::pypi: return pypi->location;
    }
    return conda->location;
}

std::string Package::version() const {
    switch (kind) {
    case PackageKind::conda: return conda->version;
    case PackageKind::conda_source: return source->version.value_or("");
    case PackageKind::pypi: return pypi->version.value_or("");
    }
    return {};
}

const PlatformEntry* LockFile::platform(const std::string& name) const {
    for (const auto& p : platforms)
        if (p.name == name) return &p;
    return nullptr;
}

}  // namespace pixi_install::lockfile
