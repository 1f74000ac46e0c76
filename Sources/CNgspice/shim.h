// Shim over ngspice's shared-library API.
// sharedspice.h (ngspice 39) uses `bool` without including <stdbool.h>, so it must come first.
#ifndef CNGSPICE_SHIM_H
#define CNGSPICE_SHIM_H
#include <stdbool.h>
#include <ngspice/sharedspice.h>
#endif
