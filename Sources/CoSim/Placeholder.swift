// CoSim module: see its issue.
