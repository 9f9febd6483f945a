# Verbatim from ../shared/terraform/ADOPTION.md §7 (verified zero-diff import, bpg/proxmox 0.111.1).
# agent: 1,type=virtio  balloon: 0  bootdisk: scsi0  cores: 4  ide2: none,media=cdrom  memory: 8192  name: test-qemu-multi-nic  numa: 0
# net0: virtio=BC:24:11:2E:C5:4A,bridge=vmbr0  net1: virtio=BC:24:11:9F:03:7B,bridge=vmbr1  onboot: 1  ostype: l26  serial0: socket
# scsi0: storage:vm-100-disk-0,size=10G  scsi1: storage:vm-100-disk-3,size=30G  scsi2: storage:vm-100-disk-2,size=10G  scsihw: virtio-scsi-pci  sockets: 1  tablet: 0
resource "proxmox_virtual_environment_vm" "vm100" {
  node_name     = "pve"
  name          = "test-qemu-multi-nic"
  tablet_device = false
  agent { enabled = true }
  cpu { cores = 4 }
  memory { dedicated = 8192 }
  operating_system { type = "l26" }
  serial_device {}
}
