#!/usr/bin/env bash
# Upstream sdists the source-build tests build, from Debian's source packages (their .orig
# tarballs are the projects' own release archives), into the cache outside the tree:
#   ~/.cache/pixi-install-build/upstream/<file>    (PIXI_INSTALL_BUILD_CACHE moves the cache)
# apt verifies each download against the signed source index. Safe to run again: what is
# there is not fetched again.
set -euo pipefail
CACHE=${PIXI_INSTALL_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pixi-install-build}
OUT=$CACHE/upstream
# package=version of the Debian source package, and its orig tarball
UPSTREAM=(
  "markupsafe=2.1.2-1 markupsafe_2.1.2.orig.tar.gz"   # MarkupSafe 2.1.2: setup.py, a C extension
)
missing=0
for u in "${UPSTREAM[@]}"; do
  read -r _ file <<<"$u"
  [ -s "$OUT/$file" ] || missing=1
done
[ $missing = 0 ] && exit 0
APT_DIR=$CACHE/apt-upstream
mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" "$OUT/download"
cat > "$APT_DIR/sources.list" <<'LIST'
deb-src http://deb.debian.org/debian bookworm main
deb-src http://deb.debian.org/debian bookworm-updates main
LIST
APT=(apt-get -q -o Dir::Etc::SourceList="$APT_DIR/sources.list" -o Dir::Etc::SourceParts=/nonexistent
     -o Dir::State::Lists="$APT_DIR/lists" -o Dir::Cache="$APT_DIR/cache" -o APT::Sandbox::User=root)
"${APT[@]}" update -qq
for u in "${UPSTREAM[@]}"; do
  read -r pin file <<<"$u"
  [ -s "$OUT/$file" ] && continue
  # Only the orig tarball is needed: its URL and sha256 from the signed source index.
  line=$("${APT[@]}" --print-uris source "$pin" 2> /dev/null | grep " $file ") || {
    echo "upstream.sh: Debian's source index has no $file for $pin" >&2; exit 1; }
  url=$(echo "$line" | cut -d"'" -f2)
  sha=$(echo "$line" | sed -n 's/.*SHA256:\([0-9a-f]*\).*/\1/p')
  curl -fsSL --retry 3 -o "$OUT/download/$file" "$url"
  echo "$sha  $OUT/download/$file" | sha256sum -c --quiet - || { echo "upstream.sh: $file: wrong sha256" >&2; exit 1; }
  mv "$OUT/download/$file" "$OUT/$file"
done
rm -rf "$OUT/download"
