package apischema

import "testing"

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateParams(b *testing.B) {
	s, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	m, _, ok := s.Lookup("POST", "/nodes/pve1/qemu/100/config")
	if !ok {
		b.Fatal("no endpoint")
	}
	params := map[string]string{"node": "pve1", "vmid": "100", "cores": "4", "net0": "virtio,bridge=vmbr0,firewall=1", "scsi0": "local-lvm:32,iothread=1"}
	for b.Loop() {
		if errs := m.ValidateParams(params); errs != nil {
			b.Fatal(errs)
		}
	}
}
