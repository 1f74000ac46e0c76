#!/usr/bin/env python3
"""Writes the small hand-made seed inputs of the fuzz targets into fuzz/seeds/<target>/ (committed; each < 2 kB).
Run again after changing it: python3 fuzz/make-seeds.py. Text seeds taken from the repository (examples/,
models/calibration/, Tests fixtures) are not copied here: scripts/fuzz.sh adds them to the corpus at run time."""
import io, json, os, struct, zipfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")

def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

# ---- WAV: RIFF/WAVE, fmt chunk, optional other chunks, data chunk
def wav(tag, channels, rate, bits, frames, extra=b"", ext=False, truncate_data=False):
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 0xFFFE if ext else tag, channels, rate, rate * block, block, bits)
    if ext:
        guid = struct.pack("<H", tag) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
        fmt += struct.pack("<HHI", 22, bits, 0) + guid
    samples = bytearray()
    for i in range(frames * channels):
        v = ((i * 37) % 200 - 100) / 100.0
        if tag == 3:
            samples += struct.pack("<f" if bits == 32 else "<d", v)
        elif bits == 8:
            samples += struct.pack("<B", int(128 + 127 * v))
        elif bits == 16:
            samples += struct.pack("<h", int(32767 * v))
        elif bits == 24:
            samples += int(8388607 * v).to_bytes(3, "little", signed=True)
        else:
            samples += struct.pack("<i", int(2147483647 * v))
    data_size = len(samples) + (1000 if truncate_data else 0)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + extra + b"data" + struct.pack("<I", data_size) + bytes(samples)
    return b"RIFF" + struct.pack("<I", len(body)) + body

put("fuzz-wav", "pcm16-mono.wav", wav(1, 1, 16000, 16, 32))
put("fuzz-wav", "pcm16-stereo.wav", wav(1, 2, 16000, 16, 16))
put("fuzz-wav", "pcm8.wav", wav(1, 1, 8000, 8, 32))
put("fuzz-wav", "pcm24.wav", wav(1, 1, 44100, 24, 16))
put("fuzz-wav", "pcm32.wav", wav(1, 1, 48000, 32, 16))
put("fuzz-wav", "float32.wav", wav(3, 1, 16000, 32, 16))
put("fuzz-wav", "float64-stereo.wav", wav(3, 2, 22050, 64, 8))
put("fuzz-wav", "extensible.wav", wav(1, 1, 16000, 16, 16, ext=True))
put("fuzz-wav", "list-chunk-odd.wav", wav(1, 1, 16000, 16, 16, extra=b"LIST" + struct.pack("<I", 5) + b"INFOx\x00"))
put("fuzz-wav", "data-past-end.wav", wav(1, 1, 16000, 16, 16, truncate_data=True))

# ---- safetensors: u64 LE header length, JSON header, data
def safetensors(tensors, pad=True, meta=True):
    header, data = {}, b""
    if meta:
        header["__metadata__"] = {"format": "pt"}
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    while pad and len(h) % 8:
        h += b" "
    return struct.pack("<Q", len(h)) + h + data

f64 = lambda xs: b"".join(struct.pack("<d", x) for x in xs)
f32 = lambda xs: b"".join(struct.pack("<f", x) for x in xs)
put("fuzz-safetensors", "f64.safetensors", safetensors([("layer.weight", "F64", [2, 3], f64([1, -2, 3.5, 0, 1e-3, 7])),
                                                       ("layer.bias", "F64", [2], f64([0.5, -0.5]))]))
put("fuzz-safetensors", "f32.safetensors", safetensors([("w", "F32", [3], f32([1, 2, 3]))], pad=False))
put("fuzz-safetensors", "ints.safetensors", safetensors([("a", "I64", [2], struct.pack("<qq", -1, 2**40)),
                                                        ("b", "I32", [1], struct.pack("<i", -7)),
                                                        ("c", "I16", [2], struct.pack("<hh", 1, -1)),
                                                        ("d", "I8", [1], b"\xff"), ("e", "U8", [2], b"\x01\xfe"),
                                                        ("f", "BOOL", [2, 1], b"\x00\x01")], meta=False))
put("fuzz-safetensors", "scalar-empty.safetensors", safetensors([("s", "F64", [], f64([3])), ("z", "F32", [0], b"")]))

# ---- npy (versions 1, 2, 3) and npz
def npy(descr, shape, raw, fortran=False, version=1):
    shape_text = "(%d,)" % shape[0] if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, "True" if fortran else "False", shape_text)
    lenbytes = 2 if version == 1 else 4
    while (6 + 2 + lenbytes + len(header) + 1) % 64:
        header += " "
    header += "\n"
    h = header.encode("latin1" if version < 3 else "utf8")
    return b"\x93NUMPY" + bytes([version, 0]) + (struct.pack("<H", len(h)) if version == 1 else struct.pack("<I", len(h))) + h + raw

npys = {
    "f8": npy("<f8", [2, 3], f64([1, 2, 3, 4, 5, 6])),
    "f4": npy("<f4", [3], f32([0.5, 1.5, -2])),
    "f8-big-fortran": npy(">f8", [2, 2], b"".join(struct.pack(">d", x) for x in [1, 3, 2, 4]), fortran=True),
    "u1": npy("|u1", [4], b"\x00\x01\x02\xff"),
    "b1": npy("|b1", [2], b"\x01\x00"),
    "i8-v2": npy("<i8", [2], struct.pack("<qq", 5, -5), version=2),
    "f8-v3-scalar": npy("<f8", [], f64([9]), version=3),
}
for name, data in npys.items():
    put("fuzz-npy", name + ".npy", data)

def npz(entries, method):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", compression=method) as z:
        for name, data in entries:
            z.writestr(name, data)
    return b.getvalue()

put("fuzz-npz", "stored.npz", npz([("layer.weight.npy", npys["f8"]), ("layer.bias.npy", npys["f4"])], zipfile.ZIP_STORED))
put("fuzz-npz", "deflated.npz", npz([("w.npy", npys["f8-big-fortran"]), ("s.npy", npys["b1"])], zipfile.ZIP_DEFLATED))
put("fuzz-npz", "one-u1.npz", npz([("x.npy", npys["u1"])], zipfile.ZIP_DEFLATED))

# ---- batch manifests: forms the examples do not show (they are added at run time from examples/)
put("fuzz-batch-json", "noise-files.json", json.dumps({
    "format": "bmru-batch", "version": 1, "name": "n",
    "networks": ["tiny.json"], "stimuli": [{"file": "tiny.csv"}, {"random": {"frames": 3, "seed": 1}}],
    "corners": ["typical"], "temperatures": [27], "vdds": [1.8, 1.7],
    "noise": {"sigma": [0, 0.1], "samples": 2, "seed": 3}, "calibration": "none", "timeout_s": 5}, indent=1))
put("fuzz-batch-yaml", "anchors.yaml", "format: bmru-batch\nversion: 1\nnetworks: [tiny.json]\nstimuli:\n  - tiny.csv\n"
    "  - {random: {frames: 4, seed: 2, density: 0.5}}\ncorners: &c [typical, ff]\ntemperatures: [27, 60]\n"
    "mismatch: {samples: 2, seed: 40, nominal: false}\ncalibration: none\n")
put("fuzz-batch-yaml", "block-styles.yaml", "---\nformat: \"bmru-batch\"\nversion: !!int 1\ncomment: |\n  two\n  lines\n"
    "networks:\n- tiny.json\nstimuli:\n- file: tiny.csv\nvdds: [1.8]\nthresholds: {margin: 0.1}\n...\n")

# ---- stimulus: forms the examples do not show
put("fuzz-stimulus", "frame-column-crlf.csv", "frame,x0,x1\r\n0,0.5,1\r\n1,1e-3,0\r\n")
put("fuzz-stimulus", "spaces.csv", " a , b \n 1 , 2 \n\n  \n")
