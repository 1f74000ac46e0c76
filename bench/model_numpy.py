#!/usr/bin/env python3
"""Baseline for bench/model.sh: the ideal FQ-BMRU model as a plain numpy loop over frames.

Usage: model_numpy.py DIR   (DIR holds net.json, stim.csv and the Swift model's out.csv)
Prints `seconds=<best of 3>` and `max_abs_diff=<vs out.csv>` on stdout.
"""
import json, sys, time
import numpy as np

def run(net, x):
    layers = []
    for l in net["layers"]:
        d = {"name": l["name"], "kind": l["kind"], "W": np.array(l["weights"], dtype=np.float64),
             "b": np.array(l["bias"], dtype=np.float64)}
        if l["kind"] == "bmru":
            d["lo"] = np.array(l["theta_low"]); d["hi"] = np.array(l["theta_high"])
            d["level"] = np.array(l["level"]); d["s0"] = np.array(l.get("initial_state", [0] * len(l["bias"])), dtype=np.float64)
        else:
            d["relu"] = l.get("activation", "relu") == "relu"; d["residual"] = l.get("residual")
        layers.append(d)
    T = x.shape[0]
    outs = [np.empty((T, len(d["b"]))) for d in layers]
    state = [d.get("s0", None) for d in layers]
    index = {d["name"]: k for k, d in enumerate(layers)}
    xp = np.maximum(x, 0.0)
    for t in range(T):
        h = xp[t]
        for k, d in enumerate(layers):
            z = d["W"] @ h + d["b"]
            if d["kind"] == "bmru":
                c = np.maximum(z, 0.0)
                s = np.where(c > d["hi"], 1.0, np.where(c < d["lo"], 0.0, state[k]))
                state[k] = s
                y = d["level"] * s
            else:
                y = np.maximum(z, 0.0) if d["relu"] else z
                if d["residual"] is not None:
                    y = y + outs[index[d["residual"]]][t]
            outs[k][t] = y
            h = y
    return outs

def main():
    folder = sys.argv[1]
    with open(folder + "/net.json") as f:
        net = json.load(f)
    x = np.loadtxt(folder + "/stim.csv", delimiter=",", skiprows=1, ndmin=2)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        outs = run(net, x)
        best = min(best, time.perf_counter() - t0)
    swift = np.loadtxt(folder + "/out.csv", delimiter=",", skiprows=1, ndmin=2)[:, 1:]
    mine = np.concatenate(outs, axis=1)
    print(f"seconds={best}")
    print(f"max_abs_diff={float(np.max(np.abs(mine - swift)))}")

if __name__ == "__main__":
    main()
