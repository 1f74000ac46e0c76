*ng_script
shell touch pwned
