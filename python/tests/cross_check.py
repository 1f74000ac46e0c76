"""Writes the cases with which the Swift test `PythonExporterTests` checks this package against `bmru`.

Usage: PYTHONPATH=python python3 python/tests/cross_check.py OUTDIR

For each case, OUTDIR gets <case>.json (exported), <case>-stim.csv (a seeded random stimulus, some values
negative), and the NumPy reference's <case>-outputs.csv / <case>-states.csv in the layout of `bmru model -o`
/ `--states`. "plain" is built from Dense/BMRU objects; "residual" goes through from_torch_state_dict with
nested, PyTorch-style names, tensor-like objects and one transposed weight. The negative control writes
bad-theta.json (θ_low > θ_high, written around the exporter) and the exporter's and loader's refusals.
OUTDIR/cases.json lists it all.
"""

import json
import os
import sys

import numpy as np

import analog_bmru as ab


class FakeTensor:
    """Stands in for a torch.Tensor: only .detach().cpu().numpy()."""

    def __init__(self, a):
        self._a = np.asarray(a, dtype=np.float32 if a.ndim > 1 else np.float64)

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self._a


def thresholds(rng, m):
    low = rng.uniform(0.2, 0.8, m)
    return low, low + rng.uniform(0.1, 0.5, m)


def plain(rng):
    lo, hi = thresholds(rng, 4)
    layers = [
        ab.Dense("pre", rng.uniform(-0.6, 1.2, (5, 3)), rng.uniform(-0.1, 0.3, 5)),
        ab.BMRU("cell", rng.uniform(-0.5, 0.8, (4, 5)), rng.uniform(-0.1, 0.2, 4), lo, hi,
                rng.uniform(0.5, 1.5, 4), initial_state=[0, 1, 0, 1]),
        ab.Dense("out", rng.uniform(-1, 1, (2, 4)), rng.uniform(-0.2, 0.2, 2), activation="identity"),
    ]
    return ab.Network(layers, 3, name="py-plain")


def residual(rng):
    lo, hi = thresholds(rng, 4)
    width = hi - lo
    state = {
        "encoder.0.weight": FakeTensor(rng.uniform(-0.6, 1.2, (4, 3))),
        "encoder.0.bias": FakeTensor(rng.uniform(-0.1, 0.3, 4)),
        # stored [inputs, outputs], as some custom recurrent cells keep it
        "rnn.cell.w_in": FakeTensor(rng.uniform(-0.5, 0.8, (4, 4))),
        "rnn.cell.b_in": FakeTensor(rng.uniform(-0.1, 0.2, 4)),
        "rnn.cell.theta_lo": FakeTensor(lo),
        "rnn.cell.width": FakeTensor(width),
        "rnn.cell.gain": FakeTensor(rng.uniform(0.5, 1.5, 4)),
        "mix.linear.weight": FakeTensor(rng.uniform(-0.5, 0.8, (4, 4))),
        "mix.linear.bias": FakeTensor(rng.uniform(-0.1, 0.1, 4)),
        "head.weight": FakeTensor(rng.uniform(-1, 1, (2, 4))),
        "head.bias": FakeTensor(rng.uniform(-0.2, 0.2, 2)),
    }
    theta_high = state["rnn.cell.theta_lo"].numpy() + state["rnn.cell.width"].numpy()
    spec = [
        {"name": "pre", "kind": "dense", "weight": "encoder.0.weight", "bias": "encoder.0.bias"},
        {"name": "cell", "kind": "bmru", "weight": "rnn.cell.w_in", "transpose": True, "bias": "rnn.cell.b_in",
         "theta_low": "rnn.cell.theta_lo", "theta_high": theta_high, "level": "rnn.cell.gain"},
        {"name": "post", "kind": "dense", "weight": "mix.linear.weight", "bias": "mix.linear.bias", "residual": "pre"},
        {"name": "out", "kind": "dense", "weight": "head.weight", "bias": "head.bias", "activation": "identity"},
    ]
    return ab.from_torch_state_dict(state, spec, name="py-residual", metadata={"source": "cross_check.py"})


def switches(trace):
    n = 0
    for layer in trace.values():
        if "states" in layer:
            n += int(np.abs(np.diff(layer["states"].astype(int), axis=0)).sum())
    return n


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    cases = []
    # seeds picked so that every bmru unit switches many times over the 300 frames (the Swift test checks it)
    for build, seed in ((plain, 31), (residual, 28)):
        rng = np.random.default_rng(seed)
        net = build(rng)
        stim = rng.uniform(-0.2, 1.2, (300, net.inputs))
        name = build.__name__
        ab.export(net, f"{out}/{name}.json")
        again = ab.load(f"{out}/{name}.json")
        assert ab.dumps(again) == ab.dumps(net), "export -> load -> export changed the file"
        ab.write_stimulus(f"{out}/{name}-stim.csv", stim)
        assert np.array_equal(ab.read_stimulus(f"{out}/{name}-stim.csv", net.inputs), stim)
        trace = again.run(stim)
        ab.write_model_outputs(f"{out}/{name}-outputs.csv", again, trace)
        ab.write_model_states(f"{out}/{name}-states.csv", again, trace)
        cases.append({"name": name, "switches": switches(trace), "frames": len(stim)})

    # negative control: the exporter refuses θ_low > θ_high, naming the field ...
    neg = {}
    try:
        ab.BMRU("cell", [[1.0]], [0.0], theta_low=[0.7], theta_high=[0.4], level=[1.0])
        neg["constructor"] = None
    except ValueError as e:
        neg["constructor"] = str(e)
    try:
        ab.from_torch_state_dict({"w": FakeTensor(np.ones((1, 1)))}, [
            {"name": "cell", "kind": "bmru", "weight": "w", "bias": 0.0, "theta_low": 0.7, "theta_high": 0.4, "level": 1.0}])
        neg["state_dict"] = None
    except ValueError as e:
        neg["state_dict"] = str(e)
    # ... and a file with it, written around the exporter, is refused by the loader (and by bmru validate)
    doc = json.loads(ab.dumps(ab.load(f"{out}/plain.json")))
    cell = doc["layers"][1]
    cell["theta_low"][2], cell["theta_high"][2] = cell["theta_high"][2], cell["theta_low"][2]
    with open(f"{out}/bad-theta.json", "w") as f:
        json.dump(doc, f)
    try:
        ab.load(f"{out}/bad-theta.json")
        neg["load"] = None
    except ValueError as e:
        neg["load"] = str(e)
    with open(f"{out}/cases.json", "w") as f:
        json.dump({"cases": cases, "negative": neg}, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
