package terraform

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// batch is how many indexes a worker takes at a time: small enough to
// balance the load when a worker is slowed down, large enough that taking
// them costs nothing.
const batch = 32

// forEach runs fn(i) for i in [0, n) on up to GOMAXPROCS goroutines and
// waits for all of them. fn must only write to its own index's result.
func forEach(n int, fn func(i int)) {
	forEachBatch(n, func() func(lo, hi int) {
		return func(lo, hi int) {
			for i := lo; i < hi; i++ {
				fn(i)
			}
		}
	})
}

// forEachBatch runs up to GOMAXPROCS workers and waits for all of them.
// Each worker calls newWorker once (for its own state, e.g. buffers it
// reuses) and then runs the function it returns on batches [lo, hi) of
// [0, n) until none is left.
func forEachBatch(n int, newWorker func() func(lo, hi int)) {
	if n <= 0 {
		return
	}
	workers := min(runtime.GOMAXPROCS(0), (n+batch-1)/batch)
	if workers <= 1 {
		newWorker()(0, n)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			fn := newWorker()
			for {
				lo := int(next.Add(batch)) - batch
				if lo >= n {
					return
				}
				fn(lo, min(lo+batch, n))
			}
		})
	}
	wg.Wait()
}
