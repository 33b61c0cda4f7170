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
# A session bus without service activation: the keeper's daemon below is the only Secret Service,
# so a call made while it restarts gets ServiceUnknown (which the engine retries) instead of
# D-Bus starting a second, locked daemon that nobody can unlock.
cat > "$KR/bus.conf" <<'CONF'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>
CONF
# The daemon is kept up for the whole run: a CI run once lost every test after the daemon vanished,
# and gnome-keyring 42 has been seen to abort (status 133) mid-run. If it exits, that is said on
# stderr with its status, and it is started again, unlocked, on the same keyring files (at most 5
# times); keychain calls caught in the gap are retried by the engine (secrets/keychain-store.ts).
dbus-run-session --config-file="$KR/bus.conf" -- bash -c '
  ( for i in 0 1 2 3 4 5; do
      [ $i = 0 ] || echo "with-keyring: gnome-keyring-daemon exited (status $rc); starting it again" >&2
      rc=0; echo -n "test-password" | gnome-keyring-daemon --foreground --replace --unlock --components=secrets >/dev/null || rc=$?
    done ) &
  keeper=$!
  for _ in $(seq 100); do
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true" && break
    sleep 0.1
  done
  rc=0; "$@" || rc=$?
  kill $keeper 2>/dev/null || true
  exit $rc' _ "$@" 2> >(grep -v "Failed to set fd limit" >&2)
