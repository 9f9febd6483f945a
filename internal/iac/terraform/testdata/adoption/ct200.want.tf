# Verbatim from ../shared/terraform/ADOPTION.md §7 (verified zero-diff import, bpg/proxmox 0.111.1).
# arch: amd64  cores: 2  features: fuse=1,mknod=1,nesting=1  hostname: test-container  memory: 4096  mp0: /mnt/foo/bar,mp=/storage  onboot: 1  ostype: debian
# lxc: [[lxc.cgroup2.devices.allow, c 226:0 rwm], … 2 more devices.allow, 2 lxc.mount.entry]  rootfs: vmstore:subvol-200-disk-0,size=30G  swap: 512  tags: tag1;tag2
# net0: name=eth0,bridge=vmbr0,firewall=1,hwaddr=5D:CF:BD:B2:C5:39,ip=dhcp,type=veth
resource "proxmox_virtual_environment_container" "ct200" {
  node_name = "pve"
  console {}
  cpu { cores = 2 }
  memory {
    dedicated = 4096
    swap      = 512
  }
  disk {
    datastore_id = "vmstore"
    size         = 30
  }
  features {
    nesting = true
    fuse    = true
    mknod   = true
  }
  initialization {
    hostname = "test-container"
    ip_config {
      ipv4 { address = "dhcp" }
    }
  }
  mount_point {
    volume = "/mnt/foo/bar"
    path   = "/storage"
  }
  network_interface {
    name     = "eth0"
    firewall = true
  }
  operating_system {
    template_file_id = ""
    type             = "debian"
  }
  lifecycle { ignore_changes = [timeout_clone, timeout_create, timeout_delete, timeout_start, timeout_update] }
}
