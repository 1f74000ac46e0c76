t
.include /etc/passwd
r1 a 0 1k
v1 a 0 1
.op
.end
