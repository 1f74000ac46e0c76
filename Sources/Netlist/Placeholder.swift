// Netlist module: see its issue.
