# Verbatim from ../shared/terraform/ADOPTION.md §7 (verified zero-diff import, bpg/proxmox 0.111.1).
# arch: amd64  cores: 2  description: App container for internal tools\n  features: nesting=1  hostname: app-01  memory: 1024  onboot: 1  ostype: debian
# mp0: local-lvm:vm-201-disk-1,mp=/srv/data,backup=1,size=16G  mp1: /mnt/pve/nas/media,mp=/mnt/media,ro=1  nameserver: 192.168.10.1  searchdomain: lab.example
# net0: name=eth0,bridge=vmbr0,firewall=1,gw=192.168.10.1,hwaddr=BC:24:11:7D:42:9E,ip=192.168.10.31/24,type=veth  rootfs: local-lvm:vm-201-disk-0,size=8G  startup: order=2,up=30  swap: 512  tags: debian;app  unprivileged: 1
resource "proxmox_virtual_environment_container" "ct201" {
  node_name    = "pve"
  description  = "App container for internal tools"
  unprivileged = true
  console {}
  cpu { cores = 2 }
  memory {
    dedicated = 1024
    swap      = 512
  }
  disk {
    datastore_id = "local-lvm"
    size         = 8
  }
  features { nesting = true }
  initialization {
    hostname = "app-01"
    dns {
      domain  = "lab.example"
      servers = ["192.168.10.1"]
    }
    ip_config {
      ipv4 {
        address = "192.168.10.31/24"
        gateway = "192.168.10.1"
      }
    }
  }
  mount_point {
    volume = "local-lvm:vm-201-disk-1"
    path   = "/srv/data"
    size   = "16G"
    backup = true
  }
  mount_point {
    volume    = "/mnt/pve/nas/media"
    path      = "/mnt/media"
    read_only = true
  }
  network_interface {
    name     = "eth0"
    firewall = true
  }
  operating_system {
    template_file_id = ""
    type             = "debian"
  }
  startup {
    order    = 2
    up_delay = 30
  }
  lifecycle { ignore_changes = [timeout_clone, timeout_create, timeout_delete, timeout_start, timeout_update] }
}
