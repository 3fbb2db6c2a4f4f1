#!/usr/bin/env bash
# Real pixels in a real terminal: runs `animetui --demo` in xterm (VT340, Sixel) on a private Xvfb
# display, looks up the characters in a demo picture by typing keys (xdotool), and saves a
# screenshot of the whole screen.
#
#   tests/ui/xterm_screenshot.sh [OUT.png]          default: screenshots/xterm-sixel.png
#   RENDERER=auto|sixel|halfcell  PICTURE=festival  GEOMETRY=150x46  DISPLAY_NUMBER=97
#
# Needs (Debian packages): xvfb, xterm, imagemagick (import), xdotool, x11-utils — installs nothing:
#   sudo apt-get install xvfb xterm imagemagick xdotool x11-utils
# xterm shows Sixel only as a VT340 (-ti vt340) and with 256 colour registers (its VT340 default
# is 16); maxGraphicSize is raised so a maximised pane's picture is not cut at 1000×1000 px.
# The app gets its own HOME and data dir, so nothing of yours is read or written.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${1:-$repo/screenshots/xterm-sixel.png}"
renderer="${RENDERER:-sixel}"
picture="${PICTURE:-festival}"
geometry="${GEOMETRY:-150x46}"
display_number="${DISPLAY_NUMBER:-97}"
animetui="${ANIMETUI:-$repo/.venv/bin/animetui}"

missing=()
for tool in Xvfb xterm import xdotool xwininfo; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ! -x "$animetui" ]; then
    echo "animetui not found at $animetui (set ANIMETUI=/path/to/animetui)" >&2
    exit 2
fi
if [ "${#missing[@]}" -gt 0 ]; then
    echo "missing: ${missing[*]} — install the Debian packages xvfb xterm imagemagick xdotool x11-utils" >&2
    exit 2
fi

scratch="$(mktemp -d /tmp/animetui-xterm.XXXXXX)"
xvfb_pid=""
xterm_pid=""
cleanup() {
    [ -n "$xterm_pid" ] && kill "$xterm_pid" 2>/dev/null || true
    [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$scratch"
}
trap cleanup EXIT

export DISPLAY=":$display_number"
Xvfb "$DISPLAY" -screen 0 1280x800x24 -nolisten tcp >"$scratch/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 50); do
    xwininfo -root >/dev/null 2>&1 && break
    sleep 0.1
done
xwininfo -root >/dev/null 2>&1 || { echo "Xvfb did not start on $DISPLAY (see $scratch/xvfb.log)" >&2; exit 1; }

mkdir -p "$scratch/home"
title="animetui-shot-$$"
xterm -ti vt340 -xrm 'XTerm*numColorRegisters: 256' -xrm 'XTerm*maxGraphicSize: 4096x4096' \
    -geometry "$geometry+0+0" -bg black -fg grey90 -T "$title" \
    -e env HOME="$scratch/home" ANIMETUI_DATA_DIR="$scratch/data" ANIMETUI_CONFIG="$scratch/config.toml" \
       TERM=xterm-256color COLORTERM=truecolor "$animetui" --demo --renderer "$renderer" &
xterm_pid=$!

window="$(xdotool search --sync --name "$title" | head -n 1)"
# no window manager: the keyboard focus follows the pointer
xdotool mousemove --window "$window" 200 200
sleep 6  # start-up, the demo pictures written on first run

keys() { xdotool key --delay 120 "$@"; sleep 0.5; }
# the Files pane's jump box: type part of the picture's name, Enter
keys 1 slash
xdotool type --delay 80 "$picture"
keys Return
sleep 2
# character recognition (the demo simulator answers in about a real service's time)
keys r
sleep 8
# the Results pane, maximised, with the boxes on the picture; the second detection highlighted
keys 2 z
sleep 2
keys Down
sleep 4

mkdir -p "$(dirname "$out")"
import -window root "$out"
echo "saved $out (renderer $renderer, xterm $geometry on $DISPLAY)"
