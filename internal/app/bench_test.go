package app

import (
	"context"
	"crypto/tls"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
)

// Whole-process benchmarks: they build the binary and run it as a user
// would, against the simulator adding 2 ms per request (PERFORMANCE.md).
//
//	go test ./internal/app -run '^$' -bench . -benchtime 5x

func buildBinary(b testing.TB) string {
	b.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(b.TempDir(), "proxmox-mpc")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/proxmox-mpc")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func largeSim(b *testing.B, guests int) (*httptest.Server, string) {
	b.Helper()
	return simTLS(b, pvesim.Options{Scenario: "large", Nodes: 20, Guests: guests, Latency: 2 * time.Millisecond, Seed: 1})
}

// runProcess runs the binary once and returns its wall time and peak RSS.
func runProcess(b *testing.B, bin string, env []string, args ...string) (time.Duration, int64) {
	b.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	start := time.Now()
	out, err := cmd.Output()
	elapsed := time.Since(start)
	if err != nil {
		b.Fatalf("%s %v: %v\n%s", bin, args, err, out)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var rss int64
	if ru != nil {
		rss = ru.Maxrss * 1024
	}
	return elapsed, rss
}

// BenchmarkGetVMsJSON10k: `get vms -o json` over 10,000 guests on 20 nodes.
// Target: < 1 s and < 150 MB RSS. Baseline in the same run: the naive
// per-node crawl (GET /nodes/{node}/qemu on each node, one at a time, then
// status/current for every guest), as inventory scripts did before they
// learned /cluster/resources.
func BenchmarkGetVMsJSON10k(b *testing.B) {
	bin := buildBinary(b)
	srv, fp := largeSim(b, 10000)
	env := []string{"PROXMOX_VE_ENDPOINT=" + srv.URL, "PROXMOX_VE_API_TOKEN=" + pvesim.DefaultToken, "HOME=" + b.TempDir()}
	var maxRSS int64
	b.ResetTimer()
	for b.Loop() {
		_, rss := runProcess(b, bin, env, "get", "vms", "-o", "json", "--fingerprint", fp)
		maxRSS = max(maxRSS, rss)
	}
	b.StopTimer()
	b.ReportMetric(float64(maxRSS)/(1<<20), "MB-rss")
	perOp := b.Elapsed() / time.Duration(b.N)

	naive := naiveCrawl(b, srv.URL, fp, 500)
	b.ReportMetric(float64(naive.Milliseconds())*10000/500, "naive-ms-extrapolated")
	b.ReportMetric(float64(naive)*10000/500/float64(perOp), "x-faster-than-naive")
}

func naiveCrawl(b *testing.B, endpoint, fp string, guests int) time.Duration {
	b.Helper()
	c, err := pve.New(pve.Config{Endpoint: endpoint, APIToken: pvesim.DefaultToken, Fingerprint: fp})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	nodes, err := c.Nodes(ctx)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, node := range nodes {
		vms, err := c.Guests(ctx, node.Node, pve.KindVM)
		if err != nil {
			b.Fatal(err)
		}
		for _, vm := range vms {
			if n >= guests {
				break
			}
			if _, err := c.GuestStatus(ctx, node.Node, pve.KindVM, int(vm.VMID)); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	return time.Since(start)
}

// BenchmarkVersion: `proxmox-mpc version` start-up. Target < 30 ms.
// Baseline: exec of /bin/true in the same run (the floor of a process start).
func BenchmarkVersion(b *testing.B) {
	bin := buildBinary(b)
	env := []string{"HOME=" + b.TempDir()}
	var floor time.Duration
	for range 20 {
		d, _ := runProcess(b, "/bin/true", env)
		floor += d
	}
	floor /= 20
	b.ResetTimer()
	for b.Loop() {
		runProcess(b, bin, env, "version")
	}
	b.StopTimer()
	perOp := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(floor.Microseconds())/1000, "ms-bin-true")
	b.ReportMetric(float64(perOp)/float64(floor), "x-bin-true")
}

// simTLS serves a simulator made with opts over HTTPS with a self-signed
// certificate, for the test's lifetime; it returns the server and the
// certificate's fingerprint.
func simTLS(tb testing.TB, opts pvesim.Options) (*httptest.Server, string) {
	tb.Helper()
	sim, err := pvesim.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return serveTLS(tb, sim)
}

// serveTLS serves sim over HTTPS for the test's lifetime.
func serveTLS(tb testing.TB, sim *pvesim.Sim) (*httptest.Server, string) {
	tb.Helper()
	cert, fp, err := pvesim.SelfSignedCert(nil, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(sim)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	return srv, fp
}
