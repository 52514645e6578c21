// The PEP 517 hook runner: a small Python program the environment's interpreter
// runs once per hook, in the source directory. It reads `input.json` from the
// directory named by its second argument, imports the backend, calls the hook
// and writes `output.json`. The backend's own output goes to the build log.
#include "pixi_install/build/build.hpp"

namespace pixi_install::build {

namespace {

constexpr std::string_view kRunner = R"PY(# pixi-install PEP 517 hook runner
import importlib
import json
import os
import sys
import traceback

HOOKS = {
    "get_requires_for_build_wheel", "get_requires_for_build_editable",
    "prepare_metadata_for_build_wheel", "prepare_metadata_for_build_editable",
    "build_wheel", "build_editable",
}


def write(work, out):
    tmp = os.path.join(work, "output.json.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(out, f)
    os.replace(tmp, os.path.join(work, "output.json"))


def load_backend(spec, backend_path):
    mod_name, _, obj_path = spec.partition(":")
    if backend_path:
        roots = [os.path.normcase(os.path.realpath(p)) for p in backend_path]
        sys.path[:0] = backend_path
    module = importlib.import_module(mod_name.strip())
    if backend_path:
        where = os.path.normcase(os.path.realpath(getattr(module, "__file__", "") or ""))
        if not any(where == r or where.startswith(r + os.sep) for r in roots):
            raise ImportError("backend %r was not loaded from backend-path %r" % (spec, backend_path))
    obj = module
    for attr in filter(None, obj_path.strip().split(".")):
        obj = getattr(obj, attr)
    return obj


def main():
    hook, work = sys.argv[1], sys.argv[2]
    with open(os.path.join(work, "input.json"), encoding="utf-8") as f:
        data = json.load(f)
    if hook not in HOOKS:
        write(work, {"error": "unknown hook %s" % hook})
        return 2
    if data.get("site_dirs"):
        import site
        for d in data["site_dirs"]:
            site.addsitedir(d)
    try:
        backend = load_backend(data["backend"], data.get("backend_path") or [])
    except Exception:
        write(work, {"no_backend": True, "traceback": traceback.format_exc()})
        return 1
    fn = getattr(backend, hook, None)
    if fn is None:
        if hook.startswith("get_requires_for_build_"):
            write(work, {"return_val": []})
            return 0
        write(work, {"hook_missing": True, "missing_hook_name": hook})
        return 1
    try:
        value = fn(**data.get("kwargs", {}))
    except (Exception, SystemExit):  # setup.py scripts end with SystemExit on errors
        write(work, {"backend_error": True, "traceback": traceback.format_exc()})
        return 1
    write(work, {"return_val": value})
    return 0


if __name__ == "__main__":
    sys.exit(main())
)PY";

}  // namespace

std::string_view hook_runner_source() { return kRunner; }

}  // namespace pixi_install::build
