*NG_SCRIPT something
r1 a 0 1
.op
.end
