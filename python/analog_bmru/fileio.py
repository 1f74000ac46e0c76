"""Reading and writing `bmru-network` version 1 files (the JSON format `bmru validate` reads).

The writer is deterministic: keys in a fixed order, two-space indentation, one weight row per line, numbers
as the shortest text that reads back as the same double (as NetworkFile.encode writes them). The reader is
as strict as the tool's: unknown or duplicate keys, NaN/Infinity, booleans for numbers and a wrong format or
version are refused with a ValueError naming the file and the field.
"""

import json
import os
import tempfile

from .network import BMRU, Dense, Network

FORMAT = "bmru-network"
VERSION = 1

_TOP_KEYS = ("format", "version", "name", "unit_current", "frame_period", "inputs", "layers", "metadata")
_DENSE_KEYS = ("name", "kind", "weights", "bias", "activation", "residual")
_BMRU_KEYS = ("name", "kind", "weights", "bias", "theta_low", "theta_high", "level", "initial_state")


def _number(x):
    x = float(x)
    return "0.0" if x == 0 else repr(x)


def _numbers(xs):
    return "[" + ", ".join(_number(x) for x in xs) + "]"


def _string(s):
    return json.dumps(s, ensure_ascii=False)


def _layer_text(layer):
    f = [f'"name": {_string(layer.name)}', f'"kind": {_string(layer.kind)}']
    if isinstance(layer, Dense):
        f.append(f'"activation": {_string(layer.activation)}')
        if layer.residual is not None:
            f.append(f'"residual": {_string(layer.residual)}')
    rows = ",\n".join("        " + _numbers(row) for row in layer.weights)
    f.append(f'"weights": [\n{rows}\n      ]')
    f.append(f'"bias": {_numbers(layer.bias)}')
    if isinstance(layer, BMRU):
        f.append(f'"theta_low": {_numbers(layer.theta_low)}')
        f.append(f'"theta_high": {_numbers(layer.theta_high)}')
        f.append(f'"level": {_numbers(layer.level)}')
        f.append('"initial_state": [' + ", ".join(str(int(s)) for s in layer.initial_state) + "]")
    return "    {\n" + ",\n".join("      " + x for x in f) + "\n    }"


def dumps(network):
    """The network file's text."""
    if not isinstance(network, Network):
        raise ValueError(f"expected a Network, found {type(network).__name__}")
    # a Network's arrays are read-only, but its layer list is not: check it again before writing
    network._check_layers()
    o = "{\n"
    o += f'  "format": {_string(FORMAT)},\n'
    o += f'  "version": {VERSION},\n'
    o += f'  "name": {_string(network.name)},\n'
    o += f'  "unit_current": {_number(network.unit_current)},\n'
    o += f'  "frame_period": {_number(network.frame_period)},\n'
    o += f'  "inputs": {network.inputs},\n'
    o += '  "layers": [\n' + ",\n".join(_layer_text(l) for l in network.layers) + "\n  ]"
    if network.metadata is not None:
        try:
            meta = json.dumps(network.metadata, sort_keys=True, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise ValueError(f"metadata: is not JSON-serialisable ({e})") from None
        o += f',\n  "metadata": {meta}'
    return o + "\n}\n"


def write_text_atomically(path, text):
    """Writes `text` (UTF-8) to `path` through a temporary file in the same folder and a rename, so a
    failed write leaves no half-written file."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def export(network, path):
    """Writes `network` as a bmru-network v1 file at `path` (all at once: a failed write leaves no file)."""
    write_text_atomically(path, dumps(network))


def _no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def _no_constant(name):
    raise ValueError(f"{name} is not a JSON number")


class _Reader:
    def __init__(self, file):
        self.file = file

    def fail(self, field, reason):
        return ValueError(f"{self.file}: {field}: {reason}" if field else f"{self.file}: {reason}")

    def members(self, node, field, allowed, what):
        if not isinstance(node, dict):
            raise self.fail(field or "(top level)", f"expected an object, found {_type(node)}")
        for k in node:
            if k not in allowed:
                f = f"{field}.{k}" if field else k
                raise self.fail(f, f"unknown key for {what} (allowed: {', '.join(allowed)})")
        return node

    def need(self, node, key, field):
        if key not in node:
            raise self.fail(f"{field}.{key}" if field else key, "missing required key")
        return node[key]

    def string(self, x, field):
        if not isinstance(x, str):
            raise self.fail(field, f"expected a string, found {_type(x)}")
        return x

    def number(self, x, field):
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            raise self.fail(field, f"expected a number, found {_type(x)}")
        return x

    def vector(self, x, field):
        if not isinstance(x, list):
            raise self.fail(field, f"expected an array of numbers, found {_type(x)}")
        return [self.number(v, f"{field}[{i}]") for i, v in enumerate(x)]

    def matrix(self, x, field):
        if not isinstance(x, list):
            raise self.fail(field, f"expected an array of rows, found {_type(x)}")
        return [self.vector(r, f"{field}[{i}]") for i, r in enumerate(x)]

    def layer(self, node, field):
        if not isinstance(node, dict):
            raise self.fail(field, f"expected a layer object, found {_type(node)}")
        kind = self.string(self.need(node, "kind", field), f"{field}.kind")
        if kind not in ("dense", "bmru"):
            raise self.fail(f"{field}.kind", f"is {kind!r}, expected 'dense' or 'bmru'")
        allowed = _DENSE_KEYS if kind == "dense" else _BMRU_KEYS
        for k in node:
            if k not in allowed:
                known = k in _DENSE_KEYS or k in _BMRU_KEYS
                raise self.fail(f"{field}.{k}", f"not allowed in a {kind} layer" if known else
                                f"unknown key for a {kind} layer (allowed: {', '.join(allowed)})")
        name = self.string(self.need(node, "name", field), f"{field}.name")
        weights = self.matrix(self.need(node, "weights", field), f"{field}.weights")
        bias = self.vector(self.need(node, "bias", field), f"{field}.bias")
        try:
            if kind == "dense":
                activation = self.string(node.get("activation", "relu"), f"{field}.activation")
                residual = node.get("residual")
                if residual is not None:
                    residual = self.string(residual, f"{field}.residual")
                return Dense(name, weights, bias, activation=activation, residual=residual)
            vec = {k: self.vector(self.need(node, k, field), f"{field}.{k}") for k in ("theta_low", "theta_high", "level")}
            state = node.get("initial_state")
            if state is not None:
                state = self.vector(state, f"{field}.initial_state")
            return BMRU(name, weights, bias, vec["theta_low"], vec["theta_high"], vec["level"], initial_state=state)
        except ValueError as e:
            # the layer names its fields "<name>.<key>"; in a file they are "layers[k].<key>"
            text = str(e)
            if text.startswith(name + "."):
                raise self.fail("", field + text[len(name):]) from None
            if text.startswith("name: "):
                raise self.fail("", f"{field}.{text}") from None
            raise self.fail(field, text) from None

    def network(self, root):
        # format and version first: another kind of file is reported as such
        if isinstance(root, dict):
            if isinstance(root.get("format"), str) and root["format"] != FORMAT:
                raise self.fail("format", f"is {root['format']!r}, expected {FORMAT!r}")
            if isinstance(root.get("version"), (int, float)) and root["version"] != VERSION:
                raise self.fail("version", f"is {root['version']!r}, only version {VERSION} is supported")
        self.members(root, "", _TOP_KEYS, "a network")
        fmt = self.string(self.need(root, "format", ""), "format")
        if fmt != FORMAT:
            raise self.fail("format", f"is {fmt!r}, expected {FORMAT!r}")
        version = self.number(self.need(root, "version", ""), "version")
        if version != VERSION:
            raise self.fail("version", f"is {version!r}, only version {VERSION} is supported")
        name = self.string(self.need(root, "name", ""), "name")
        unit = self.number(self.need(root, "unit_current", ""), "unit_current")
        period = self.number(self.need(root, "frame_period", ""), "frame_period")
        inputs = self.number(self.need(root, "inputs", ""), "inputs")
        if inputs != int(inputs):
            raise self.fail("inputs", f"expected an integer, found {inputs!r}")
        nodes = self.need(root, "layers", "")
        if not isinstance(nodes, list):
            raise self.fail("layers", f"expected an array of layer objects, found {_type(nodes)}")
        layers = [self.layer(n, f"layers[{k}]") for k, n in enumerate(nodes)]
        meta = root.get("metadata")
        if "metadata" in root and not isinstance(meta, dict):
            raise self.fail("metadata", f"expected an object, found {_type(meta)}")
        try:
            return Network(layers, int(inputs), unit_current=unit, frame_period=period, name=name, metadata=meta)
        except ValueError as e:
            raise self.fail("", str(e)) from None


def _type(x):
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "a boolean"
    if isinstance(x, (int, float)):
        return "a number"
    if isinstance(x, str):
        return "a string"
    if isinstance(x, list):
        return "an array"
    return "an object"


def loads(text, file="<string>"):
    """The Network of a bmru-network v1 file's text."""
    try:
        root = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise ValueError(f"{file}: invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    except ValueError as e:
        raise ValueError(f"{file}: invalid JSON: {e}") from None
    return _Reader(file).network(root)


def read_text(path):
    """The UTF-8 text of a file and its path as a string; ValueError naming the file when it is not UTF-8."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    try:
        return path, data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: is not UTF-8 text") from None


def load(path):
    """Reads a bmru-network v1 file (as written by `export`, `bmru train` or `bmru import`)."""
    path, text = read_text(path)
    return loads(text, file=path)
