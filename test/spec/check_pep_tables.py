#!/usr/bin/python3
"""Checks the PEP 440 and PEP 508 tables the spec tests use against the
`packaging` library (Debian's python3-packaging): the expected column of every
row must be what packaging says. Exits 77 (skipped) without packaging."""
import pathlib
import sys

try:
    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version
except ImportError:
    print("skipped: python3-packaging is not installed")
    sys.exit(77)


def rows(path):
    for line in pathlib.Path(path).read_text().splitlines():
        if line and not line.startswith("#"):
            yield line.split("\t")


def marker_env(subdir, python):
    os_, _, arch = subdir.partition("-")
    sysp, system, osname = {"linux": ("linux", "Linux", "posix"), "osx": ("darwin", "Darwin", "posix"),
                            "win": ("win32", "Windows", "nt")}[os_]
    if os_ == "linux":
        machine = {"64": "x86_64", "32": "i386"}.get(arch, arch)
    elif os_ == "osx":
        machine = "x86_64" if arch == "64" else "arm64"
    else:
        machine = {"64": "AMD64", "32": "x86"}.get(arch, "ARM64")
    major, minor = python.split(".")[:2]
    return {"implementation_name": "cpython", "implementation_version": python, "os_name": osname,
            "platform_machine": machine, "platform_python_implementation": "CPython", "platform_release": "",
            "platform_system": system, "platform_version": "", "python_full_version": python,
            "python_version": f"{major}.{minor}", "sys_platform": sysp}


def main(here):
    bad = 0
    for version, specs, want in rows(here / "pep440_cases.tsv"):
        got = SpecifierSet(specs).contains(Version(version), prereleases=True)
        if got != (want == "1"):
            print(f"pep440: {version} in {specs}: packaging says {got}, the table {want}")
            bad += 1
    for marker, subdir, python, extras, want in rows(here / "pep508_markers.tsv"):
        env = marker_env(subdir, python)
        m = Marker(marker)
        names = [] if extras == "-" else extras.split(",")
        got = any(m.evaluate(dict(env, extra=e)) for e in names) if names else m.evaluate(dict(env, extra=""))
        if got != (want == "1"):
            print(f"pep508: {marker!r} on {subdir} py{python} extras {extras}: packaging says {got}, the table {want}")
            bad += 1
    print(f"{bad} disagreement(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent)))
