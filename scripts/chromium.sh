# shellcheck shell=bash
# Debian's Chromium for the staff app's browser tests (Playwright drives it; it never downloads a browser of its own).
# Source after common.sh, then: fiscus_chromium_ensure  (exports FISCUS_CHROMIUM)

fiscus_chromium_ensure() {
  local path="${FISCUS_CHROMIUM:-/usr/bin/chromium}"
  if [ ! -x "$path" ]; then
    fiscus_log "Chromium is not installed; installing it from Debian packages for the browser tests..."
    fiscus_apt_install chromium "(or set FISCUS_CHROMIUM to a Chromium binary)." || return 1
    path=/usr/bin/chromium
  fi
  export FISCUS_CHROMIUM="$path"
}
