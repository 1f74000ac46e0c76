import unittest
from collections import OrderedDict

import numpy as np

import analog_bmru as ab
from helpers import FakeTensor


def state():
    rng = np.random.default_rng(3)
    return OrderedDict([
        ("frontend.proj.weight", FakeTensor(rng.normal(size=(4, 3)).astype(np.float32))),
        ("frontend.proj.bias", FakeTensor(rng.normal(size=4).astype(np.float32))),
        ("rnn.layers.0.w", FakeTensor(rng.normal(size=(4, 2)))),  # [inputs, outputs]
        ("rnn.layers.0.b", FakeTensor(np.zeros(2))),
        ("rnn.layers.0.lo", FakeTensor(np.array([0.2, 0.3]))),
        ("rnn.layers.0.hi", FakeTensor(np.array([0.5, 0.6]))),
        ("classifier.weight", rng.normal(size=(2, 2))),  # a plain array works too
        ("classifier.bias", [0.1, -0.1]),
        ("frontend.norm.running_mean", FakeTensor(np.zeros(3))),
    ])


def spec():
    return [
        {"name": "pre", "kind": "dense", "weight": "frontend.proj.weight", "bias": "frontend.proj.bias"},
        {"name": "cell", "kind": "bmru", "weight": "rnn.layers.0.w", "transpose": True, "bias": "rnn.layers.0.b",
         "theta_low": "rnn.layers.0.lo", "theta_high": "rnn.layers.0.hi", "level": 1.5, "initial_state": [1, 0]},
        {"name": "out", "kind": "dense", "weight": "classifier.weight", "bias": "classifier.bias", "activation": "identity"},
    ]


class StateDict(unittest.TestCase):
    def test_a_non_flat_model_maps_by_the_spec(self):
        sd = state()
        net = ab.from_torch_state_dict(sd, spec(), name="kws")
        self.assertEqual(net.inputs, 3)
        self.assertEqual([(l.name, l.kind) for l in net.layers], [("pre", "dense"), ("cell", "bmru"), ("out", "dense")])
        np.testing.assert_array_equal(net.layers[0].weights, sd["frontend.proj.weight"].numpy().astype(np.float64))
        np.testing.assert_array_equal(net.layers[1].weights, sd["rnn.layers.0.w"].numpy().T)
        np.testing.assert_array_equal(net.layers[1].level, [1.5, 1.5])
        self.assertEqual(sd["rnn.layers.0.lo"].calls, ["detach", "cpu", "numpy"])
        self.assertEqual(net.layers[2].activation, "identity")
        self.assertEqual(ab.loads(ab.dumps(net)).layers[1].initial_state.tolist(), [1, 0])

    def test_mistakes_in_the_spec_are_named(self):
        s = spec(); s[0]["weight"] = "frontend.proj.weights"
        with self.assertRaisesRegex(ValueError, r"spec\[0\] \('pre'\)\.weight.*did you mean 'frontend.proj.weight'"):
            ab.from_state_dict(state(), s)
        s = spec(); s[1]["theta"] = 0.3
        with self.assertRaisesRegex(ValueError, r"spec\[1\] \('cell'\)\.theta: unknown key"):
            ab.from_state_dict(state(), s)
        s = spec(); del s[1]["level"]
        with self.assertRaisesRegex(ValueError, r"level: missing"):
            ab.from_state_dict(state(), s)
        s = spec(); s[1]["transpose"] = False
        with self.assertRaisesRegex(ValueError, r"cell'\)\.weight: has shape \[4, 2\].*give \"transpose\": True"):
            ab.from_state_dict(state(), s)
        s = spec(); s[1]["theta_low"] = [0.7, 0.1]
        with self.assertRaisesRegex(ValueError, r"cell\.theta_low\[0\]"):
            ab.from_state_dict(state(), s)
        with self.assertRaisesRegex(ValueError, "running_mean"):
            ab.from_state_dict(state(), spec(), strict=True)


if __name__ == "__main__":
    unittest.main()
