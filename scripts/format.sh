#!/usr/bin/env bash
# Formats the C sources, or checks that they are formatted (CI):
#
#   scripts/format.sh            # rewrites every file that is not formatted
#   scripts/format.sh --check    # lists them and exits 1 (nothing written)
#   scripts/format.sh FILE...    # only these files
#
# Two styles, one per part of the tree (see README.md, "Code style"):
#  - GStreamer's (gst-indent: GNU indent with GStreamer's options) for the GStreamer code:
#    gst-plugin/, tools/, tests/gst/ — as gst-plugins-good is written;
#  - .clang-format (clang-format 14) for the engine and its tests and benchmarks: nn/,
#    tests/*.c, tests/fuzz/, bench/*.c.
# Needs the Debian packages indent and clang-format (scripts/deps.sh test installs them).
set -uo pipefail
cd "$(dirname "$0")/.."

check=0
files=()
for a in "$@"; do
  case "$a" in
    --check) check=1 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) files+=("$a") ;;
  esac
done
if [ ${#files[@]} -eq 0 ]; then
  mapfile -t files < <(git ls-files -- '*.c' '*.h')
fi

for tool in indent clang-format; do
  command -v "$tool" >/dev/null || { echo "format.sh: $tool not found (apt-get install ${tool/clang-format/clang-format})" >&2; exit 2; }
done

# GStreamer's gst-indent options for GNU indent; run twice, as one pass is not always stable.
gst_indent() { # gst_indent IN OUT
  local opts=(--braces-on-if-line --case-brace-indentation0 --case-indentation2
              --braces-after-struct-decl-line --line-length80 --no-tabs --cuddle-else
              --dont-line-up-parentheses --continuation-indentation4 --honour-newlines
              --tab-size8 --indent-level2 --leave-preprocessor-space)
  indent "${opts[@]}" -st "$1" | indent "${opts[@]}" -st - > "$2"
}

style_of() { # the style a file is kept in: gst, clang or none
  case "$1" in
    gst-plugin/*|tools/*|tests/gst/*) echo gst ;;
    nn/*|tests/*|bench/*) echo clang ;;
    *) echo none ;;
  esac
}

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
bad=0
for f in "${files[@]}"; do
  case "$f" in *.c|*.h) ;; *) continue ;; esac
  [ -f "$f" ] || continue
  case $(style_of "$f") in
    gst) gst_indent "$f" "$tmp" || { echo "format.sh: indent failed on $f" >&2; exit 2; } ;;
    clang) clang-format --style=file "$f" > "$tmp" || { echo "format.sh: clang-format failed on $f" >&2; exit 2; } ;;
    *) continue ;;
  esac
  if ! cmp -s "$f" "$tmp"; then
    bad=$((bad + 1))
    if [ $check -eq 1 ]; then
      echo "not formatted: $f"
      diff -u "$f" "$tmp" | sed -n '3,12p'
    else
      cat "$tmp" > "$f"
      echo "formatted: $f"
    fi
  fi
done
if [ $check -eq 1 ] && [ $bad -gt 0 ]; then
  echo "format.sh: $bad file(s) not formatted; run scripts/format.sh" >&2
  exit 1
fi
exit 0
