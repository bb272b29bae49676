#!/usr/bin/env bash
# Makes the small real files the sniffing tests read (crates/media/tests/fixtures/sniff/).
#
# Why real files: sniffing decides by content, so the tests must feed it what encoders actually
# write, not bytes we imagined. Each file is a few hundred bytes to a few KB and is committed; run
# this again only to add or refresh one. Needs Debian's `ffmpeg` and `chromium`.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$here/tests/fixtures/sniff"
mkdir -p "$out"
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
img="color=c=0x3366cc:s=16x16"
tone="sine=frequency=440:duration=0.5:sample_rate=48000"

# Images: the four formats channels accept, plus a static and an animated WebP (sticker limits).
ff -f lavfi -i "$img" -frames:v 1 "$out/pixel.png"
ff -f lavfi -i "$img" -frames:v 1 "$out/pixel.jpg"
ff -f lavfi -i "$img" -frames:v 1 "$out/pixel.gif"
ff -f lavfi -i "$img" -frames:v 1 -c:v libwebp "$out/static.webp"
ff -f lavfi -i "testsrc=s=16x16:r=4:d=1" -c:v libwebp_anim -loop 0 "$out/animated.webp"

# Audio in every container a channel names, encoded for real.
ff -f lavfi -i "$tone" -c:a libmp3lame -b:a 32k "$out/tone.mp3"
ff -f lavfi -i "$tone" -c:a aac -b:a 32k -f adts "$out/tone.aac"
ff -f lavfi -i "$tone" -c:a pcm_s16le -ar 8000 "$out/tone.wav"
ff -f lavfi -i "$tone" -c:a libvorbis -b:a 32k "$out/tone-vorbis.ogg"
ff -f lavfi -i "$tone" -c:a libopus -b:a 24k "$out/tone-opus.ogg"
ff -f lavfi -i "$tone" -c:a aac -b:a 32k "$out/tone.m4a"
# Safari's MediaRecorder writes fragmented MP4 with AAC; this is its stand-in for the voice tests.
ff -f lavfi -i "$tone" -c:a aac -b:a 32k -movflags +frag_keyframe+empty_moov+default_base_moof \
  -f mp4 "$here/tests/fixtures/safari-like-aac.mp4"

# Video: H.264 in MP4 and in 3GPP, and a VP8 WebM (video, not an audio recording).
ff -f lavfi -i "testsrc=s=16x16:r=4:d=0.5" -f lavfi -i "$tone" -shortest -c:v libx264 \
  -pix_fmt yuv420p -c:a aac -b:a 16k "$out/clip.mp4"
ff -f lavfi -i "testsrc=s=16x16:r=4:d=0.5" -f lavfi -i "sine=frequency=440:duration=0.5:sample_rate=8000" \
  -shortest -c:v libx264 -pix_fmt yuv420p -c:a aac -ac 1 -b:a 12k -f 3gp "$out/clip.3gp"
ff -f lavfi -i "testsrc=s=16x16:r=4:d=0.5" -c:v libvpx -b:v 50k "$out/clip.webm" 2>/dev/null \
  || echo "libvpx missing: clip.webm not made"

# A PDF as a browser prints it.
printf '<p>Factura A-100</p>' > "$out/invoice.html"
chromium --headless=new --no-sandbox --disable-gpu --no-pdf-header-footer \
  --print-to-pdf="$out/invoice.pdf" "file://$out/invoice.html" 2>/dev/null
rm "$out/invoice.html"
ls -l "$out"
