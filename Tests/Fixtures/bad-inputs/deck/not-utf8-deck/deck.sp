t
r1 a 0 1ÿþ
.op
.end
