# Verbatim from ../shared/terraform/ADOPTION.md §7 (verified zero-diff import, bpg/proxmox 0.111.1).
# bios: ovmf  boot: order=sata0;ide2;net0  cores: 4  cpu: x86-64-v2-AES  efidisk0: local-lvm:vm-102-disk-0,efitype=4m,pre-enrolled-keys=1,size=4M  machine: pc-q35-8.1
# ide0: local:iso/virtio-win-0.1.248.iso,media=cdrom,size=715188K  ide2: local:iso/Win11_23H2_English_x64v2.iso,media=cdrom,size=6638188K  memory: 8192  numa: 0
# name: win11-desk  net0: e1000=BC:24:11:A0:33:5C,bridge=vmbr0,tag=20  ostype: win11  sata0: local-lvm:vm-102-disk-1,cache=writeback,discard=on,size=64G  scsihw: virtio-scsi-single  sockets: 1  tpmstate0: local-lvm:vm-102-disk-2,size=4M,version=v2.0
resource "proxmox_virtual_environment_vm" "vm102" {
  node_name     = "pve"
  name          = "win11-desk"
  bios          = "ovmf"
  machine       = "pc-q35-8.1"
  on_boot       = false
  started       = false
  scsi_hardware = "virtio-scsi-single"
  cpu {
    cores = 4
    type  = "x86-64-v2-AES"
  }
  memory { dedicated = 8192 }
  efi_disk {
    type              = "4m"
    pre_enrolled_keys = true
  }
  network_device {
    model   = "e1000"
    vlan_id = 20
  }
  operating_system { type = "win11" }
}
