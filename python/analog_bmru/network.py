"""The FQ-BMRU network in NumPy, with the semantics of the bmru tool's ideal model (IdealModel.swift).

    inputs:  x+ = max(x, 0)
    dense:   z = W.in + b;  y = max(z, 0) (relu) or z (identity, last layer only);  y += residual layer's y
    bmru:    c = max(W.in + b, 0);  s_t = 1 if c > theta_high, 0 if c < theta_low, else s_{t-1};  y = level * s

Every value is in model units (1.0 = unit_current amperes). The affine map is accumulated as the tool does
it, z = b, then z = z + in_i * W[:, i] for i in input order (no fused multiply-add), so the results are the
same numbers the tool computes, not merely close ones.

The layers check their values when they are built and the network checks how they fit together, with the
rules of `bmru validate` (NetworkValidator.swift); every refusal is a ValueError naming the field.
"""

import math
import numbers
import re

import numpy as np

# Limits of the bmru-network v1 format (NetworkLimits in NetworkFile.swift).
MAX_INPUTS = 4096
MAX_UNITS_PER_LAYER = 4096
MAX_LAYERS = 256
MAX_PARAMETERS = 10_000_000
MAX_MAGNITUDE = 1e6

_LAYER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}", re.ASCII)
_NETWORK_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,64}", re.ASCII)
# names the netlist uses for its own nodes (vdd_bias)
RESERVED_LAYER_NAMES = frozenset({"bias"})


def as_array(value, field, dtype=np.float64):
    """`value` as a new NumPy array: a NumPy array, a nested list, a number, or a tensor (anything with
    .detach().cpu().numpy(), such as a torch.Tensor; torch itself is never imported)."""
    v = value
    if hasattr(v, "detach"):
        v = v.detach()
    if hasattr(v, "cpu"):
        v = v.cpu()
    if hasattr(v, "numpy") and not isinstance(v, np.ndarray):
        v = v.numpy()
    try:
        a = np.array(v, dtype=dtype)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{field}: is not an array of numbers ({e})") from None
    return a


def _check_values(a, field, non_negative=False, positive=False):
    bad = ~np.isfinite(a)
    if bad.any():
        raise ValueError(f"{field}{_index(bad)}: is not a finite number")
    big = np.abs(a) > MAX_MAGNITUDE
    if big.any():
        i = np.argwhere(big)[0]
        raise ValueError(f"{field}{_index(big)}: is {float(a[tuple(i)])!r}, beyond the limit of "
                         f"±{MAX_MAGNITUDE:g} model units")
    if positive and (a <= 0).any():
        i = np.argwhere(a <= 0)[0]
        raise ValueError(f"{field}{_index(a <= 0)}: is {float(a[tuple(i)])!r}, must be > 0")
    if non_negative and (a < 0).any():
        i = np.argwhere(a < 0)[0]
        raise ValueError(f"{field}{_index(a < 0)}: is {float(a[tuple(i)])!r}, must be >= 0")


def _index(mask):
    """'[r][c]' of the first True of `mask`."""
    return "".join(f"[{int(k)}]" for k in np.argwhere(mask)[0])


def _frozen(a):
    a.setflags(write=False)
    return a


def _matrix(value, field):
    a = as_array(value, field)
    if a.ndim != 2:
        raise ValueError(f"{field}: has shape {list(a.shape)}, expected [outputs, inputs] (rows = outputs)")
    rows, cols = a.shape
    if rows < 1:
        raise ValueError(f"{field}: must have at least one row (one per output unit)")
    if rows > MAX_UNITS_PER_LAYER:
        raise ValueError(f"{field}: has {rows} rows (units), more than the limit of {MAX_UNITS_PER_LAYER}")
    if cols < 1:
        raise ValueError(f"{field}: has no columns (one per input is needed)")
    _check_values(a, field)
    return _frozen(a)


def _vector(value, rows, field, **rules):
    a = as_array(value, field)
    if a.ndim == 0:
        a = np.full(rows, float(a))
    if a.ndim != 1 or a.shape[0] != rows:
        raise ValueError(f"{field}: has shape {list(a.shape)}, expected [{rows}] (one per unit, the rows of weights)")
    _check_values(a, field, **rules)
    return _frozen(a)


def check_layer_name(name):
    """The layer name rule of the format: a letter, then up to 31 letters, digits or _, not `bias`."""
    if not isinstance(name, str) or not _LAYER_NAME.fullmatch(name):
        raise ValueError(f"name: {name!r} is not a valid layer name (a letter, then up to 31 letters, digits or _)")
    if name.lower() in RESERVED_LAYER_NAMES:
        raise ValueError(f"name: {name!r} is reserved (the netlist uses it for its own nodes)")
    return name


def check_network_name(name):
    """The network name rule of the format: 1 to 64 characters from A-Z a-z 0-9 _ - ."""
    if not isinstance(name, str) or not _NETWORK_NAME.fullmatch(name):
        raise ValueError(f"name: {name!r} is not a valid network name (1 to 64 characters from A-Z a-z 0-9 _ - .)")
    return name


class _Weighted:
    """What every layer has: weights [outputs, inputs] and a bias."""

    @property
    def outputs(self):
        return self.weights.shape[0]

    @property
    def inputs(self):
        return self.weights.shape[1]


class Dense(_Weighted):
    """A dense layer: y = max(W.in + b, 0) (relu) or W.in + b (identity, only as the last layer), plus
    the output of the layer named by `residual` (an earlier layer of the same width) after the activation.
    `weights` is [outputs, inputs], as torch.nn.Linear.weight."""

    kind = "dense"

    def __init__(self, name, weights, bias, activation="relu", residual=None):
        self.name = check_layer_name(name)
        self.weights = _matrix(weights, f"{name}.weights")
        self.bias = _vector(bias, self.outputs, f"{name}.bias")
        if activation not in ("relu", "identity"):
            raise ValueError(f"{name}.activation: is {activation!r}, expected 'relu' or 'identity'")
        self.activation = activation
        if residual is not None and not isinstance(residual, str):
            raise ValueError(f"{name}.residual: expected a layer name, found {type(residual).__name__}")
        self.residual = residual

    @property
    def parameter_count(self):
        return self.weights.size + self.bias.size

    def __repr__(self):
        extra = f", residual={self.residual!r}" if self.residual else ""
        return f"Dense({self.name!r}, {self.inputs} -> {self.outputs}, {self.activation}{extra})"


class BMRU(_Weighted):
    """A first-quadrant bistable memory recurrent layer: candidate c = max(W.in + b, 0); the state s of
    each unit becomes 1 when c > theta_high, 0 when c < theta_low, and holds otherwise; y = level * s.
    theta_low <= theta_high, both >= 0; level > 0; initial_state 0/1 (default all 0).
    Scalars are taken for every unit."""

    kind = "bmru"

    def __init__(self, name, weights, bias, theta_low, theta_high, level, initial_state=None):
        self.name = check_layer_name(name)
        self.weights = _matrix(weights, f"{name}.weights")
        m = self.outputs
        self.bias = _vector(bias, m, f"{name}.bias")
        self.theta_low = _vector(theta_low, m, f"{name}.theta_low", non_negative=True)
        self.theta_high = _vector(theta_high, m, f"{name}.theta_high", non_negative=True)
        wrong = self.theta_low > self.theta_high
        if wrong.any():
            i = int(np.argmax(wrong))
            raise ValueError(f"{name}.theta_low[{i}]: θ_low = {float(self.theta_low[i])!r} is greater than "
                             f"θ_high = {float(self.theta_high[i])!r} (theta_high[{i}]); θ_low ≤ θ_high is required")
        # the format allows 0 (bmru validate warns); a level of 0 never drives the outputs, so it is refused here
        self.level = _vector(level, m, f"{name}.level", positive=True)
        if initial_state is None:
            s = np.zeros(m)
        else:
            s = _vector(initial_state, m, f"{name}.initial_state")
        not_binary = (s != 0) & (s != 1)
        if not_binary.any():
            i = int(np.argmax(not_binary))
            raise ValueError(f"{name}.initial_state[{i}]: is {float(s[i])!r}, must be 0 or 1")
        self.initial_state = _frozen(s.astype(np.int64))

    @property
    def parameter_count(self):
        return self.weights.size + self.bias.size + 3 * self.outputs

    def __repr__(self):
        return f"BMRU({self.name!r}, {self.inputs} -> {self.outputs})"


def _positive_int(value, field, limit):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{field}: expected an integer, found {value!r}")
    value = int(value)
    if value < 1:
        raise ValueError(f"{field}: is {value}, must be at least 1")
    if value > limit:
        raise ValueError(f"{field}: is {value}, more than the limit of {limit}")
    return value


def _real(value, field):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{field}: expected a number, found {value!r}")
    return float(value)


class Network:
    """A whole network: `inputs` non-negative input currents, then `layers` (Dense and BMRU) in order.
    `unit_current` is the amperes of one model unit, `frame_period` the seconds of one frame;
    `metadata`, a JSON-serialisable dict, is carried through the file untouched."""

    def __init__(self, layers, inputs, unit_current=1e-9, frame_period=0.01, name="bmru", metadata=None):
        self.name = check_network_name(name)
        self.inputs = _positive_int(inputs, "inputs", MAX_INPUTS)
        self.unit_current = _real(unit_current, "unit_current")
        if not (math.isfinite(self.unit_current) and 1e-15 < self.unit_current <= 1e-3):
            raise ValueError(f"unit_current: is {self.unit_current!r} A, must be in (1e-15, 1e-3] A")
        self.frame_period = _real(frame_period, "frame_period")
        if not (math.isfinite(self.frame_period) and self.frame_period > 0):
            raise ValueError(f"frame_period: is {self.frame_period!r} s, must be a finite number > 0")
        if metadata is not None and not isinstance(metadata, dict):
            raise ValueError(f"metadata: expected a dict (a JSON object), found {type(metadata).__name__}")
        self.metadata = metadata
        self.layers = list(layers)
        self._check_layers()

    def _check_layers(self):
        layers = self.layers
        if not layers:
            raise ValueError("layers: must contain at least one layer")
        if len(layers) > MAX_LAYERS:
            raise ValueError(f"layers: has {len(layers)} layers, more than the limit of {MAX_LAYERS}")
        seen = {}
        width, source = self.inputs, f"the network's {self.inputs} inputs"
        for k, layer in enumerate(layers):
            where = f"layers[{k}]"
            if not isinstance(layer, (Dense, BMRU)):
                raise ValueError(f"{where}: expected a Dense or BMRU layer, found {type(layer).__name__}")
            where = f"layers[{k}] ({layer.name!r})"
            other = seen.get(layer.name.lower())
            if other is not None:
                raise ValueError(f"{where}.name: {layer.name!r} is used by layers[{other}] too "
                                 f"(names must be unique, ignoring case)")
            seen[layer.name.lower()] = k
            if layer.inputs != width:
                raise ValueError(f"{where}.weights: has {layer.inputs} columns, expected {width} ({source})")
            if isinstance(layer, Dense):
                if layer.activation == "identity" and k != len(layers) - 1:
                    raise ValueError(f"{where}.activation: 'identity' is allowed only on the last layer "
                                     f"(layer {k} of {len(layers)})")
                if layer.residual is not None:
                    j = next((i for i, l in enumerate(layers) if l.name == layer.residual), None)
                    if j is None:
                        raise ValueError(f"{where}.residual: names {layer.residual!r}, which is not a layer of this network")
                    if j >= k:
                        raise ValueError(f"{where}.residual: names layer {layer.residual!r} (layers[{j}]), "
                                         f"which is not an earlier layer")
                    if layers[j].outputs != layer.outputs:
                        raise ValueError(f"{where}.residual: layer {layer.residual!r} has {layers[j].outputs} outputs, "
                                         f"this layer has {layer.outputs} (must be equal)")
            width, source = layer.outputs, f"the {layer.outputs} outputs of layer {layer.name!r}"
        count = self.parameter_count
        if count > MAX_PARAMETERS:
            raise ValueError(f"layers: has {count} parameters, more than the limit of {MAX_PARAMETERS}")

    @property
    def parameter_count(self):
        return sum(l.parameter_count for l in self.layers)

    @property
    def outputs(self):
        return self.layers[-1].outputs

    def layer(self, name):
        for l in self.layers:
            if l.name == name:
                return l
        raise KeyError(name)

    def run(self, stimulus):
        """Runs every frame of `stimulus` ([frames, inputs], model units; negative values are clipped to 0)
        from the initial states. Returns {layer name: {"outputs": [frames, units]}} in layer order, bmru
        layers also with "candidates" (c) and "states" (s, int8 0/1)."""
        x = as_array(stimulus, "stimulus")
        if x.ndim != 2 or x.shape[1] != self.inputs:
            raise ValueError(f"stimulus: has shape {list(x.shape)}, expected [frames, {self.inputs}]")
        if x.shape[0] < 1:
            raise ValueError("stimulus: has no frames")
        if not np.isfinite(x).all():
            raise ValueError(f"stimulus{_index(~np.isfinite(x))}: is not a finite number")
        h = np.where(x > 0, x, 0.0)
        frames = h.shape[0]
        trace = {}
        for layer in self.layers:
            z = _affine(h, layer.weights, layer.bias)
            if isinstance(layer, Dense):
                y = np.where(z > 0, z, 0.0) if layer.activation == "relu" else z
                if layer.residual is not None:
                    y = y + trace[layer.residual]["outputs"]
                trace[layer.name] = {"outputs": y}
            else:
                c = np.where(z > 0, z, 0.0)
                s = layer.initial_state.astype(bool)
                states = np.empty((frames, layer.outputs), dtype=np.int8)
                for t in range(frames):
                    s = np.where(c[t] > layer.theta_high, True, np.where(c[t] < layer.theta_low, False, s))
                    states[t] = s
                y = np.where(states == 1, layer.level, 0.0)
                trace[layer.name] = {"outputs": y, "candidates": c, "states": states}
            h = trace[layer.name]["outputs"]
        return trace

    def __repr__(self):
        return f"Network({self.name!r}, inputs={self.inputs}, layers={self.layers!r})"


def _affine(h, weights, bias):
    """z[t] = b + sum_i h[t, i] * W[:, i], accumulated in input order as the tool's kernels do."""
    z = np.empty((h.shape[0], weights.shape[0]))
    z[:] = bias
    for i in range(weights.shape[1]):
        z += h[:, i:i + 1] * weights[:, i]
    return z
