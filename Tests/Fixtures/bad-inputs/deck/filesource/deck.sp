t
r1 a 0 1k
v1 a 0 1
.op
a1 %v([o]) src
.model src filesource (file="/etc/passwd")
.end
