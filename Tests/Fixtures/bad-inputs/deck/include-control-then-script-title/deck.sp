*ng_script
.include x.inc
