provider "proxmox" {
  endpoint  = "https://10.20.30.11:8006/"
  api_token = "automation@pve!terraform=0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
  insecure  = false
  ssh {
    username = "root"
    password = "Sup3r-S3cret-Root-PW"
  }
}

resource "proxmox_virtual_environment_vm" "web_01" {
  name      = "web-01"
  node_name = "pve1"
  vm_id     = 101

  disk {
    datastore_id = "local-lvm"
    interface    = "scsi0"
    size         = 32
  }

  network_device {
    bridge      = "vmbr0"
    mac_address = "BC:24:11:5E:7A:01"
  }

  initialization {
    ip_config {
      ipv4 {
        address = "10.20.30.41/24"
        gateway = "10.20.30.1"
      }
    }
    user_account {
      username = "deploy"
      password = "Cl0udInit-PW-42"
      keys     = ["ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDplantedrsakeymaterialforleaktests0123456789abcdef jane@acme-laptop"]
    }
  }
}
