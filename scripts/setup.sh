#!/usr/bin/env bash
# Install the system packages AnalogBMRU needs (ngspice, its shared library, espeak-ng for `bmru kws synth`,
# python3 with numpy for the Python exporter in python/ and its tests) when missing.
# `setup.sh test` (what `make test` runs) also wants chromium: the report tests render report.html in a
# headless browser. `make build` and `make demo` do not need it.
set -euo pipefail
mode=${1:-}
case $mode in
  ""|test) ;;
  *) echo "usage: $0 [test]" >&2; exit 2 ;;
esac
missing=()
command -v ngspice >/dev/null 2>&1 || missing+=(ngspice)
{ [ -f /usr/include/ngspice/sharedspice.h ] && ls /usr/lib/*/libngspice.so* >/dev/null 2>&1; } || missing+=(libngspice0-dev)
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
{ command -v python3 >/dev/null 2>&1 && python3 -c 'import numpy' >/dev/null 2>&1; } || missing+=(python3-numpy)
packages="ngspice libngspice0-dev espeak-ng python3-numpy"
if [ "$mode" = test ]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  packages+=" chromium"
fi
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${missing[*]} with apt-get ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${missing[@]}" >&2
else
  echo "error: missing ${missing[*]}; run: sudo apt-get install -y $packages" >&2
  exit 2
fi
