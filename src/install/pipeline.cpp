#include "pixi_install/install/pipeline.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/thread_pool.hpp"
#include "pixi_install/cache/package_cache.hpp"
#include "pixi_install/install/preflight.hpp"
#include "pixi_install/install/state.hpp"
#include "pixi_install/prefix/activation.hpp"
#include "pixi_install/prefix/conda_meta.hpp"
#include "pixi_install/prefix/link_scripts.hpp"
#include "pixi_install/prefix/package_info.hpp"
#include "pixi_install/prefix/unlink.hpp"
#include "pixi_install/prefix/wheel.hpp"
#include "pixi_install/spec/python_info.hpp"
#include "pixi_install/spec/wheel_name.hpp"
#include "transaction.hpp"

namespace pixi_install::install {

namespace fs = std::filesystem;
using base::ErrorKind;
using base::Result;

Result<InstallReport> install_environment(const lockfile::Selection& selection, const InstallOptions& options,
                                          base::Reporter& reporter) {
    PI_TRY_VOID(preflight(selection, options));
    Transaction t(selection, options, reporter);
    return t.run();
}

}  // namespace pixi_install::install
