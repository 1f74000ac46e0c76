t
r1 a 0 1k
v1 a 0 1
.op
.model st d_state (state_file="x.txt")
.end
