# Your variables go here. proxmox-mpc writes literal values into the resource
# files and declares no variables of its own; it reads resources back only when
# their values are literals.
