"""Helpers for end-to-end install tests: v6 lock files built from real archives,
synthetic conda packages and wheels, and prefix snapshots.

Python 3 standard library only. Import it from a test script in this directory:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import lockgen
"""
import base64
import hashlib
import io
import json
import os
import re
import tarfile
import time
import zipfile

SKIP = 77


def file_digests(path):
    """(sha256 hex, md5 hex, size) of a file."""
    sha, md5 = hashlib.sha256(), hashlib.md5()
    size = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha.update(chunk)
            md5.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), md5.hexdigest(), size


def _conda_identity(path):
    """(name, version, build) from a conda archive file name."""
    base = os.path.basename(path)
    for ext in (".tar.bz2", ".conda"):
        if base.endswith(ext):
            base = base[: -len(ext)]
            break
    name, version, build = base.rsplit("-", 2)
    return name, version, build


def _wheel_identity(path):
    parts = os.path.basename(path)[:-4].split("-")
    name = re.sub(r"[-_.]+", "-", parts[0]).lower()
    return name, parts[1]


def conda(path, depends=(), noarch=None, subdir="linux-64", sha256=None, md5=None, size=None,
          python_site_packages_path=None, location=None):
    """A conda package entry of a lock: real hashes unless given."""
    rs, rm, rz = file_digests(path)
    name, version, build = _conda_identity(path)
    return {"kind": "conda", "location": location or path, "name": name, "version": version, "build": build,
            "sha256": sha256 or rs, "md5": md5 or rm, "size": rz if size is None else size,
            "subdir": subdir, "depends": list(depends), "noarch": noarch,
            "python_site_packages_path": python_site_packages_path}


def wheel(path, sha256=None, requires_dist=(), location=None):
    """A PyPI wheel entry of a lock."""
    rs, _, _ = file_digests(path) if os.path.exists(path) else ("0" * 64, "", 0)
    name, version = _wheel_identity(path)
    return {"kind": "pypi", "location": location or path, "name": name, "version": version,
            "sha256": sha256 or rs, "requires_dist": list(requires_dist)}


def conda_source(name, version="0.1.0", build="hbf21a9e_0", location="."):
    """A pixi-build source package (`conda: .` with `input`), which cannot be installed from the lock."""
    return {"kind": "conda_source", "location": location, "name": name, "version": version, "build": build}


def sdist(name, version, location):
    return {"kind": "pypi", "location": location, "name": name, "version": version, "sha256": None,
            "requires_dist": []}


def _q(s):
    return json.dumps(s)  # a JSON string is a valid YAML double-quoted scalar


def lock_text(entries, env="default", environments=None, platform="linux-64"):
    """v6 lock text. `entries` is a list of dicts from conda()/wheel()/conda_source();
    `environments` maps further environment names to their entry lists."""
    envs = {env: entries}
    if environments:
        envs.update(environments)
    out = ["version: 6", "environments:"]
    allpk = {}
    for ename, ents in envs.items():
        out += ["  %s:" % ename, "    channels:", "    - url: https://conda.anaconda.org/conda-forge/"]
        if any(e["kind"] == "pypi" for e in ents):
            out += ["    indexes:", "    - https://pypi.org/simple"]
        out += ["    packages:", "      %s:" % platform]
        for e in ents:
            key = "pypi" if e["kind"] == "pypi" else "conda"
            out.append("      - %s: %s" % (key, _q(e["location"])))
            if e["kind"] == "conda_source":
                out.append("        subdir: %s" % platform)
            allpk[(e["kind"], e["location"], e["name"])] = e
    out.append("packages:")
    for e in allpk.values():
        if e["kind"] == "conda":
            out.append("- conda: %s" % _q(e["location"]))
            out.append("  sha256: %s" % e["sha256"])
            out.append("  md5: %s" % e["md5"])
            out.append("  size: %d" % e["size"])
            out.append("  subdir: %s" % e["subdir"])
            if e["noarch"]:
                out.append("  noarch: %s" % e["noarch"])
            if e["python_site_packages_path"]:
                out.append("  python_site_packages_path: %s" % e["python_site_packages_path"])
            out.append("  depends:" + ("" if e["depends"] else " []"))
            out += ["  - %s" % _q(d) for d in e["depends"]]
        elif e["kind"] == "conda_source":
            out += ["- conda: %s" % _q(e["location"]), "  name: %s" % e["name"],
                    "  version: %s" % e["version"], "  build: %s" % e["build"], "  subdir: %s" % platform,
                    "  depends: []", "  input:", "    hash: " + "ab" * 32, "    globs: []"]
        else:
            out += ["- pypi: %s" % _q(e["location"]), "  name: %s" % e["name"], "  version: %s" % e["version"]]
            if e.get("sha256"):
                out.append("  sha256: %s" % e["sha256"])
            if e.get("editable"):
                out.append("  editable: true")
            out.append("  requires_dist:" + ("" if e["requires_dist"] else " []"))
            out += ["  - %s" % _q(d) for d in e["requires_dist"]]
    return "\n".join(out) + "\n"


def write_lock(directory, entries, name="pixi.lock", **kw):
    """Writes the lock into `directory` (created) and returns its path."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(lock_text(entries, **kw))
    return path


# ---------------------------------------------------------------- synthetic packages

def _tar_add(tar, name, data=None, mode=0o644, symlink=None, mtime=None):
    ti = tarfile.TarInfo(name)
    ti.mtime = int(mtime if mtime is not None else time.time())
    if symlink is not None:
        ti.type = tarfile.SYMTYPE
        ti.linkname = symlink
        ti.mode = 0o777
        tar.addfile(ti)
        return
    ti.mode = mode
    ti.size = len(data)
    tar.addfile(ti, io.BytesIO(data))


def make_conda_package(directory, name, version, build="h0_0", files=None, symlinks=None, depends=(),
                       noarch=None, subdir="linux-64", text_placeholders=(), mtime=None, binary_placeholders=None):
    """A .tar.bz2 conda package with `files` {path: bytes | (bytes, mode)} and
    `symlinks` {path: target}; info/index.json and info/paths.json are generated.
    Paths in `text_placeholders` are declared as text files holding conda-build's
    placeholder /opt/anaconda1anaconda2anaconda3; `binary_placeholders` {path: placeholder}
    declares binary files holding that placeholder. `mtime` fixes every member's time
    (default: now). Returns the archive path."""
    files = files or {}
    symlinks = symlinks or {}
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "%s-%s-%s.tar.bz2" % (name, version, build))
    index = {"name": name, "version": version, "build": build, "build_number": 0, "depends": list(depends),
             "subdir": "noarch" if noarch else subdir}
    if noarch:
        index["noarch"] = noarch
    paths = []
    for p, v in sorted(files.items()):
        data = v[0] if isinstance(v, tuple) else v
        entry = {"_path": p, "path_type": "hardlink", "sha256": hashlib.sha256(data).hexdigest(),
                 "size_in_bytes": len(data)}
        if p in text_placeholders:
            entry.update(file_mode="text", prefix_placeholder="/opt/anaconda1anaconda2anaconda3")
        if binary_placeholders and p in binary_placeholders:
            entry.update(file_mode="binary", prefix_placeholder=binary_placeholders[p])
        paths.append(entry)
    for p, target in sorted(symlinks.items()):
        paths.append({"_path": p, "path_type": "softlink",
                      "sha256": hashlib.sha256(target.encode()).hexdigest(), "size_in_bytes": len(target)})
    paths.sort(key=lambda e: e["_path"])
    with tarfile.open(path, "w:bz2", compresslevel=1) as tar:
        _tar_add(tar, "info/index.json", json.dumps(index, indent=2).encode(), mtime=mtime)
        _tar_add(tar, "info/paths.json", json.dumps({"paths": paths, "paths_version": 1}, indent=2).encode(),
                 mtime=mtime)
        _tar_add(tar, "info/files", "".join(p + "\n" for p in sorted(list(files) + list(symlinks))).encode(),
                 mtime=mtime)
        for p, v in sorted(files.items()):
            data, mode = (v if isinstance(v, tuple) else (v, 0o644))
            _tar_add(tar, p, data, mode, mtime=mtime)
        for p, target in sorted(symlinks.items()):
            _tar_add(tar, p, symlink=target, mtime=mtime)
    return path


def make_python_standin(directory, version="3.11.4", build="h0_0", interpreter="/usr/bin/python3"):
    """A tiny conda package named `python` whose bin/python3.11 is a symlink to a
    real interpreter (absolute, outside the prefix) and bin/python3 -> python3.11."""
    short = ".".join(version.split(".")[:2])
    return make_conda_package(
        directory, "python", version, build,
        files={"lib/python%s/site-packages/README.txt" % short: b"site-packages of the python stand-in\n"},
        symlinks={"bin/python%s" % short: interpreter, "bin/python3": "python%s" % short})


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (name, digest, len(data))


def make_wheel(directory, dist, version, modules, console_scripts=None, tag="py3-none-any"):
    """A pure-Python wheel with `modules` {relative path: text or bytes} and optional
    console_scripts {command: "module:func"}. Returns its path."""
    os.makedirs(directory, exist_ok=True)
    norm = re.sub(r"[-_.]+", "_", dist)
    path = os.path.join(directory, "%s-%s-%s.whl" % (norm, version, tag))
    di = "%s-%s.dist-info" % (norm, version)
    contents = {k: v if isinstance(v, bytes) else v.encode() for k, v in modules.items()}
    contents[di + "/METADATA"] = ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (dist, version)).encode()
    contents[di + "/WHEEL"] = ("Wheel-Version: 1.0\nGenerator: lockgen\nRoot-Is-Purelib: true\nTag: %s\n"
                               % tag).encode()
    if console_scripts:
        contents[di + "/entry_points.txt"] = ("[console_scripts]\n" + "".join(
            "%s = %s\n" % kv for kv in sorted(console_scripts.items()))).encode()
    record = [_record_line(k, v) for k, v in contents.items()] + [di + "/RECORD,,"]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in contents.items():
            z.writestr(k, v)
        z.writestr(di + "/RECORD", "\n".join(record) + "\n")
    return path


# ---------------------------------------------------------------- prefix inspection

def snapshot(prefix, ignore=()):
    """{relative path: (kind, sha256-or-link-target, mode & 0o111)} of everything under prefix,
    except relative paths starting with an entry of `ignore`."""
    out = {}
    for root, dirs, files in os.walk(prefix):
        for n in dirs + files:
            full = os.path.join(root, n)
            rel = os.path.relpath(full, prefix)
            if any(rel == i or rel.startswith(i.rstrip("/") + "/") for i in ignore):
                continue
            if os.path.islink(full):
                out[rel] = ("link", os.readlink(full), 0)
            elif os.path.isdir(full):
                out[rel] = ("dir", "", 0)
            else:
                with open(full, "rb") as f:
                    out[rel] = ("file", hashlib.sha256(f.read()).hexdigest(), os.stat(full).st_mode & 0o111)
    return out


def mtimes(prefix):
    """{relative path: (st_mtime_ns, st_ino)} of every non-directory under prefix."""
    out = {}
    for root, _, files in os.walk(prefix):
        for n in files:
            full = os.path.join(root, n)
            st = os.lstat(full)
            out[os.path.relpath(full, prefix)] = (st.st_mtime_ns, st.st_ino)
    return out


def conda_meta_records(prefix):
    """{name: record} from prefix/conda-meta/*.json."""
    out = {}
    d = os.path.join(prefix, "conda-meta")
    for n in os.listdir(d) if os.path.isdir(d) else []:
        if n.endswith(".json"):
            with open(os.path.join(d, n)) as f:
                rec = json.load(f)
            out[rec["name"]] = rec
    return out


def corpus_dir():
    """The real-world corpus (PIXI_INSTALL_CORPUS, set by meson: the sample in
    fixtures/corpus, or the full corpus for the corpus-full suite); found from this file
    when the variable is not set."""
    return os.environ.get("PIXI_INSTALL_CORPUS") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "corpus")


def require_env():
    """(binary, corpus dir); exits 77 when the binary is not built, fails when the corpus
    is missing (it is part of the project)."""
    import sys
    binary = os.environ.get("PIXI_INSTALL_BIN", "")
    corpus = corpus_dir()
    if not binary or not os.path.exists(binary):
        print("skipped: PIXI_INSTALL_BIN is not built")
        sys.exit(SKIP)
    if not os.path.isdir(os.path.join(corpus, "conda-pkgs")):
        print("FAIL: the corpus %s has no conda-pkgs/" % corpus)
        sys.exit(1)
    return binary, corpus
