package pve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const waitUPID = "UPID:pve1:000FF1FD:10F9374C:630D702C:qmstart:100:root@pam!ci:"

func taskRoute(suffix string) string {
	return "GET /nodes/pve1/tasks/" + waitUPID + "/" + suffix
}

func TestWaitTask(t *testing.T) {
	t.Parallel()
	logLines := make([]map[string]any, 15)
	for i := range logLines {
		logLines[i] = map[string]any{"n": i + 1, "t": fmt.Sprintf("line %d", i+1)}
	}
	logLines[14]["t"] = "TASK ERROR: start failed: QEMU exited with code 1"
	tests := []struct {
		name     string
		running  int // polls answering "running" first
		exit     string
		wantErr  bool
		wantPoll int
	}{
		{"ok", 2, "OK", false, 3},
		{"ok at once", 0, "OK", false, 1},
		{"warnings", 1, "WARNINGS: 1", false, 2},
		{"error", 1, "start failed: QEMU exited with code 1", true, 2},
		{"no exit status", 0, "", true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStub(t)
			var polls atomic.Int32
			s.handle(taskRoute("status"), func(w http.ResponseWriter, r *http.Request) {
				st := map[string]any{"upid": waitUPID, "node": "pve1", "type": "qmstart", "id": "100", "status": "running", "pid": 1044989}
				if int(polls.Add(1)) > tt.running {
					st["status"] = "stopped"
					if tt.exit != "" {
						st["exitstatus"] = tt.exit
					}
				}
				writeData(w, st)
			})
			if tt.wantErr {
				s.handle(taskRoute("log"), func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Query().Get("start") != "0" {
						t.Errorf("log query = %v", r.URL.Query())
					}
					w.Header().Set("Content-Type", "application/json")
					_, _ = fmt.Fprintf(w, `{"total":%d,"data":`, len(logLines))
					writeJSON(t, w, logLines)
					_, _ = w.Write([]byte("}"))
				})
			}
			c := s.client(nil)
			var seen []string
			st, err := c.WaitTask(context.Background(), waitUPID, WaitOptions{
				Interval:   time.Millisecond,
				OnProgress: func(ts TaskStatus) { seen = append(seen, ts.Status) },
			})
			if got := int(polls.Load()); got != tt.wantPoll || len(seen) != tt.wantPoll {
				t.Errorf("polls = %d, progress calls = %d, want %d", got, len(seen), tt.wantPoll)
			}
			if st == nil || st.Status != "stopped" || st.ExitStatus != tt.exit {
				t.Fatalf("status = %+v", st)
			}
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var te *TaskError
			if !errors.As(err, &te) {
				t.Fatalf("err = %T %v, want *TaskError", err, err)
			}
			if te.UPID != waitUPID || te.ExitStatus != tt.exit {
				t.Errorf("TaskError = %+v", te)
			}
			want := []string{"line 6", "line 7", "line 8", "line 9", "line 10", "line 11", "line 12", "line 13", "line 14", "TASK ERROR: start failed: QEMU exited with code 1"}
			if diff := cmp.Diff(want, te.LogTail); diff != "" {
				t.Errorf("LogTail (-want +got):\n%s", diff)
			}
			if !strings.Contains(te.Error(), "task qmstart 100 on pve1 failed") {
				t.Errorf("Error() = %q", te.Error())
			}
			if !strings.Contains(te.Hint(), "TASK ERROR") || !strings.Contains(te.Hint(), "pvenode task log") {
				t.Errorf("Hint() = %q", te.Hint())
			}
		})
	}
}

func TestWaitTaskCancel(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	s.handle(taskRoute("status"), func(w http.ResponseWriter, r *http.Request) {
		writeData(w, map[string]any{"upid": waitUPID, "status": "running"})
	})
	c := s.client(nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	// An hour-long interval: the wait must end on ctx.Done, not on a tick.
	_, err := c.WaitTask(ctx, waitUPID, WaitOptions{Interval: time.Hour, OnProgress: func(TaskStatus) {
		n++
		cancel()
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n != 1 {
		t.Errorf("progress calls = %d, want 1", n)
	}
}

func TestWaitTaskSyncAndBad(t *testing.T) {
	t.Parallel()
	c, err := New(Config{Endpoint: "https://h:8006", APIToken: testToken})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.WaitTask(context.Background(), "", WaitOptions{})
	if err != nil || !st.Succeeded() {
		t.Errorf("empty UPID: %+v, %v", st, err)
	}
	if _, err := c.WaitTask(context.Background(), "UPID:bad", WaitOptions{}); err == nil {
		t.Error("bad UPID accepted")
	}
}

func TestWaitTaskPollErrors(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	var n atomic.Int32
	s.handle(taskRoute("status"), func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			writeRaw(w, 400, `{"errors":{"upid":"unable to parse worker upid"},"data":null}`)
			return
		}
		writeData(w, map[string]any{"status": "stopped", "exitstatus": "OK"})
	})
	c := s.client(nil)
	_, err := c.WaitTask(context.Background(), waitUPID, WaitOptions{Interval: time.Millisecond})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Params["upid"] == "" {
		t.Fatalf("err = %v, want the 400 *APIError", err)
	}
}
