import json
import os
import tempfile
import unittest

import numpy as np

import analog_bmru as ab
from helpers import TINY_NETWORK


def network():
    rng = np.random.default_rng(5)
    return ab.Network([
        ab.Dense("pre", rng.normal(size=(3, 2)), rng.normal(size=3)),
        ab.BMRU("cell", rng.normal(size=(3, 3)), [0.0, -0.0, 1e-7], [0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [1.0, 2.0, 3.0],
                initial_state=[1, 0, 1]),
        ab.Dense("post", rng.normal(size=(3, 3)), np.zeros(3), residual="pre"),
        ab.Dense("out", rng.normal(size=(1, 3)), [0.5], activation="identity"),
    ], inputs=2, unit_current=5e-10, frame_period=0.02, name="round-trip", metadata={"epochs": 3, "note": "é"})


class FileFormat(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def write(self, name, doc):
        with open(self.path(name), "w") as f:
            f.write(doc if isinstance(doc, str) else json.dumps(doc))
        return self.path(name)

    def test_export_is_deterministic_and_reads_back_exactly(self):
        net = network()
        ab.export(net, self.path("a.json"))
        ab.export(ab.load(self.path("a.json")), self.path("b.json"))
        with open(self.path("a.json"), "rb") as a, open(self.path("b.json"), "rb") as b:
            self.assertEqual(a.read(), b.read())
        back = ab.load(self.path("a.json"))
        for mine, theirs in zip(net.layers, back.layers):
            np.testing.assert_array_equal(mine.weights, theirs.weights)
            np.testing.assert_array_equal(mine.bias, theirs.bias)
        self.assertEqual(back.layers[2].residual, "pre")
        self.assertEqual(list(back.layers[1].initial_state), [1, 0, 1])
        self.assertEqual(back.metadata, {"epochs": 3, "note": "é"})
        self.assertEqual((back.unit_current, back.frame_period, back.name), (5e-10, 0.02, "round-trip"))

    def test_field_names_are_the_formats(self):
        doc = json.loads(ab.dumps(network()))
        self.assertEqual(list(doc), ["format", "version", "name", "unit_current", "frame_period", "inputs", "layers", "metadata"])
        self.assertEqual((doc["format"], doc["version"]), ("bmru-network", 1))
        self.assertEqual(set(doc["layers"][0]), {"name", "kind", "activation", "weights", "bias"})
        self.assertEqual(set(doc["layers"][1]), {"name", "kind", "weights", "bias", "theta_low", "theta_high", "level", "initial_state"})
        self.assertEqual(doc["layers"][2]["residual"], "pre")
        self.assertEqual(doc["layers"][1]["initial_state"], [1, 0, 1])

    def test_the_shipped_tiny_example_loads(self):
        net = ab.load(TINY_NETWORK)
        self.assertEqual([l.name for l in net.layers], ["pre", "cell", "out"])
        self.assertEqual(list(net.layers[1].initial_state), [0, 1])

    def test_strict_reading(self):
        good = json.loads(ab.dumps(network()))
        cases = []
        d = json.loads(json.dumps(good)); d["layers"][0]["weight"] = [[1.0]]; cases.append((d, "layers[0].weight"))
        d = json.loads(json.dumps(good)); d["layers"][0]["theta_low"] = [0.1]; cases.append((d, "not allowed in a dense layer"))
        d = json.loads(json.dumps(good)); d["format"] = "other"; cases.append((d, "format"))
        d = json.loads(json.dumps(good)); d["version"] = 2; cases.append((d, "version"))
        d = json.loads(json.dumps(good)); d["inputs"] = True; cases.append((d, "inputs"))
        d = json.loads(json.dumps(good)); del d["layers"][1]["level"]; cases.append((d, "layers[1].level"))
        d = json.loads(json.dumps(good)); d["layers"][1]["theta_low"][1] = 0.9; cases.append((d, "layers[1].theta_low[1]"))
        d = json.loads(json.dumps(good)); d["layers"][1]["level"][0] = 0; cases.append((d, "layers[1].level[0]"))
        d = json.loads(json.dumps(good)); d["layers"][3]["name"] = "bias"; cases.append((d, "layers[3].name"))
        d = json.loads(json.dumps(good)); d["layers"][0]["bias"][0] = "1"; cases.append((d, "layers[0].bias[0]"))
        for k, (doc, words) in enumerate(cases):
            with self.assertRaises(ValueError, msg=words) as e:
                ab.load(self.write(f"bad{k}.json", doc))
            self.assertIn(words, str(e.exception))
            self.assertIn(f"bad{k}.json", str(e.exception))
        for text, words in (('{"format": "bmru-network", "format": "bmru-network"}', "duplicate"),
                            ('{"inputs": NaN}', "NaN"), ('{"inputs": ', "line 1")):
            with self.assertRaisesRegex(ValueError, words):
                ab.loads(text)

    def test_a_failed_write_leaves_nothing(self):
        missing = self.path("no/such/folder/net.json")
        with self.assertRaises(OSError):
            ab.export(network(), missing)
        self.assertEqual(os.listdir(self.dir.name), [])


if __name__ == "__main__":
    unittest.main()
