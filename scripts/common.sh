# shellcheck shell=bash
# What ./run, ./test and the other scripts share: where Fiscus keeps its local state, how it speaks, and installing a
# Debian package when one is missing (as root, or with passwordless sudo).

FISCUS_HOME="${FISCUS_HOME:-$(pwd)/.fiscus}"

fiscus_log() { printf '\033[2m[fiscus]\033[0m %s\n' "$*" >&2; }

# fiscus_apt_install PACKAGE [HINT]: installs PACKAGE from Debian's archive; HINT is printed when that is not possible.
fiscus_apt_install() {
  local package="$1" hint="${2:-}" sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo -n"
    else
      fiscus_log "Cannot install packages as $(id -un). Run: sudo apt-get install -y $package"
      [ -n "$hint" ] && fiscus_log "$hint"
      return 1
    fi
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >&2
}
