# Verbatim from ../shared/terraform/ADOPTION.md §7 (verified zero-diff import, bpg/proxmox 0.111.1).
# agent: 1  boot: order=scsi0;ide2;net0  ciuser: ubuntu  cores: 2  cpu: host  description: Ubuntu 24.04 web frontend\nOwner: ops  memory: 4096  numa: 0  onboot: 1
# ide2: local-lvm:vm-101-cloudinit,media=cdrom  ipconfig0: ip=192.168.10.21/24,gw=192.168.10.1  name: web-01  nameserver: 192.168.10.1  searchdomain: lab.example  serial0: socket
# net0: virtio=BC:24:11:5E:7A:01,bridge=vmbr0,firewall=1  ostype: l26  scsi0: local-lvm:vm-101-disk-0,discard=on,iothread=1,size=32G,ssd=1  scsihw: virtio-scsi-single  sockets: 1  sshkeys: ssh-ed25519%20AAAAC3Nz…%20ops%40bastion%0A  tags: web;prod  vga: serial0
resource "proxmox_virtual_environment_vm" "vm101" {
  node_name     = "pve"
  name          = "web-01"
  description   = "Ubuntu 24.04 web frontend\nOwner: ops"
  scsi_hardware = "virtio-scsi-single"
  agent { enabled = true }
  cpu {
    cores = 2
    type  = "host"
  }
  memory { dedicated = 4096 }
  disk {
    interface = "scsi0"
    size      = 32
    discard   = "on"
    iothread  = true
    ssd       = true
  }
  network_device { firewall = true }
  initialization {
    dns {
      domain  = "lab.example"
      servers = ["192.168.10.1"]
    }
    ip_config {
      ipv4 {
        address = "192.168.10.21/24"
        gateway = "192.168.10.1"
      }
    }
    user_account {
      username = "ubuntu"
      keys     = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHq2yXbq0mTq7oV3cK9n1q2wQ0Vfq8e7rj5kYx3mGz1R ops@bastion"]
    }
  }
  operating_system { type = "l26" }
  serial_device {}
}
