"""analog_bmru: export trained first-quadrant BMRU networks to the bmru tool's network format, and a NumPy
reference of the tool's ideal model to check them with.

    from analog_bmru import Dense, BMRU, Network, export, load
    net = Network([Dense("pre", W1, b1), BMRU("cell", W2, b2, lo, hi, level), Dense("out", W3, b3, "identity")],
                  inputs=13, name="kws")
    export(net, "kws.json")          # then: bmru validate kws.json
    trace = net.run(stimulus)        # {layer: {"outputs", "candidates", "states"}}, as `bmru model` computes
"""

from .csvio import (format_number, read_model_outputs, read_model_states, read_stimulus, write_model_outputs,
                    write_model_states, write_stimulus)
from .fileio import FORMAT, VERSION, dumps, export, load, loads
from .network import BMRU, Dense, Network, check_layer_name, check_network_name
from .state_dict import from_state_dict, from_torch_state_dict

__version__ = "0.1.0"

__all__ = [
    "BMRU", "Dense", "Network", "FORMAT", "VERSION", "check_layer_name", "check_network_name",
    "dumps", "export", "load", "loads", "from_state_dict", "from_torch_state_dict",
    "format_number", "read_stimulus", "write_stimulus", "read_model_outputs", "read_model_states",
    "write_model_outputs", "write_model_states",
]
