// Byte-compiling an environment: the .py files of noarch: python conda packages and
// of the wheels this tool installed, compiled by the environment's own interpreter
// (py_compile, in fixed chunks of files run in parallel), each .pyc then recorded
// where its package's files are recorded (conda-meta paths_data as `pyc_file`, the
// wheel's RECORD with its hash), so `verify` checks them and uninstalling removes them.
#pragma once

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "pixi_install/base/result.hpp"
#include "pixi_install/spec/python_info.hpp"

namespace pixi_install::base {
class ThreadPool;
}

namespace pixi_install::prefix {

struct BytecodeOptions {
    /// Checked-hash pycs (PEP 552): the header holds the source's hash, not its mtime, so
    /// the bytes depend on nothing but the source (reproducible installs).
    bool checked_hash = false;
    /// Environment of the interpreter (KEY=VALUE); PYTHON* variables are left out and
    /// PYTHONHASHSEED=0 is set, so what the compiler emits does not vary from run to run.
    std::vector<std::string> env;
    const std::atomic<bool>* cancel = nullptr;
};

struct BytecodeReport {
    std::size_t compiled = 0;          ///< .pyc files written and recorded
    std::vector<std::string> failed;   ///< prefix-relative sources the interpreter could not compile
};

/// "a/b/__pycache__/c.<tag>.pyc" for the source "a/b/c.py" (as importlib names it).
std::string pyc_path(const std::string& source, const std::string& cache_tag);

/// Runs `<prefix>/<python.interpreter>` to ask its `sys.implementation.cache_tag`
/// ("cpython-311"). An interpreter that does not start is an error saying so.
base::Result<std::string> python_cache_tag(const std::filesystem::path& prefix, const spec::PythonInfo& python,
                                           const BytecodeOptions& options);

/// Compiles every source below site-packages of the environment's noarch: python
/// conda packages and pixi-install wheels that has no recorded .pyc yet, and records
/// the .pyc files. Sources that do not compile (Python 2 leftovers, templates) are
/// skipped and listed in the report, as pip and uv do.
base::Result<BytecodeReport> compile_environment(const std::filesystem::path& prefix,
                                                 const spec::PythonInfo& python, const BytecodeOptions& options,
                                                 base::ThreadPool& pool);

}  // namespace pixi_install::prefix
