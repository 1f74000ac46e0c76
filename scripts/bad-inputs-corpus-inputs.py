#!/usr/bin/env python3
"""Writes the input-handling cases of Tests/Fixtures/bad-inputs/ (network, stimulus, wav, calibration,
manifest) and the shared files they use (_shared/tiny.json, _shared/tiny3.csv). Re-running it rewrites the
same files. Each case: the input file(s) and case.json {args, exit, stderr, why}."""
import json, os, struct, sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
BAD = os.path.join(ROOT, "Tests", "Fixtures", "bad-inputs")
TINY = open(os.path.join(ROOT, "examples", "tiny.json")).read()
count = 0


def case(kind, name, files, args, stderr, why, exit=2):
    global count
    d = os.path.join(BAD, kind, name)
    os.makedirs(d, exist_ok=True)
    for fname, content in files.items():
        mode = "wb" if isinstance(content, bytes) else "w"
        with open(os.path.join(d, fname), mode) as f:
            f.write(content)
        assert os.path.getsize(os.path.join(d, fname)) < (50_000 if kind == "wav" else 10_000), (kind, name, fname)
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump({"args": args, "exit": exit, "stderr": stderr, "why": why}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    count += 1


def tiny(old, new):
    assert old in TINY, old
    return TINY.replace(old, new)


# ---------------------------------------------------------------- shared files
os.makedirs(os.path.join(BAD, "_shared"), exist_ok=True)
open(os.path.join(BAD, "_shared", "tiny.json"), "w").write(TINY)
open(os.path.join(BAD, "_shared", "tiny3.csv"), "w").write("x0,x1\n0.2,0.1\n0.8,0.2\n0.5,0.9\n")

W00 = "[[1.0, -0.4]"
VALIDATE = ["validate", "net.json"]
NETLIST = ["netlist", "net.json", "-o", "{out}"]
COSIM = ["cosim", "net.json", "--input", "tiny3.csv", "--out", "{out}"]
MODEL = ["model", "net.json", "--input", "tiny3.csv", "-o", "{out}"]

# ---------------------------------------------------------------- network: absurd values, operating range
net_cases = [
    ("weight-1e19-validate", W00, "[[1e19, -0.4]", VALIDATE, "layers[0].weights[0][0]", "a weight of 1e19 used to pass validate and crash netlist (Double to Int in the finger count)"),
    ("weight-1e19-netlist", W00, "[[1e19, -0.4]", NETLIST, "layers[0].weights[0][0]", "netlist trapped with SIGILL on a weight of 1e19; now exit 2 naming the weight, no deck"),
    ("weight-1e19-model", W00, "[[1e19, -0.4]", MODEL, "layers[0].weights[0][0]", "network values beyond ±1e6 units are refused by every command, the ideal model too"),
    ("weight-1e10-validate", W00, "[[1e10, -0.4]", VALIDATE, "layers[0].weights[0][0]", "a weight of 1e10 emitted m=9866307896 fingers; beyond the format's ±1e6 limit"),
    ("weight-1e10-cosim", W00, "[[1e10, -0.4]", COSIM, "layers[0].weights[0][0]", "cosim emits the same deck as netlist and must refuse before simulating"),
    ("weight-1000-fingers-validate", W00, "[[1000, -0.4]", VALIDATE, "layers[0].weights[0][0]", "|w| = 1000 needs 990 fingers, beyond the hard limit of 256 per weight"),
    ("weight-1000-fingers-netlist", W00, "[[1000, -0.4]", NETLIST, "layers[0].weights[0][0]", "netlist refuses a weight beyond 256 fingers before writing a deck"),
    ("weight-259-fingers", W00, "[[259, -0.4]", VALIDATE, "layers[0].weights[0][0]", "|w| = 259 needs 257 fingers (m = ceil(0.9896 |w|)), one more than the limit"),
    ("weight-negative-1000-cosim", W00, "[[-1000, -0.4]", COSIM, "layers[0].weights[0][0]", "negative weights are sized by magnitude: -1000 is 990 fingers too"),
    ("bias-1e6-validate", "\"bias\": [0.1, 0.05]", "\"bias\": [0.1, 1e6]", VALIDATE, "layers[0].bias[1]", "a bias of 1e6 units at 1 nA is 1 mA, beyond the 1 µA current limit"),
    ("bias-1e6-netlist", "\"bias\": [0.1, 0.05]", "\"bias\": [0.1, 1e6]", NETLIST, "layers[0].bias[1]", "netlist refuses a 1 mA bias source"),
    ("bias-2e6-format-limit", "\"bias\": [0.1, 0.05]", "\"bias\": [0.1, -2e6]", VALIDATE, "layers[0].bias[1]", "beyond the network format's ±1e6 units"),
    ("bias-2000-current", "\"bias\": [0.2, 0.1]", "\"bias\": [0.2, -2000]", VALIDATE, "layers[2].bias[1]", "2000 units at 1 nA is 2 µA, more than the 1 µA hard current limit"),
    ("theta-high-2000", "\"theta_high\": [0.6, 0.7]", "\"theta_high\": [2000, 0.7]", VALIDATE, "layers[1].theta_high[0]", "a threshold of 2 µA cannot be built by the subthreshold cell"),
    ("level-5000", "\"level\": [1.0, 0.8]", "\"level\": [1.0, 5000]", VALIDATE, "layers[1].level[1]", "a level of 5 µA is beyond the hard current limit"),
    ("unit-current-1e-12", "\"unit_current\": 1e-9", "\"unit_current\": 1e-12", VALIDATE, "unit_current", "at 1 pA the 0.13 pA leakage floor is 13 % of a unit; the hard minimum is 10 pA"),
    ("unit-current-1e-12-netlist", "\"unit_current\": 1e-9", "\"unit_current\": 1e-12", NETLIST, "unit_current", "netlist refuses a unit current below 10 pA"),
    ("unit-current-1e-3", "\"unit_current\": 1e-9", "\"unit_current\": 1e-3", VALIDATE, "unit_current", "1 mA puts the weak-inversion devices deep in strong inversion; the hard maximum is 1 µA"),
    ("unit-current-1e-3-cosim", "\"unit_current\": 1e-9", "\"unit_current\": 1e-3", COSIM, "unit_current", "cosim of a 1 mA unit current passed with 25 % current error; now refused"),
    ("unit-current-2e-6", "\"unit_current\": 1e-9", "\"unit_current\": 2e-6", VALIDATE, "unit_current", "just above the 1 µA hard limit"),
    ("frame-period-1e-9", "\"frame_period\": 0.01", "\"frame_period\": 1e-9", VALIDATE, "frame_period", "1 ns is 1e-4 settling time constants at 1 nA (τ = 12 µs); at least 5 are needed"),
    ("frame-period-1e-9-netlist", "\"frame_period\": 0.01", "\"frame_period\": 1e-9", NETLIST, "frame_period", "netlist refuses frames far shorter than the settling time"),
    ("frame-period-5e-5", "\"frame_period\": 0.01", "\"frame_period\": 5e-5", VALIDATE, "frame_period", "50 µs is 4.2 time constants at 1 nA, below the hard 5 τ (60 µs)"),
    ("frame-period-200s", "\"frame_period\": 0.01", "\"frame_period\": 200", VALIDATE, "frame_period", "longer than the 100 s hard limit on a frame"),
    ("frame-period-1e300-netlist", "\"frame_period\": 0.01", "\"frame_period\": 1e300", NETLIST, "frame_period", "an absurd frame period would give a deck with an infinite stop time"),
    ("frame-period-zero", "\"frame_period\": 0.01", "\"frame_period\": 0", VALIDATE, "frame_period", "a frame period must be > 0 (already refused)"),
    ("unit-current-negative", "\"unit_current\": 1e-9", "\"unit_current\": -1e-9", VALIDATE, "unit_current", "a negative unit current (already refused)"),
    ("weight-1e400", W00, "[[1e400, -0.4]", VALIDATE, "layers[0].weights[0][0]", "a JSON number beyond Double reads as infinity and is not finite (already refused)"),
    ("weight-nan-syntax", W00, "[[NaN, -0.4]", VALIDATE, "line 9", "NaN is not JSON; the error gives line and column (already refused)"),
    ("theta-order", "\"theta_high\": [0.6, 0.7]", "\"theta_high\": [0.2, 0.7]", VALIDATE, "layers[1].theta_low[0]", "θ_low above θ_high (already refused)"),
    ("unit-current-string", "\"unit_current\": 1e-9", "\"unit_current\": \"1e-9\"", VALIDATE, "unit_current", "a quoted number is a string, not a number (already refused)"),
]
for name, old, new, args, field, why in net_cases:
    case("network", name, {"net.json": tiny(old, new)}, args, ["net.json", field], why)

# frame period that is fine at 1 nA but below 5 τ at 0.1 nA
case("network", "frame-period-1e-4-at-100pA",
     {"net.json": tiny("\"unit_current\": 1e-9", "\"unit_current\": 1e-10").replace("\"frame_period\": 0.01", "\"frame_period\": 1e-4")},
     VALIDATE, ["net.json", "frame_period"], "at 0.1 nA τ = 120 µs, so a 100 µs frame is less than one settling time constant")
case("network", "truncated-json", {"net.json": TINY[:300]}, VALIDATE, ["net.json", "line"], "a truncated network file is a syntax error with line and column (already refused)")

# ---------------------------------------------------------------- stimulus
MODEL_T = ["model", "tiny.json", "--input", "stim.csv", "-o", "{out}"]
COSIM_T = ["cosim", "tiny.json", "--input", "stim.csv", "--out", "{out}"]
NETLIST_T = ["netlist", "tiny.json", "--input", "stim.csv", "-o", "{out}"]
stim_cases = [
    ("hex-model", "x0,x1\n0x10,0\n", MODEL_T, "line 2, column 1", "Double(\"0x10\") is 16; only decimal numbers are accepted"),
    ("hex-cosim", "x0,x1\n0.1,0.2\n0.5,0x10\n", COSIM_T, "line 3, column 2", "cosim reads the same stimulus format"),
    ("hex-netlist", "x0,x1\n0x1p3,0\n", NETLIST_T, "line 2, column 1", "hexadecimal floating point (0x1p3 = 8) is refused too"),
    ("huge-1e308-model", "x0,x1\n0,1e308\n", MODEL_T, "line 2, column 2", "1e308 units was accepted by model; inputs are bounded to ±1000 units"),
    ("huge-1e308-cosim", "x0,x1\n0,1e308\n", COSIM_T, "line 2, column 2", "cosim blamed the network file for a 1e308 input; the error now names the stimulus"),
    ("overflow-1e999", "x0,x1\n1e999,0\n", MODEL_T, "line 2, column 1", "a decimal number beyond Double is outside the input range"),
    ("inf", "x0,x1\ninf,0\n", MODEL_T, "line 2, column 1", "inf is not a decimal number"),
    ("negative-infinity", "x0,x1\n0,-Infinity\n", MODEL_T, "line 2, column 2", "-Infinity is not a decimal number"),
    ("nan", "x0,x1\n0.5,0.5\nnan,0\n", MODEL_T, "line 3, column 1", "nan is not a decimal number"),
    ("nan-upper-cosim", "x0,x1\nNaN,0\n", COSIM_T, "line 2, column 1", "NaN is not a decimal number"),
    ("above-1000", "x0,x1\n1000.5,0\n", MODEL_T, "line 2, column 1", "more than the ±1000 units input bound"),
    ("below-minus-1000-netlist", "x0,x1\n0,-5000\n", NETLIST_T, "line 2, column 2", "less than -1000 units"),
    ("underscore-digits", "x0,x1\n1_000,0\n", MODEL_T, "line 2, column 1", "digit separators are not decimal numbers"),
    ("two-points", "x0,x1\n1.2.3,0\n", MODEL_T, "line 2, column 1", "not a number (already refused)"),
    ("word", "x0,x1\n0.1,abc\n", MODEL_T, "line 2, column 2", "not a number (already refused)"),
    ("empty-cell", "x0,x1\n0.1,\n", MODEL_T, "line 2, column 2", "an empty cell is not a number (already refused)"),
    ("header-only-model", "x0,x1\n", MODEL_T, "line 2", "a header without rows is zero frames"),
    ("header-only-cosim", "x0,x1\n", COSIM_T, "no frames", "a cosim of zero frames PASSED; zero frames is an error"),
    ("header-only-netlist", "x0,x1\n", NETLIST_T, "no frames", "a deck of zero frames is refused"),
    ("header-and-blank-lines", "x0,x1\n\n   \n", COSIM_T, "no frames", "trailing blank lines are not frames"),
    ("frame-index-hex", "frame,x0,x1\n0x0,0.1,0.2\n", MODEL_T, "line 2, column 1", "the frame index column must be a decimal number too"),
    ("wrong-column-count", "x0,x1\n0.1,0.2\n0.3\n", MODEL_T, "line 3", "a row with too few columns (already refused)"),
    ("header-width", "x0,x1,x2\n0.1,0.2,0.3\n", MODEL_T, "line 1", "three input columns for a 2-input network (already refused)"),
    ("empty-file", "", MODEL_T, "empty", "an empty file has no header (already refused)"),
]
for name, text, args, field, why in stim_cases:
    case("stimulus", name, {"stim.csv": text}, args, ["stim.csv", field], why)
case("stimulus", "not-utf8", {"stim.csv": b"x0,x1\n0.1,\xff\n"}, MODEL_T, ["stim.csv", "UTF-8"], "bytes that are not UTF-8 (already refused)")
case("stimulus", "input-current-above-1uA",
     {"net.json": tiny("\"unit_current\": 1e-9", "\"unit_current\": 3e-9"), "stim.csv": "x0,x1\n0.5,0.5\n0.1,500\n"},
     ["netlist", "net.json", "--input", "stim.csv", "-o", "{out}"], ["stim.csv", "stimulus.frames[1][1]"],
     "500 units at 3 nA is 1.5 µA of input, more than the 1 µA hard current limit; the error names the stimulus")

# ---------------------------------------------------------------- wav
def wav(rate=16000, samples=100, channels=1, bits=16, tag=1, riff=None, data_size=None, data_bytes=None, extra=b"", fmt_size=16):
    nbytes = data_bytes if data_bytes is not None else samples * channels * bits // 8
    fmt = struct.pack("<HHIIHH", tag, channels, rate, (rate * channels * bits // 8) & 0xFFFFFFFF, channels * bits // 8, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", fmt_size) + fmt[:fmt_size] + extra
    body += b"data" + struct.pack("<I", nbytes if data_size is None else data_size)
    pcm = bytes((i * 37) % 251 for i in range(nbytes))
    body += pcm
    return b"RIFF" + struct.pack("<I", (len(body) if riff is None else riff)) + body

FEAT = ["kws", "features", "clip.wav", "-o", "{out}"]
wav_cases = [
    ("rate-1hz", wav(rate=1), "fmt.sample_rate", "a 1 Hz WAV took 67 s and 1.8 GB and wrote 1.6 million frames"),
    ("rate-0", wav(rate=0), "fmt.sample_rate", "a sample rate of 0"),
    ("rate-3999", wav(rate=3999), "fmt.sample_rate", "just below the 4 kHz minimum"),
    ("rate-384k", wav(rate=384000), "fmt.sample_rate", "above the 192 kHz maximum"),
    ("rate-4g", wav(rate=0xFFFFFFFF), "fmt.sample_rate", "a sample rate field of 2^32 - 1"),
    ("ten-samples", wav(samples=10), "data.size", "10 samples gave an empty stimulus; zero frames is an error"),
    ("one-window-short", wav(samples=399), "data.size", "399 samples at 16 kHz are shorter than the 400-sample analysis window"),
    ("truncated-data", wav(samples=1000)[:1044 - 800], "data.size", "the data chunk claims 2000 bytes, 200 are present: the file was cut"),
    ("data-size-4gb", wav(samples=100, data_size=0xFFFFFFFF), "data.size", "a data size field claiming 4 GB was read silently"),
    ("riff-size-4gb", wav(samples=100, riff=0xFFFFFFF0), "riff.size", "a RIFF size field claiming 4 GB was read silently"),
    ("list-chunk-4gb", wav(samples=100, extra=b"LIST" + struct.pack("<I", 0xFFFFFFFF) + b"INFOxxxx"), "LIST.size", "an extra chunk whose size runs far past the end of the file"),
    ("empty-data", wav(samples=0), "data.size", "a data chunk without samples (already refused)"),
    ("channels-0", wav(channels=0, samples=0, data_bytes=200), "fmt.channels", "zero channels"),
    ("channels-16", wav(channels=16, samples=10), "fmt.channels", "more than 8 channels"),
    ("bits-12", wav(bits=12, samples=10, data_bytes=20), "fmt.bits_per_sample", "12-bit PCM is not a supported encoding"),
    ("mu-law", wav(tag=7, bits=8, samples=100), "fmt.format_tag", "mu-law (format tag 7) is not PCM or float"),
    ("truncated-fmt", (b"RIFF" + struct.pack("<I", 22) + b"WAVEfmt " + struct.pack("<I", 16) + b"\x01\x00\x01\x00\x80\x3e"), "fmt.size", "the fmt chunk is cut short (already refused)"),
]
for name, data, field, why in wav_cases:
    case("wav", name, {"clip.wav": data}, FEAT, ["clip.wav", field], why)
case("wav", "no-data-chunk", {"clip.wav": b"RIFF" + struct.pack("<I", 28) + b"WAVEfmt " + struct.pack("<I", 16) + struct.pack("<HHIIHH", 1, 1, 16000, 32000, 2, 16)},
     FEAT, ["clip.wav", "no data chunk"], "fmt but no data chunk (already refused)")
case("wav", "not-riff", {"clip.wav": b"OggS" + bytes(60)}, FEAT, ["clip.wav", "not a RIFF"], "another container (already refused)")
case("wav", "empty-file", {"clip.wav": b""}, FEAT, ["clip.wav", "empty"], "an empty file (already refused)")

# ---------------------------------------------------------------- calibration (a small table of the right shape)
def calib():
    pt = lambda th, wd, lv: {"thetaHighBias": th, "widthBias": wd, "levelBias": lv, "switchUp": th * 0.98,
                             "switchDown": th * 0.98 - wd, "levelOn": lv * 1.01, "levelOff": 5e-5}
    return {
        "format": "bmru-calibration", "version": 1, "generator": "corpus", "corner": "typical",
        "temperatureC": 27, "vdd": 1.8,
        "modelFiles": {"design.ngspice": "0" * 64, "sm141064.ngspice": "1" * 64},
        "cellLibrarySHA256": "2" * 64,
        "mirror": {"currentsA": [1e-10, 1e-9], "fingerWidthsUm": [1.2, 7.918],
                   "positive": [[1.0, 1.01], [0.99, 1.0]], "negative": [[1.0, 1.0], [1.0, 1.0]],
                   "cascoded": [[1.0, 1.0], [1.0, 1.0]], "leakageA": 1.3e-13},
        "cells": [{"unitCurrentA": 1e-9, "points": [pt(0.5, 0.2, 1.0), pt(1.0, 0.5, 2.0)]}],
        "settling": [{"currentA": 1e-10, "tauS": 1.2e-4}, {"currentA": 1e-9, "tauS": 1.3e-5}],
        "devices": {"nmosSlopeV": 0.0366, "pmosSlopeV": 0.0385, "nmosDelvtoSensitivity": -27.2,
                    "pmosDelvtoSensitivity": 25.8, "nmosAVT": 0.00513, "pmosAVT": 0.00488, "nmosAVTModel": 0.00505,
                    "pmosAVTModel": 0.00471, "monteCarloInstances": 400, "mismatchDeltaWUm": -0.1, "mismatchDeltaLUm": 0.15},
    }

def setp(d, path, value):
    keys = path.replace("]", "").replace("[", ".").split(".")
    for k in keys[:-1]:
        d = d[int(k)] if k.isdigit() else d[k]
    k = keys[-1]
    if value is DELETE:
        del d[k]
    elif k.isdigit():
        d[int(k)] = value
    else:
        d[k] = value

DELETE = object()
NETLIST_C = ["netlist", "tiny.json", "-o", "{out}", "--calibration", "cal.json"]
cal_cases = [
    ("switch-up-1e300", "cells[0].points[0].switchUp", 1e300, "cells[0].points[0].switchUp", "a table with switchUp 1e300 was accepted"),
    ("switch-up-factor-3", "cells[0].points[1].switchUp", 3.0, "cells[0].points[1].switchUp", "a switch-up 3 × its bias is no measurement of this cell"),
    ("switch-down-above-up", "cells[0].points[0].switchDown", 0.9, "cells[0].points[0].switchDown", "the switch-down point must lie below the switch-up point"),
    ("level-on-zero", "cells[0].points[0].levelOn", 0, "cells[0].points[0].levelOn", "a measured level must be positive"),
    ("level-off-2", "cells[0].points[1].levelOff", 2.0, "cells[0].points[1].levelOff", "the off level (leakage) must be below 1 unit"),
    ("leakage-1a", "mirror.leakageA", 1.0, "mirror.leakageA", "a leakage of 1 A is not a subthreshold measurement"),
    ("mirror-factor-5", "mirror.positive[0][1]", 5.0, "mirror.positive[0][1]", "a mirror factor outside (0.5, 2)"),
    ("mirror-current-negative", "mirror.currentsA[0]", -1e-10, "mirror.currentsA[0]", "a negative grid current"),
    ("mirror-currents-descending", "mirror.currentsA[1]", 1e-11, "mirror.currentsA[1]", "the grid currents must ascend"),
    ("mirror-width-100um", "mirror.fingerWidthsUm[1]", 100.0, "mirror.fingerWidthsUm[1]", "a finger width outside the device's model bins"),
    ("mirror-row-short", "mirror.negative[1]", [1.0], "mirror.negative[1]", "a factor row with one entry for two widths"),
    ("cell-unit-current-1", "cells[0].unitCurrentA", 1.0, "cells[0].unitCurrentA", "a unit current of 1 A"),
    ("cell-unit-current-string", "cells[0].unitCurrentA", "1e-9", "cells[0].unitCurrentA", "a quoted number is the wrong type"),
    ("settling-tau-1e9", "settling[1].tauS", 1e9, "settling[1].tauS", "a settling time of 30 years"),
    ("vdd-1e300", "vdd", 1e300, "vdd", "an absurd supply voltage"),
    ("temperature-1000", "temperatureC", 1000, "temperatureC", "1000 °C"),
    ("avt-5", "devices.nmosAVT", 5.0, "devices.nmosAVT", "a Pelgrom coefficient of 5 V·µm"),
    ("slope-zero", "devices.pmosSlopeV", 0, "devices.pmosSlopeV", "a subthreshold slope of 0 V"),
    ("monte-carlo-negative", "devices.monteCarloInstances", -5, "devices.monteCarloInstances", "a negative instance count"),
    ("version-fraction", "version", 1.5, "version", "a non-integer version"),
    ("model-sha-not-hex", "modelFiles.design.ngspice", "xyz", "modelFiles.design.ngspice", "a model fingerprint that is not a sha256"),
    ("missing-mirror", "mirror", DELETE, "mirror", "a required table is missing"),
    ("missing-tau", "settling[0].tauS", DELETE, "settling[0].tauS", "a required value is missing"),
    ("format-other", "format", "bmru-network", "format", "another file format (already refused)"),
]
for name, path, value, field, why in cal_cases:
    d = calib()
    if path == "modelFiles.design.ngspice":
        d["modelFiles"]["design.ngspice"] = value
    else:
        setp(d, path, value)
    case("calibration", name, {"cal.json": json.dumps(d, indent=2) + "\n"}, NETLIST_C, ["cal.json", field], why)

text = json.dumps(calib(), indent=2) + "\n"
i = text.index("1.01")
line = text[:i].count("\n") + 1
col = i - (text.rfind("\n", 0, i) + 1) + 1
case("calibration", "nan", {"cal.json": text[:i] + "NaN" + text[i + 4:]}, NETLIST_C, ["cal.json", f"line {line}, column {col}"],
     "a NaN in a calibration file gave a message without field or position; now line and column")
cut = text[: text.index("\"cells\"")]
case("calibration", "truncated", {"cal.json": cut}, NETLIST_C, ["cal.json", f"line {cut.count(chr(10)) + 1}, column"],
     "a truncated calibration file: the syntax error is at its end, with line and column")
case("calibration", "trailing-comma", {"cal.json": "{\"format\": \"bmru-calibration\",}\n"}, NETLIST_C, ["cal.json", "line 1, column 31"],
     "a trailing comma is not strict JSON")

# ---------------------------------------------------------------- manifests
BATCH = ["batch", "m.yaml", "--out", "{out}"]
laughs = "format: bmru-batch\nversion: 1\nl0: &l0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
for k in range(1, 10):
    laughs += f"l{k}: &l{k} [" + ",".join([f"*l{k - 1}"] * 9) + "]\n"
laughs += "networks: *l9\nstimuli: [tiny3.csv]\n"
HEAD = "format: bmru-batch\nversion: 1\n"
man_cases = [
    ("billion-laughs", laughs, "line 3, column 5", "a 340-byte manifest of nested aliases grew to 4.6 GB in 60 s; anchors are refused before Yams expands anything"),
    ("alias-only", HEAD + "networks: *nets\nstimuli: [tiny3.csv]\n", "line 3, column 11", "an alias (to an undefined anchor) is refused by the prescan"),
    ("anchor-on-scalar", HEAD + "name: &n tiny\nnetworks: [tiny.json]\nstimuli: [tiny3.csv]\n", "line 3, column 7", "a single anchor is refused too"),
    ("merge-key", HEAD + "base: &b {margin: 0.1}\nthresholds:\n  <<: *b\nnetworks: [tiny.json]\nstimuli: [tiny3.csv]\n", "line 3, column 7", "merge keys need anchors and aliases"),
    ("flow-depth-65", HEAD + "networks: " + "[" * 65 + "]" * 65 + "\nstimuli: [tiny3.csv]\n", "line 3, column 75", "65 levels of flow nesting, more than 64"),
    ("block-depth", HEAD + "".join("  " * k + f"k{k}:\n" for k in range(66)) + "networks: [tiny.json]\n", "nested too deeply", "block nesting past 128 columns"),
    ("dash-depth", HEAD + "networks:\n" + "- " * 70 + "tiny.json\nstimuli: [tiny3.csv]\n", "nested too deeply", "compact sequences nest on one line"),
    ("yaml-syntax", HEAD + "networks: [tiny.json\nstimuli: [tiny3.csv]\n", "not valid YAML", "an unclosed flow sequence (already refused)"),
    ("unknown-key", HEAD + "networks: [tiny.json]\nstimuli: [tiny3.csv]\ncorner: [typical]\n", "corner", "a typo for corners (already refused)"),
    ("empty-stimulus", HEAD + "networks: [tiny.json]\nstimuli: [empty.csv]\n", "stimuli[0]", "a stimulus of zero frames in a batch"),
]
for name, text, field, why in man_cases:
    files = {"m.yaml": text}
    if name == "empty-stimulus":
        files["empty.csv"] = "x0,x1\n"
    case("manifest", name, files, BATCH, ["m.yaml", field], why)
case("manifest", "network-beyond-hard-limit",
     {"m.yaml": HEAD + "networks: [net.json]\nstimuli: [tiny3.csv]\n", "net.json": tiny(W00, "[[1000, -0.4]")},
     BATCH, ["m.yaml", "networks[0]", "layers[0].weights[0][0]"],
     "a network no deck can be built for (990 fingers) is refused when the manifest is read, not in every job")
case("manifest", "json-duplicate-key", {"m.json": "{\"format\": \"bmru-batch\", \"version\": 1, \"networks\": [\"tiny.json\"], \"networks\": [], \"stimuli\": [\"tiny3.csv\"]}\n"},
     ["batch", "m.json", "--out", "{out}"], ["m.json", "duplicate"], "duplicate keys in a JSON manifest (already refused)")

# ---------------------------------------------------------------- tensors (bmru import): the same value limits
ARCH = {"format": "bmru-network", "version": 1, "name": "tiny", "unit_current": 1e-9, "frame_period": 0.01, "inputs": 2,
        "layers": [{"name": "pre", "kind": "dense"}, {"name": "cell", "kind": "bmru"},
                   {"name": "out", "kind": "dense", "activation": "identity"}]}

def safetensors(changes):
    t = {"pre.weight": ([2, 2], [1.0, -0.4, 0.3, 0.9]), "pre.bias": ([2], [0.1, 0.05]),
         "cell.weight": ([2, 2], [1.0, 0.2, 0.1, 1.0]), "cell.bias": ([2], [0.0, 0.0]), "cell.theta_low": ([2], [0.3, 0.35]),
         "cell.theta_high": ([2], [0.6, 0.7]), "cell.level": ([2], [1.0, 0.8]),
         "out.weight": ([2, 2], [1.0, -0.6, -0.5, 1.0]), "out.bias": ([2], [0.2, 0.1])}
    for (name, i), v in changes.items():
        t[name][1][i] = v
    hdr, data = {}, b""
    for k, (shape, vals) in t.items():
        b = struct.pack("<%dd" % len(vals), *vals)
        hdr[k] = {"dtype": "F64", "shape": shape, "data_offsets": [len(data), len(data) + len(b)]}
        data += b
    h = json.dumps(hdr).encode()
    return struct.pack("<Q", len(h)) + h + data

IMPORT = ["import", "--arch", "arch.json", "--tensors", "t.safetensors", "-o", "{out}"]
for name, change, field, why in [
    ("weight-1e19", {("pre.weight", 0): 1e19}, "pre.weight[0][0]", "a weight of 1e19 from training code is refused at import, as in a network file"),
    ("bias-1e10", {("out.bias", 1): -1e10}, "out.bias[1]", "a bias beyond ±1e6 units"),
    ("level-1e300", {("cell.level", 0): 1e300}, "cell.level[0]", "a level beyond ±1e6 units"),
    ("theta-inf", {("cell.theta_high", 1): float("inf")}, "cell.theta_high[1]", "an infinite threshold (already refused)"),
    ("weight-nan", {("cell.weight", 2): float("nan")}, "cell.weight[1][0]", "a NaN weight (already refused)"),
]:
    case("tensor", name, {"arch.json": json.dumps(ARCH) + "\n", "t.safetensors": safetensors(change)}, IMPORT,
         ["t.safetensors", field], why)

print(f"{count} cases written under {BAD}")
