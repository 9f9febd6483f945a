// Command proxmox-mpc turns a Proxmox VE cluster into code and back.
package main

import (
	"os"

	"github.com/proxmox-mpc/proxmox-mpc/internal/app"
)

func main() {
	os.Exit(app.Main())
}
