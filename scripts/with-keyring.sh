#!/bin/bash
# Runs "$@" inside a private D-Bus session with an unlocked gnome-keyring (a real Secret Service),
# so keychain code is tested against the real thing. Storage is a throwaway folder.
set -euo pipefail
if [ -n "${PS_KEYRING_SESSION:-}" ]; then exec "$@"; fi
command -v dbus-run-session >/dev/null || { echo "dbus-run-session missing: apt-get install -y dbus" >&2; exit 1; }
command -v gnome-keyring-daemon >/dev/null || { echo "gnome-keyring missing: apt-get install -y gnome-keyring" >&2; exit 1; }
KR=$(mktemp -d)
trap 'rm -rf "$KR"' EXIT
export XDG_DATA_HOME=$KR/data XDG_RUNTIME_DIR=$KR/run PS_KEYRING_SESSION=1
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
dbus-run-session -- bash -c '
  echo -n "test-password" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  "$@"' _ "$@" 2> >(grep -v "Failed to set fd limit" >&2)
