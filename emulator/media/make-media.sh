#!/usr/bin/env bash
# Makes the emulator's video segments and their thumbnails: 1 s each, 256x144, 24 fps, H.264
# constrained baseline, one IDR at the start of each, no B-frames, no audio, identical encoder settings so that the
# emulator can join them sample by sample. Needs ffmpeg (Debian package); run once, commit output.
set -euo pipefail
cd "$(dirname "$0")"
sources=(
  "testsrc2=size=256x144:rate=24"
  "mandelbrot=size=256x144:rate=24"
  "smptebars=size=256x144:rate=24"
  "testsrc=size=256x144:rate=24"
  "cellauto=size=256x144:rate=24:rule=110"
  "rgbtestsrc=size=256x144:rate=24"
)
for i in "${!sources[@]}"; do
  ffmpeg -loglevel error -y -f lavfi -i "${sources[$i]}" -t 1 \
    -vf "drawbox=x=0:y=0:w=256:h=22:color=black@0.6:t=fill,drawtext=text='segment $i':x=6:y=4:fontsize=14:fontcolor=white" \
    -c:v libx264 -profile:v baseline -level 3.0 -pix_fmt yuv420p -g 24 -keyint_min 24 -sc_threshold 0 \
    -bf 0 -x264-params "nal-hrd=none:aud=0" -an -movflags +faststart "seg$i.mp4"
  # The first frame as the thumbnail of every video that opens with this segment.
  ffmpeg -loglevel error -y -i "seg$i.mp4" -frames:v 1 -q:v 5 "thumb$i.jpg"
done
ls -l seg*.mp4 thumb*.jpg
