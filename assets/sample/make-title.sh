#!/bin/bash
# Make Showrunner's tiny demo title with ffmpeg: a test pattern with a 440 Hz tone,
# packaged as HLS (master playlist, two video renditions, one audio rendition, fMP4
# with EXT-X-MAP) and as DASH (SegmentTemplate), ready to upload under vod/<titleId>/.
#
#   assets/sample/make-title.sh OUT_DIR [SECONDS] [--aes-128 KEY_FILE KEY_ID [--cenc KEY_FILE KEY_ID]]
#
# With --aes-128, the title is the HLS of an aes-128 title as the ingest pipeline makes it
# (docs/operations.md, "Content protection"): MPEG-TS segments each encrypted whole with
# AES-128 under the 16 bytes of KEY_FILE, the key URI keys/KEY_ID (relative:
# /vod/<titleId>/keys/KEY_ID, the key service); store the key with KEY_ID in the
# content-keys table. No DASH, unless --cenc gives the DASH key (another one: never the HLS
# key): then manifest.mpd and dash/, Common Encryption cenc under that key with KEY_ID as
# the KID, packaged by Shaka Packager from npm (make setup installs it); store it with
# scheme cenc, and the key service's Clear Key licence releases it.
#
# The end-to-end tests (tests/e2e/) make their title with this script; README.md
# ("Play the sample title") shows how to upload it and get a signed URL.
set -euo pipefail

usage() {
  echo "usage: $0 OUT_DIR [SECONDS (1-600, default 4)] [--aes-128 KEY_FILE KEY_ID [--cenc KEY_FILE KEY_ID]]" >&2
  exit 2
}
key_file=""
key_id=""
cenc_file=""
cenc_id=""
args=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--aes-128" ]; then
    [ $# -ge 3 ] || usage
    key_file=$2
    key_id=$3
    shift 3
  elif [ "$1" = "--cenc" ]; then
    [ $# -ge 3 ] || usage
    cenc_file=$2
    cenc_id=$3
    shift 3
  else
    args+=("$1")
    shift
  fi
done
if [ ${#args[@]} -lt 1 ] || [ ${#args[@]} -gt 2 ]; then usage; fi
out=${args[0]}
seconds=${args[1]:-4}
if ! [[ "$seconds" =~ ^[1-9][0-9]{0,2}$ ]] || [ "$seconds" -gt 600 ]; then usage; fi
check_key() {  # KEY_FILE KEY_ID
  if ! [[ "$2" =~ ^[0-9a-f]{32}$ ]]; then
    echo "$0: KEY_ID must be 32 lowercase hexadecimal digits" >&2
    exit 2
  fi
  if [ ! -f "$1" ] || [ "$(stat -c %s "$1")" -ne 16 ]; then
    echo "$0: KEY_FILE must be a file of exactly 16 bytes" >&2
    exit 2
  fi
}
if [ -n "$key_file" ]; then check_key "$key_file" "$key_id"; fi
packager="$(cd "$(dirname "$0")/../.." && pwd)/node_modules/shaka-packager/bin/packager-linux-x64"
if [ -n "$cenc_file" ]; then
  [ -n "$key_file" ] || { echo "$0: --cenc goes with --aes-128 (the DASH of an aes-128 title)" >&2; exit 2; }
  check_key "$cenc_file" "$cenc_id"
  if [ "$cenc_id" = "$key_id" ] || cmp -s "$cenc_file" "$key_file"; then
    echo "$0: the DASH key and its KID must not be the HLS key's" >&2
    exit 2
  fi
  [ -x "$packager" ] || { echo "$0: $packager is missing (make setup installs shaka-packager)" >&2; exit 1; }
fi
command -v ffmpeg >/dev/null || { echo "$0: ffmpeg is not installed (Debian: apt-get install ffmpeg)" >&2; exit 1; }
if [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then
  echo "$0: $out exists and is not empty; choose a new directory" >&2
  exit 1
fi
mkdir -p "$out/dash"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 24 frames a second, a keyframe every second (so every 1 s segment starts with one),
# H.264 (Chromium, Safari and ffmpeg all play it) and AAC-LC at 48 kHz.
ffmpeg -nostdin -v error \
  -f lavfi -i "testsrc2=size=320x180:rate=24:duration=$seconds" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$seconds" \
  -filter_complex "[0:v]split=2[high][low0];[low0]scale=160:90[low]" \
  -map "[high]" -map "[low]" -map 1:a \
  -c:v libx264 -preset veryfast -profile:v main -pix_fmt yuv420p -g 24 -keyint_min 24 -sc_threshold 0 \
  -b:v:0 400k -b:v:1 150k -c:a aac -b:a 64k -ac 2 \
  -metadata title="Showrunner sample" "$work/mezzanine.mp4"

if [ -n "$key_file" ]; then
  # HLS with AES-128: master.m3u8 -> 180p/index.m3u8, 90p/index.m3u8, audio/index.m3u8, MPEG-TS segments,
  # each encrypted whole (the IV is the media sequence number), EXT-X-KEY URI "keys/<KEY_ID>" (from the
  # playlists' directory: ../keys/<KEY_ID>).
  printf '../keys/%s\n%s\n' "$key_id" "$(realpath "$key_file")" > "$work/key_info"
  rmdir "$out/dash"
  ffmpeg -nostdin -v error -i "$work/mezzanine.mp4" -map 0:v:0 -map 0:v:1 -map 0:a:0 -c copy \
    -f hls -hls_time 1 -hls_playlist_type vod -hls_segment_type mpegts -hls_key_info_file "$work/key_info" \
    -hls_segment_filename "$out/%v/seg-%03d.ts" -master_pl_name master.m3u8 \
    -var_stream_map "v:0,agroup:audio,name:180p v:1,agroup:audio,name:90p a:0,agroup:audio,name:audio,default:yes" \
    "$out/%v/index.m3u8"
  echo "$out: $seconds s, HLS (master.m3u8) encrypted with AES-128, key URI keys/$key_id"
  if [ -n "$cenc_file" ]; then
    # DASH, cenc (AES-CTR, every sample, no clear lead) under the second key, its KID in tenc and the MPD.
    mkdir "$out/dash"
    ( cd "$out" && "$packager" \
        "in=$work/mezzanine.mp4,stream=0,init_segment=dash/init-180p.m4s,segment_template=dash/chunk-180p-\$Number%05d\$.m4s" \
        "in=$work/mezzanine.mp4,stream=1,init_segment=dash/init-90p.m4s,segment_template=dash/chunk-90p-\$Number%05d\$.m4s" \
        "in=$work/mezzanine.mp4,stream=2,init_segment=dash/init-audio.m4s,segment_template=dash/chunk-audio-\$Number%05d\$.m4s" \
        --enable_raw_key_encryption --keys "label=:key_id=$cenc_id:key=$(od -An -tx1 "$cenc_file" | tr -d ' \n')" \
        --protection_scheme cenc --protection_systems CommonSystem --clear_lead 0 \
        --segment_duration 1 --generate_static_live_mpd --mpd_output manifest.mpd ) > "$work/packager.log" 2>&1 \
      || { grep -v "key=" "$work/packager.log" >&2; exit 1; }
    echo "$out: and DASH (manifest.mpd) encrypted with cenc, KID $cenc_id"
  fi
  exit 0
fi

# HLS: master.m3u8 -> 180p/index.m3u8, 90p/index.m3u8 (video) and audio/index.m3u8 (EXT-X-MEDIA).
ffmpeg -nostdin -v error -i "$work/mezzanine.mp4" -map 0:v:0 -map 0:v:1 -map 0:a:0 -c copy \
  -f hls -hls_time 1 -hls_playlist_type vod -hls_segment_type fmp4 -hls_fmp4_init_filename init.mp4 \
  -hls_segment_filename "$out/%v/seg-%03d.m4s" -master_pl_name master.m3u8 \
  -var_stream_map "v:0,agroup:audio,name:180p v:1,agroup:audio,name:90p a:0,agroup:audio,name:audio,default:yes" \
  "$out/%v/index.m3u8"

# DASH: manifest.mpd with one video adaptation set (two representations) and one audio set.
ffmpeg -nostdin -v error -i "$work/mezzanine.mp4" -map 0:v:0 -map 0:v:1 -map 0:a:0 -c copy \
  -f dash -seg_duration 1 -use_template 1 -use_timeline 1 -adaptation_sets "id=0,streams=v id=1,streams=a" \
  -init_seg_name "dash/init-\$RepresentationID\$.m4s" -media_seg_name "dash/chunk-\$RepresentationID\$-\$Number%05d\$.m4s" \
  "$out/manifest.mpd"

echo "$out: $seconds s, HLS (master.m3u8) and DASH (manifest.mpd)"
