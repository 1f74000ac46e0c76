"""The CSV files of `bmru model` and `bmru cosim`.

Stimulus (what `bmru model --input` and `bmru cosim --input` read, StimulusFile in Stimulus.swift): a
header row of column names, then one row per frame of `inputs` decimal numbers (optional sign, digits,
optional fraction, optional exponent: no hex, inf or nan), each within ±1000 model units; negative values
are allowed (the network clips them). A first header column named `frame` is an index column and ignored.

Model outputs (what `bmru model -o OUT.csv` writes): header `frame,<layer>.<i>,...` with every layer's
outputs in layer order (bmru layers: level * s), one row per frame. `bmru model --states FILE` writes the
bmru layers' states (0/1) the same way.
"""

import os
import re

import numpy as np

from .fileio import read_text, write_text_atomically
from .network import BMRU, as_array

# largest |input| the tool accepts, model units (StimulusFile.maxMagnitude)
STIMULUS_MAX_MAGNITUDE = 1e3
MAX_FRAMES = 10_000_000
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


def format_number(x):
    """A number as the tool writes it in CSV files: the shortest text that reads back as the same double; 0 as 0."""
    x = float(x)
    return "0" if x == 0 else repr(x)


def _lines(path):
    path, text = read_text(path)
    lines = [l[:-1] if l.endswith("\r") else l for l in text.split("\n")]
    while lines and lines[-1].strip(" \t") == "":
        lines.pop()
    if not lines:
        raise ValueError(f"{path}: is empty (expected a header row)")
    return path, lines


def _decimal(text, place):
    if not _DECIMAL.fullmatch(text):
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise ValueError(f"{place}: {shown!r} is not a decimal number (sign, digits, fraction, exponent; no hex, inf or nan)")
    return float(text)


def write_stimulus(path, stimulus, names=None):
    """Writes a stimulus CSV ([frames, inputs], model units) that `bmru model` and `bmru cosim` read.
    `names`: the header's column names (default x0, x1, ...)."""
    x = as_array(stimulus, "stimulus")
    if x.ndim != 2:
        raise ValueError(f"stimulus: has shape {list(x.shape)}, expected [frames, inputs]")
    frames, inputs = x.shape
    if frames < 1 or inputs < 1:
        raise ValueError(f"stimulus: has shape {list(x.shape)}, needs at least one frame and one input")
    if frames > MAX_FRAMES:
        raise ValueError(f"stimulus: has {frames} frames, more than the limit of {MAX_FRAMES}")
    bad = ~np.isfinite(x) | (np.abs(x) > STIMULUS_MAX_MAGNITUDE)
    if bad.any():
        t, i = np.argwhere(bad)[0]
        raise ValueError(f"stimulus[{t}][{i}]: is {float(x[t, i])!r}, outside the input range "
                         f"±{STIMULUS_MAX_MAGNITUDE:g} model units (finite numbers only)")
    names = [f"x{i}" for i in range(inputs)] if names is None else [str(n) for n in names]
    if len(names) != inputs:
        raise ValueError(f"names: has {len(names)} entries, the stimulus has {inputs} inputs")
    for i, n in enumerate(names):
        if n.strip(" \t") == "" or any(c in n for c in ",\r\n"):
            raise ValueError(f"names[{i}]: {n!r} is not a usable column name (empty, or with a comma or line break)")
    if names[0].strip(" \t").lower() == "frame":
        raise ValueError("names[0]: 'frame' would be read as a frame index column")
    if _DECIMAL.fullmatch(names[0].strip(" \t")):
        raise ValueError(f"names[0]: {names[0]!r} looks like a number; the first row must be a header")
    out = [",".join(names)]
    out += [",".join(format_number(v) for v in row) for row in x]
    write_text_atomically(path, "\n".join(out) + "\n")


def read_stimulus(path, inputs=None):
    """Reads a stimulus CSV as `bmru model` does; returns [frames, inputs] float64. `inputs`: the expected
    number of input columns (a network's `inputs`), or None to take it from the header."""
    path, lines = _lines(path)
    names = [n.strip(" \t") for n in lines[0].split(",")]
    index = bool(names) and names[0].lower() == "frame"
    if index:
        names = names[1:]
    if names and _DECIMAL.fullmatch(names[0]):
        raise ValueError(f"{path}: line 1: looks like numbers; the first row must be a header (column names)")
    if inputs is not None and len(names) != inputs:
        raise ValueError(f"{path}: line 1: header has {len(names)} input columns, the network has {inputs} inputs")
    if not names:
        raise ValueError(f"{path}: line 1: header names no input columns")
    if len(lines) - 1 > MAX_FRAMES:
        raise ValueError(f"{path}: has {len(lines) - 1} frames, more than the limit of {MAX_FRAMES}")
    expected = len(names) + (1 if index else 0)
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        cells = line.split(",")
        if len(cells) != expected:
            raise ValueError(f"{path}: line {n}: has {len(cells)} columns, expected {expected}")
        row = []
        for c, cell in enumerate(cells):
            place = f"{path}: line {n}, column {c + 1}"
            v = _decimal(cell.strip(" \t"), place)
            if index and c == 0:
                continue
            if not np.isfinite(v) or abs(v) > STIMULUS_MAX_MAGNITUDE:
                raise ValueError(f"{place}: {cell.strip()} is outside the input range ±{STIMULUS_MAX_MAGNITUDE:g} model units")
            row.append(v)
        rows.append(row)
    if not rows:
        raise ValueError(f"{path}: line 2: no frames: the header must be followed by at least one row")
    return np.array(rows, dtype=np.float64)


def _write_table(path, trace, key, layers, fmt):
    header = ["frame"]
    blocks = []
    for name in layers:
        a = np.asarray(trace[name][key])
        header += [f"{name}.{i}" for i in range(a.shape[1])]
        blocks.append(a)
    frames = blocks[0].shape[0]
    out = [",".join(header)]
    for t in range(frames):
        out.append(",".join([str(t)] + [fmt(v) for b in blocks for v in b[t]]))
    write_text_atomically(path, "\n".join(out) + "\n")


def write_model_outputs(path, network, trace):
    """Writes `network.run(...)`'s outputs as `bmru model -o` does: frame, then every layer's outputs."""
    _write_table(path, trace, "outputs", [l.name for l in network.layers], format_number)


def write_model_states(path, network, trace):
    """Writes the bmru layers' states as `bmru model --states` does."""
    layers = [l.name for l in network.layers if isinstance(l, BMRU)]
    if not layers:
        raise ValueError("network: has no bmru layer, so no states")
    _write_table(path, trace, "states", layers, lambda v: str(int(v)))


def _read_table(path, dtype):
    path, lines = _lines(path)
    header = [h.strip() for h in lines[0].split(",")]
    if not header or header[0] != "frame":
        raise ValueError(f"{path}: line 1: expected a header starting with 'frame' (a `bmru model` CSV)")
    columns = []
    for c, h in enumerate(header[1:], start=2):
        name, dot, i = h.rpartition(".")
        if not dot or not name or not i.isdigit():
            raise ValueError(f"{path}: line 1, column {c}: {h!r} is not <layer>.<unit>")
        columns.append((name, int(i)))
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        cells = line.split(",")
        if len(cells) != len(header):
            raise ValueError(f"{path}: line {n}: has {len(cells)} columns, expected {len(header)}")
        if cells[0].strip() != str(n - 2):
            raise ValueError(f"{path}: line {n}, column 1: frame is {cells[0]!r}, expected {n - 2}")
        rows.append([_decimal(x.strip(), f"{path}: line {n}, column {c + 2}") for c, x in enumerate(cells[1:])])
    table = np.array(rows, dtype=np.float64).reshape(len(rows), len(columns))
    out = {}
    for k, (name, i) in enumerate(columns):
        out.setdefault(name, []).append((i, k))
    result = {}
    for name, cols in out.items():
        if [i for i, _ in cols] != list(range(len(cols))):
            raise ValueError(f"{path}: line 1: the columns of layer {name!r} are not {name}.0, {name}.1, ... in order")
        result[name] = table[:, [k for _, k in cols]].astype(dtype)
    return result


def read_model_outputs(path):
    """Reads a `bmru model -o` CSV: {layer name: [frames, units] float64}, in the file's layer order."""
    return _read_table(path, np.float64)


def read_model_states(path):
    """Reads a `bmru model --states` CSV: {bmru layer name: [frames, units] int8 (0/1)}."""
    states = _read_table(path, np.float64)
    for name, a in states.items():
        if not np.isin(a, (0, 1)).all():
            raise ValueError(f"{path}: layer {name!r}: states must be 0 or 1")
    return {name: a.astype(np.int8) for name, a in states.items()}
