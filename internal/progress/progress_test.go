package progress

import (
	"testing"
	"time"
)

func TestCoalesceKeepsTerminalEventsAndLatestUpdate(t *testing.T) {
	var c Collector
	s := Coalesce(&c, time.Hour)
	t0 := time.Now()
	for i := int64(1); i <= 100; i++ {
		s.Emit(Event{Op: "push", Item: "layer1", Status: Update, Current: i, Total: 200, Time: t0})
	}
	s.Emit(Event{Op: "push", Item: "layer2", Status: Update, Current: 5, Total: 10, Time: t0})
	s.Emit(Event{Op: "push", Item: "layer1", Status: Done, Time: t0})
	got := c.Events()
	// first update, then the held latest (100) right before Done; layer2 is
	// independent.
	if len(got) != 4 {
		t.Fatalf("got %d events: %+v", len(got), got)
	}
	if got[0].Current != 1 || got[1].Item != "layer2" || got[2].Current != 100 || got[3].Status != Done {
		t.Fatalf("order: %+v", got)
	}
}

func TestCoalesceForwardsCompletion(t *testing.T) {
	var c Collector
	s := Coalesce(&c, time.Hour)
	now := time.Now()
	s.Emit(Event{Item: "x", Status: Update, Current: 1, Total: 2, Time: now})
	s.Emit(Event{Item: "x", Status: Update, Current: 2, Total: 2, Time: now})
	if ev := c.Events(); len(ev) != 2 || ev[1].Percent() != 100 {
		t.Fatalf("100%% update was held back: %+v", ev)
	}
}

func TestPercent(t *testing.T) {
	if (Event{Current: 5}).Percent() != -1 || (Event{Current: 5, Total: 10}).Percent() != 50 || (Event{Current: 50, Total: 10}).Percent() != 100 {
		t.Fatal("percent")
	}
}
