t
r1 a 0 1k
r1 a 0 1k
v1 a 0 1
.op
.end
