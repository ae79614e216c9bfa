# Sourced by the entry points in tools/ (test.sh, demo.sh, bench.sh): moves to the repository
# root and sets $build to the absolute build root (UVAFD_BUILD_DIR, default ./build).
# uvafd_bootstrap installs what is missing when run as root, so each entry point works on a
# fresh Debian machine; as another user it assumes the packages are there.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${UVAFD_BUILD_DIR:-build}
case $build in /*) ;; *) build=$PWD/$build ;; esac
uvafd_bootstrap() {
  [ "$(id -u)" = 0 ] || return 0
  tools/bootstrap.sh "$build"
}
