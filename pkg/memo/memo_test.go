package memo

import (
	"strconv"
	"sync"
	"testing"
)

func TestMap(t *testing.T) {
	c := New[int, string](100)
	builds := 0
	build := func(k int) string { builds++; return strconv.Itoa(k) }
	for round := range 2 {
		for k := range 50 {
			if got := c.Get(k, build); got != strconv.Itoa(k) {
				t.Fatalf("round %d: Get(%d) = %q", round, k, got)
			}
		}
	}
	if builds != 50 {
		t.Errorf("built %d values for 50 keys asked twice, want 50", builds)
	}
	for k := range 1000 {
		c.Get(k, build)
		if c.Len() > 100 {
			t.Fatalf("%d values kept, over the bound of 100", c.Len())
		}
	}
	if got := c.Get(7, build); got != "7" {
		t.Errorf("after the bound: Get(7) = %q", got)
	}
}

func TestMapConcurrent(t *testing.T) {
	c := New[int, string](16)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for k := range 1000 {
				if got := c.Get((k+w)%40, strconv.Itoa); got != strconv.Itoa((k+w)%40) {
					t.Errorf("Get = %q", got)
					return
				}
			}
		})
	}
	wg.Wait()
}
