package pvesim

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"
)

// countFaults sends n sequential requests and counts answers by kind.
func countFaults(t *testing.T, s *Sim, n int) (ok, fail, reset int) {
	t.Helper()
	rt := s.RoundTripper()
	for range n {
		req, _ := http.NewRequest("GET", "https://x/api2/json/version", nil)
		req.Header.Set("Authorization", "PVEAPIToken="+DefaultToken)
		res, err := rt.RoundTrip(req)
		switch {
		case errors.Is(err, ErrConnectionReset):
			reset++
		case err != nil:
			t.Fatalf("unexpected error: %v", err)
		case res.StatusCode == 200:
			ok++
			res.Body.Close()
		case res.StatusCode == 500 || res.StatusCode == 502 || res.StatusCode == 503:
			fail++
			res.Body.Close()
		default:
			t.Fatalf("unexpected status %s", res.Status)
		}
	}
	return ok, fail, reset
}

func TestFaultInjectionRates(t *testing.T) {
	t.Parallel()
	const n = 2000
	mk := func(seed int64) *Sim {
		s, _ := newTestSim(t, Options{Seed: seed, FailRate: 0.2, ResetRate: 0.1})
		return s
	}
	ok1, fail1, reset1 := countFaults(t, mk(42), n)
	ok2, fail2, reset2 := countFaults(t, mk(42), n)
	if ok1 != ok2 || fail1 != fail2 || reset1 != reset2 {
		t.Fatalf("same seed, different counts: %d/%d/%d vs %d/%d/%d", ok1, fail1, reset1, ok2, fail2, reset2)
	}
	// Roughly honoured: within ±3.5 percentage points for n=2000.
	if fail1 < 330 || fail1 > 470 {
		t.Errorf("fail count %d not near 20%% of %d", fail1, n)
	}
	if reset1 < 130 || reset1 > 270 {
		t.Errorf("reset count %d not near 10%% of %d", reset1, n)
	}
	if ok1+fail1+reset1 != n {
		t.Errorf("counts do not add up: %d+%d+%d != %d", ok1, fail1, reset1, n)
	}
}

func TestResetOverSocket(t *testing.T) {
	t.Parallel()
	s, _ := newTestSim(t, Options{ResetRate: 1})
	srv := newHTTPServer(t, s)
	cl := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := cl.Get(srv.URL + "/api2/json/version")
	if err == nil {
		res.Body.Close()
		t.Fatalf("got %s, want a dropped connection", res.Status)
	}
}

func TestLatencyHonoursContext(t *testing.T) {
	t.Parallel()
	s, _ := newTestSim(t, Options{Latency: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "https://x/api2/json/version", nil)
	if _, err := s.RoundTripper().RoundTrip(req); err == nil {
		t.Fatal("request with cancelled context succeeded despite one hour latency")
	}
	// The same with a context cancelled while the handler sleeps.
	ctx2, cancel2 := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx2, "GET", "https://x/api2/json/version", nil)
		req.Header.Set("Authorization", "PVEAPIToken="+DefaultToken)
		_, err := s.RoundTripper().RoundTrip(req)
		done <- err
	}()
	cancel2()
	if err := <-done; err == nil {
		t.Fatal("cancelled request succeeded")
	}
}

func TestConcurrentRequests(t *testing.T) {
	t.Parallel()
	s, clk := newTestSim(t, Options{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				switch (w + i) % 6 {
				case 0:
					do(t, s, "GET", "/cluster/resources", nil)
				case 1:
					do(t, s, "POST", "/nodes/pve1/qemu/109/status/start", nil)
				case 2:
					do(t, s, "POST", "/nodes/pve1/qemu/109/status/stop", nil)
				case 3:
					do(t, s, "PUT", "/nodes/pve2/qemu/102/config", url.Values{"description": {"w"}})
				case 4:
					do(t, s, "GET", "/nodes/pve1/tasks", nil)
					clk.Advance(50 * time.Millisecond)
				case 5:
					do(t, s, "GET", "/nodes/pve2/qemu/102/config", nil)
				}
			}
		}()
	}
	wg.Wait()
	clk.Advance(time.Second)
	rows := mustOK(t, do(t, s, "GET", "/nodes/pve1/tasks", url.Values{"source": {"active"}}), "active").dataList(t)
	if len(rows) != 0 {
		t.Fatalf("%d tasks still active after the clock passed their end", len(rows))
	}
}
