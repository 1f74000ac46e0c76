t
r1 a 0 1k
v1 a 0 1
.op
.model tb table2d (file="x.tbl")
.end
