// Ngspice module
