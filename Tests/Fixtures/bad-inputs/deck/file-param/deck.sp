t
r1 a 0 1k
v1 a 0 1
.op
b1 o 0 v=1 file="x"
.end
