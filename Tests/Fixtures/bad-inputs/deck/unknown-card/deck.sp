t
.frobnicate 1 2
r1 a 0 1k
v1 a 0 1
.op
.end
