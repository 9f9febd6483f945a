package anonymize

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// logLine returns the i-th line of a realistic mixed log: slog text and
// JSON records, PVE task lines, config fragments, with addresses, names
// and now and then a secret.
func logLine(i int) string {
	ip := fmt.Sprintf("10.%d.%d.%d", i%4, i%50, i%250+1)
	switch i % 8 {
	case 0:
		return fmt.Sprintf(`time=2025-03-14T09:26:%02d.589Z level=INFO msg="sync done" correlation_id=c-%x node=pve%d vmid=%d duration_ms=%d resources=42`, i%60, i, i%3+1, 100+i%40, i%900)
	case 1:
		return fmt.Sprintf(`{"time":"2025-03-14T09:26:53.601Z","level":"DEBUG","msg":"api call","method":"GET","path":"/nodes/pve%d/qemu/%d/status/current","status":200,"latency_ms":%d}`, i%3+1, 100+i%40, i%90)
	case 2:
		return fmt.Sprintf(`{"time":"2025-03-14T09:26:54.010Z","level":"WARN","msg":"guest agent slow","name":"web-%02d","ip":"%s","mac":"BC:24:11:5E:%02X:%02X"}`, i%20, ip, i%256, (i/7)%4)
	case 3:
		return fmt.Sprintf(`UPID:pve%d:000%X:0A1B2C3D:65F2A1B3:qmstart:%d:ops@pve: OK`, i%3+1, i, 100+i%40)
	case 4:
		return fmt.Sprintf(`net0: virtio=BC:24:11:AA:%02X:01,bridge=vmbr0,tag=%d scsi0: local-lvm:vm-%d-disk-0,size=32G version 9.1.2`, i%256, i%30, 100+i%40)
	case 5:
		return fmt.Sprintf(`level=ERROR msg="login failed" user=jane%d@acme-corp.com from=%s password=Pw-%08d err="401 ticket expired"`, i%7, ip, i)
	case 6:
		return fmt.Sprintf(`ipconfig0: ip=%s/24,gw=10.%d.%d.1 searchdomain=lab.acme.internal host=db-%02d.lab.acme.internal`, ip, i%4, i%50, i%10)
	default:
		return fmt.Sprintf(`  TASK OK: started vm %d on node pve%d (uptime %ds, mem 8192 MiB, cpu 4 cores)`, 100+i%40, i%3+1, i)
	}
}

func mixedLog(size int) string {
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		b.WriteString(logLine(i))
		b.WriteByte('\n')
	}
	return b.String()
}

// BenchmarkText1MB anonymizes 1 MB of mixed log lines (issue 7: < 20 ms on
// one core: go test -bench Text1MB -cpu 1).
func BenchmarkText1MB(b *testing.B) {
	in := mixedLog(1 << 20)
	e := newTestEngine(b, Rules{})
	e.Text(in) // warm the pseudonym table, as a long-lived engine has it
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		e.Text(in)
	}
	b.ReportMetric(float64(cpuTime()-start)/1e6/float64(b.N), "cpu-ms/op")
}

// BenchmarkText1MBCold is the same with a fresh engine each time (every
// pseudonym computed once).
func BenchmarkText1MBCold(b *testing.B) {
	in := mixedLog(1 << 20)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		e := newTestEngine(b, Rules{})
		e.Text(in)
	}
}

// genReader yields n bytes of mixed log lines without holding them.
type genReader struct {
	left int
	i    int
	buf  []byte
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.left <= 0 {
		return 0, io.EOF
	}
	if len(g.buf) == 0 {
		g.buf = append(g.buf[:0], logLine(g.i)...)
		g.buf = append(g.buf, '\n')
		g.i++
	}
	n := copy(p, g.buf)
	n = min(n, g.left)
	g.buf = g.buf[n:]
	g.left -= n
	return n, nil
}

// peakWriter samples the heap while the stream is written.
type peakWriter struct {
	n, peak uint64
	calls   int
}

func (w *peakWriter) Write(p []byte) (int, error) {
	w.n += uint64(len(p))
	w.calls++
	if w.calls%64 == 0 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		w.peak = max(w.peak, m.HeapInuse)
	}
	return len(p), nil
}

func streamPeak(tb testing.TB, size int) (uint64, uint64) {
	e := newTestEngine(tb, Rules{})
	runtime.GC()
	w := &peakWriter{}
	if err := e.Stream(w, &genReader{left: size}); err != nil {
		tb.Fatal(err)
	}
	return w.n, w.peak
}

// TestStreamMemory streams 100 MB generated lazily and checks the heap in
// use stays under 64 MB (issue 7).
func TestStreamMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 100 MB")
	}
	size := 100 << 20
	if raceEnabled {
		size = 10 << 20
	}
	n, peak := streamPeak(t, size)
	t.Logf("streamed %d MB, peak HeapInuse %.1f MB", n>>20, float64(peak)/(1<<20))
	if n < uint64(size)*9/10 {
		t.Errorf("only %d bytes written", n)
	}
	if peak >= 64<<20 {
		t.Errorf("peak HeapInuse %d MB, want < 64 MB", peak>>20)
	}
}

func BenchmarkStream100MB(b *testing.B) {
	b.SetBytes(100 << 20)
	for b.Loop() {
		_, peak := streamPeak(b, 100<<20)
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	}
}
