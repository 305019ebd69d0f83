package audit

import (
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"
)

// TestIdlerWaitReturns waits many times, alone and while other goroutines
// keep the scheduler busy and a network read is pending: each wait must
// end (the network poller wakes it), none may hang.
func TestIdlerWaitReturns(t *testing.T) {
	i := newIdler()
	defer i.close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Read(make([]byte, 1)) // pending until the test ends
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					time.Sleep(50 * time.Microsecond)
				}
			}
		})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 2000 {
			i.wait()
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("2000 idler waits did not end within 30s")
	}
	close(stop)
	wg.Wait()
}

func TestSlowSyncTurnsInlineSyncsOffForAWhile(t *testing.T) {
	l := &Log{log: slog.New(slog.DiscardHandler)}
	if !l.syncInline() {
		t.Fatal("a new log does not sync inline")
	}
	l.syncTook(slowSync/2, true)
	if !l.syncInline() {
		t.Error("a sync under slowSync turned inline syncs off")
	}
	l.syncTook(slowSync, true)
	if l.syncInline() {
		t.Error("a sync of slowSync left inline syncs on")
	}
	if until := time.Until(l.w.blockingUntil); until < blockingFor-time.Second || until > blockingFor {
		t.Errorf("inline syncs off for %v, want about %v", until, blockingFor)
	}
	l.w.blockingUntil = time.Now().Add(-time.Millisecond)
	if !l.syncInline() {
		t.Error("inline syncs still off after blockingFor")
	}
}
