"""Shared by the unit tests: paths of the repository's examples and a stand-in for torch.Tensor."""

import os

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY_NETWORK = os.path.join(REPO, "examples", "tiny.json")
TINY_STIMULUS = os.path.join(REPO, "examples", "tiny.csv")


class FakeTensor:
    """Has only what the package uses of a torch.Tensor: .detach().cpu().numpy()."""

    def __init__(self, a):
        self._a = np.asarray(a)
        self.calls = []

    def detach(self):
        self.calls.append("detach")
        return self

    def cpu(self):
        self.calls.append("cpu")
        return self

    def numpy(self):
        self.calls.append("numpy")
        return self._a
