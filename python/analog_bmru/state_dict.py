"""Building a Network from a trained model's parameters whose names do not follow the layer names.

A PyTorch model is rarely flat: its parameters are called `encoder.0.weight`, `rnn.cells.1.w_in`,
`head.proj.weight`. `from_state_dict` takes the state dict (or any mapping of names to arrays) and a spec,
one entry per network layer in order, that says which entry is which:

    spec = [
        {"name": "pre",  "kind": "dense", "weight": "encoder.0.weight", "bias": "encoder.0.bias"},
        {"name": "cell", "kind": "bmru",  "weight": "rnn.cell.lin.weight", "bias": "rnn.cell.lin.bias",
         "theta_low": "rnn.cell.theta_lo", "theta_high": "rnn.cell.theta_hi", "level": "rnn.cell.gain"},
        {"name": "out",  "kind": "dense", "weight": "head.weight", "bias": "head.bias", "activation": "identity"},
    ]

A value in the spec is either the name of a state-dict entry or the array itself (a NumPy array, a list, a
number for every unit, or a tensor), for parameters the model computes (theta_high = theta_low + width).
Tensors are converted with .detach().cpu().numpy(); torch is not imported here.
"""

import difflib
from collections.abc import Mapping

from .network import BMRU, Dense, Network, as_array

_COMMON = ("name", "kind", "weight", "bias", "transpose")
_DENSE = _COMMON + ("activation", "residual")
_BMRU = _COMMON + ("theta_low", "theta_high", "level", "initial_state")


def from_state_dict(state_dict, spec, inputs=None, name="bmru", unit_current=1e-9, frame_period=0.01,
                    metadata=None, strict=False):
    """A Network from `state_dict` as laid out by `spec` (see the module's doc).

    Per spec entry: `name`, `kind` ("dense" or "bmru"), `weight` ([outputs, inputs] as torch.nn.Linear;
    `"transpose": True` when it is stored [inputs, outputs]) and `bias`; dense layers may give `activation`
    ("relu" or "identity") and `residual`; bmru layers need `theta_low`, `theta_high` and `level` and may
    give `initial_state`. `inputs` defaults to the first weight's column count. With `strict=True`, state-dict
    entries that the spec does not use are an error (a typo in the spec must not pass unnoticed)."""
    if not isinstance(state_dict, Mapping):
        raise ValueError(f"state_dict: expected a mapping of names to arrays, found {type(state_dict).__name__}")
    if isinstance(spec, (str, bytes)) or not hasattr(spec, "__iter__"):
        raise ValueError("spec: expected a list of layer entries (dicts)")
    used = set()

    def value(entry, key, where):
        v = entry[key]
        if isinstance(v, str):
            if v not in state_dict:
                close = difflib.get_close_matches(v, [str(k) for k in state_dict], n=3)
                hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
                raise ValueError(f"{where}.{key}: {v!r} is not in the state dict{hint}")
            used.add(v)
            return as_array(state_dict[v], f"{where}.{key} ({v})")
        return as_array(v, f"{where}.{key}")

    layers = []
    for k, entry in enumerate(spec):
        where = f"spec[{k}]"
        if not isinstance(entry, Mapping):
            raise ValueError(f"{where}: expected a dict, found {type(entry).__name__}")
        kind = entry.get("kind")
        if kind not in ("dense", "bmru"):
            raise ValueError(f"{where}.kind: is {kind!r}, expected 'dense' or 'bmru'")
        if isinstance(entry.get("name"), str):
            where = f"spec[{k}] ({entry['name']!r})"
        allowed = _DENSE if kind == "dense" else _BMRU
        for key in entry:
            if key not in allowed:
                raise ValueError(f"{where}.{key}: unknown key for a {kind} layer (allowed: {', '.join(allowed)})")
        required = ("name", "weight", "bias") + (("theta_low", "theta_high", "level") if kind == "bmru" else ())
        for key in required:
            if key not in entry:
                raise ValueError(f"{where}.{key}: missing (required for a {kind} layer)")
        weight = value(entry, "weight", where)
        transpose = entry.get("transpose", False)
        if not isinstance(transpose, bool):
            raise ValueError(f"{where}.transpose: expected True or False, found {transpose!r}")
        if transpose:
            if weight.ndim != 2:
                raise ValueError(f"{where}.weight: has shape {list(weight.shape)}, expected a matrix")
            weight = weight.T
        width = layers[-1].outputs if layers else inputs
        if width is not None and weight.ndim == 2 and weight.shape[1] != width and weight.shape[0] == width:
            raise ValueError(f"{where}.weight: has shape {list(weight.shape)}, expected [outputs, {width}]; it looks "
                             f"stored as [inputs, outputs]: give \"transpose\": {not transpose}")
        numeric = ("bias",) + (("theta_low", "theta_high", "level", "initial_state") if kind == "bmru" else ())
        params = {key: value(entry, key, where) for key in numeric if key in entry}
        try:
            if kind == "dense":
                layers.append(Dense(entry["name"], weight, params["bias"],
                                    activation=entry.get("activation", "relu"), residual=entry.get("residual")))
            else:
                layers.append(BMRU(entry["name"], weight, params["bias"], params["theta_low"], params["theta_high"],
                                   params["level"], initial_state=params.get("initial_state")))
        except ValueError as e:
            raise ValueError(f"{where}: {e}") from None
    if not layers:
        raise ValueError("spec: names no layer")
    if strict:
        unused = [str(key) for key in state_dict if key not in used]
        if unused:
            raise ValueError(f"state_dict: entries not used by the spec: {', '.join(unused)} "
                             f"(pass strict=False to ignore them)")
    if inputs is None:
        inputs = layers[0].inputs
    return Network(layers, inputs, unit_current=unit_current, frame_period=frame_period, name=name, metadata=metadata)


# the name users look for
from_torch_state_dict = from_state_dict
