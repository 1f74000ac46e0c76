import unittest

import numpy as np

import analog_bmru as ab
from helpers import TINY_NETWORK, TINY_STIMULUS


def cell(lo=0.3, hi=0.6, level=2.0, initial=0):
    """One bmru unit whose candidate is its input."""
    return ab.BMRU("cell", [[1.0]], [0.0], [lo], [hi], [level], initial_state=[initial])


class ModelSemantics(unittest.TestCase):
    def test_tiny_example_by_hand(self):
        # the same hand computation as ModelCommandTests, on examples/tiny.json
        net = ab.load(TINY_NETWORK)
        x = ab.read_stimulus(TINY_STIMULUS, net.inputs)
        trace = net.run(x)
        w1, b1 = np.array([[1.0, -0.4], [0.3, 0.9]]), np.array([0.1, 0.05])
        wc, lo, hi, level = np.array([[1.0, 0.2], [0.1, 1.0]]), [0.3, 0.35], [0.6, 0.7], [1.0, 0.8]
        w2, b2 = np.array([[1.0, -0.6], [-0.5, 1.0]]), np.array([0.2, 0.1])
        s = [0, 1]
        for t, row in enumerate(x):
            h = np.maximum(w1 @ row + b1, 0)
            c = np.maximum(wc @ h, 0)
            for i in range(2):
                s[i] = 1 if c[i] > hi[i] else 0 if c[i] < lo[i] else s[i]
            o = np.array(s) * level
            np.testing.assert_allclose(trace["pre"]["outputs"][t], h, rtol=0, atol=1e-12)
            np.testing.assert_allclose(trace["cell"]["candidates"][t], c, rtol=0, atol=1e-12)
            self.assertEqual(list(trace["cell"]["states"][t]), s)
            np.testing.assert_allclose(trace["out"]["outputs"][t], w2 @ o + b2, rtol=0, atol=1e-12)
        # both units switch both ways, so the comparison checks the hysteresis
        for i in range(2):
            self.assertEqual(set(trace["cell"]["states"][:, i]), {0, 1})

    def test_hysteresis_is_strict_and_holds_inside_the_band(self):
        net = ab.Network([cell()], inputs=1)
        c = [0.5, 0.6, 0.61, 0.5, 0.3, 0.29, 0.45, 0.0]
        trace = net.run(np.array(c)[:, None])
        self.assertEqual(list(trace["cell"]["states"][:, 0]), [0, 0, 1, 1, 1, 0, 0, 0])
        self.assertEqual(list(trace["cell"]["outputs"][:, 0]), [0, 0, 2, 2, 2, 0, 0, 0])
        held = ab.Network([cell(initial=1)], inputs=1).run(np.array([[0.5], [0.1]]))
        self.assertEqual(list(held["cell"]["states"][:, 0]), [1, 0])

    def test_inputs_are_clipped_and_the_residual_is_added_after_the_activation(self):
        pre = ab.Dense("pre", [[1.0], [2.0]], [0.0, 0.5])
        post = ab.Dense("post", [[-1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], residual="pre")
        net = ab.Network([pre, post], inputs=1)
        trace = net.run([[-3.0], [1.0]])
        np.testing.assert_array_equal(trace["pre"]["outputs"], [[0.0, 0.5], [1.0, 2.5]])
        # post: relu(-pre0) + pre0 = pre0; relu(pre1) + pre1 = 2 pre1
        np.testing.assert_array_equal(trace["post"]["outputs"], [[0.0, 1.0], [1.0, 5.0]])

    def test_identity_last_layer_is_signed(self):
        net = ab.Network([ab.Dense("out", [[-1.0]], [0.25], activation="identity")], inputs=1)
        np.testing.assert_array_equal(net.run([[1.0], [0.0]])["out"]["outputs"][:, 0], [-0.75, 0.25])

    def test_stimulus_shape_is_checked(self):
        net = ab.Network([cell()], inputs=1)
        for bad in ([1.0, 2.0], np.zeros((3, 2)), np.zeros((0, 1)), [[float("nan")]]):
            with self.assertRaisesRegex(ValueError, "stimulus"):
                net.run(bad)


class Validation(unittest.TestCase):
    def assertRefused(self, build, *words):
        with self.assertRaises(ValueError) as e:
            build()
        for w in words:
            self.assertIn(w, str(e.exception))

    def test_thresholds_and_levels(self):
        self.assertRefused(lambda: cell(lo=0.7, hi=0.4), "cell.theta_low[0]", "0.7", "0.4")
        self.assertRefused(lambda: cell(lo=-0.1), "cell.theta_low[0]", ">= 0")
        self.assertRefused(lambda: cell(level=0.0), "cell.level[0]", "> 0")
        self.assertRefused(lambda: cell(initial=2), "cell.initial_state[0]", "0 or 1")
        self.assertRefused(lambda: ab.BMRU("cell", [[1.0]], [0.0], [0.1, 0.2], [0.5], [1.0]), "cell.theta_low", "[1]")

    def test_names(self):
        self.assertRefused(lambda: ab.Dense("1st", [[1.0]], [0.0]), "not a valid layer name")
        self.assertRefused(lambda: ab.Dense("a" * 33, [[1.0]], [0.0]), "not a valid layer name")
        self.assertRefused(lambda: ab.Dense("Bias", [[1.0]], [0.0]), "reserved")
        ab.Dense("a" * 32, [[1.0]], [0.0])
        self.assertRefused(lambda: ab.Network([ab.Dense("pre", [[1.0]], [0.0]), ab.Dense("PRE", [[1.0]], [0.0])], 1),
                           "layers[1]", "unique")
        self.assertRefused(lambda: ab.Network([cell()], 1, name="my net"), "not a valid network name")
        ab.Network([cell()], 1, name="kws-yes_v1.2")

    def test_shapes_values_and_structure(self):
        self.assertRefused(lambda: ab.Dense("pre", [1.0, 2.0], [0.0]), "pre.weights", "shape")
        self.assertRefused(lambda: ab.Dense("pre", [[1.0]], [0.0, 1.0]), "pre.bias", "[1]")
        self.assertRefused(lambda: ab.Dense("pre", [[float("inf")]], [0.0]), "pre.weights[0][0]", "finite")
        self.assertRefused(lambda: ab.Dense("pre", [[0.0, 2e6]], [0.0]), "pre.weights[0][1]", "limit")
        self.assertRefused(lambda: ab.Dense("pre", [[1.0]], [0.0], activation="tanh"), "pre.activation")
        self.assertRefused(lambda: ab.Network([ab.Dense("pre", [[1.0, 1.0]], [0.0])], 1), "layers[0]", "2 columns, expected 1")
        ident = ab.Dense("a", [[1.0]], [0.0], activation="identity")
        self.assertRefused(lambda: ab.Network([ident, ab.Dense("b", [[1.0]], [0.0])], 1), "activation", "last layer")
        late = ab.Dense("a", [[1.0]], [0.0], residual="b")
        self.assertRefused(lambda: ab.Network([late, ab.Dense("b", [[1.0]], [0.0])], 1), "residual", "not an earlier layer")
        wide = ab.Dense("b", [[1.0], [1.0]], [0.0, 0.0], residual="a")
        self.assertRefused(lambda: ab.Network([ab.Dense("a", [[1.0]], [0.0]), wide], 1), "residual", "must be equal")
        self.assertRefused(lambda: ab.Network([], 1), "layers")
        self.assertRefused(lambda: ab.Network([cell()], 1, unit_current=1.0), "unit_current")
        self.assertRefused(lambda: ab.Network([cell()], 1.5), "inputs")

    def test_arrays_are_copies_and_read_only(self):
        w = np.array([[1.0]])
        layer = ab.Dense("pre", w, [0.0])
        w[0, 0] = 5.0
        self.assertEqual(layer.weights[0, 0], 1.0)
        with self.assertRaises(ValueError):
            layer.weights[0, 0] = 2.0


if __name__ == "__main__":
    unittest.main()
