import os
import tempfile
import unittest

import numpy as np

import analog_bmru as ab
from helpers import TINY_NETWORK, TINY_STIMULUS


class CSVFiles(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def path(self, name, text=None):
        p = os.path.join(self.dir.name, name)
        if text is not None:
            with open(p, "w") as f:
                f.write(text)
        return p

    def test_stimulus_round_trip_is_exact(self):
        x = np.random.default_rng(1).uniform(-2, 2, (50, 3))
        x[0, 0] = 0.0
        x[1, 1] = 1e-300
        ab.write_stimulus(self.path("s.csv"), x)
        with open(self.path("s.csv")) as f:
            lines = f.read().split("\n")
        self.assertEqual(lines[0], "x0,x1,x2")
        self.assertEqual(lines[1].split(",")[0], "0")
        np.testing.assert_array_equal(ab.read_stimulus(self.path("s.csv"), 3), x)
        ab.write_stimulus(self.path("n.csv"), x, names=["mfcc0", "mfcc1", "mfcc2"])
        np.testing.assert_array_equal(ab.read_stimulus(self.path("n.csv")), x)

    def test_stimulus_reader_follows_the_tool(self):
        self.assertEqual(ab.read_stimulus(TINY_STIMULUS).shape, (10, 2))
        # a first column named frame is an index; CRLF and trailing blank lines are fine
        got = ab.read_stimulus(self.path("f.csv", "frame,a,b\r\n0,+1.5,-.5\r\n1,2.,3e-1\r\n\n  \n"), 2)
        np.testing.assert_array_equal(got, [[1.5, -0.5], [2.0, 0.3]])
        for text, words in (("a,b\n0x10,0\n", "line 2, column 1"), ("a,b\ninf,0\n", "not a decimal"),
                            ("a,b\n0,1001\n", "outside the input range"), ("a,b\n", "no frames"),
                            ("1,2\n1,2\n", "header"), ("a,b\n1,2,3\n", "line 2: has 3 columns"), ("", "empty")):
            with self.assertRaisesRegex(ValueError, words, msg=text):
                ab.read_stimulus(self.path("bad.csv", text))
        with self.assertRaisesRegex(ValueError, "3 inputs"):
            ab.read_stimulus(self.path("two.csv", "a,b\n1,2\n"), 3)

    def test_stimulus_writer_refuses_what_the_tool_would(self):
        for x, words in ((np.array([[1.0, np.nan]]), r"stimulus\[0\]\[1\]"), (np.array([[1e4]]), "outside"),
                         (np.zeros((0, 2)), "at least one frame"), (np.zeros(3), "shape")):
            with self.assertRaisesRegex(ValueError, words):
                ab.write_stimulus(self.path("x.csv"), x)
        for names, words in ((["frame"], "frame"), (["1"], "looks like a number"), (["a,b"], "comma"), (["a", "b"], "2 entries")):
            with self.assertRaisesRegex(ValueError, words):
                ab.write_stimulus(self.path("x.csv"), [[1.0]], names=names)
        self.assertFalse(os.path.exists(self.path("x.csv")))

    def test_model_output_files(self):
        net = ab.load(TINY_NETWORK)
        trace = net.run(ab.read_stimulus(TINY_STIMULUS, net.inputs))
        ab.write_model_outputs(self.path("out.csv"), net, trace)
        ab.write_model_states(self.path("states.csv"), net, trace)
        with open(self.path("out.csv")) as f:
            self.assertEqual(f.readline().strip(), "frame,pre.0,pre.1,cell.0,cell.1,out.0,out.1")
        outputs = ab.read_model_outputs(self.path("out.csv"))
        self.assertEqual(list(outputs), ["pre", "cell", "out"])
        for name in outputs:
            np.testing.assert_array_equal(outputs[name], trace[name]["outputs"])
        states = ab.read_model_states(self.path("states.csv"))
        self.assertEqual(list(states), ["cell"])
        np.testing.assert_array_equal(states["cell"], trace["cell"]["states"])
        with self.assertRaisesRegex(ValueError, "frame"):
            ab.read_model_outputs(self.path("x.csv", "frame,a.0\n1,0.5\n"))


if __name__ == "__main__":
    unittest.main()
