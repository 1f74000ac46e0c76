t
r1 a 0 1k
v1 a 0 1
.op
a1 [o] src
.model src d_source (input_file="x.txt")
.end
