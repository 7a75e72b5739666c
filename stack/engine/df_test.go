package engine

import (
	"strings"
	"testing"
)

func TestParseDf(t *testing.T) {
	u, err := parseDf("noise\n67108864\t8388608\t8388608\t/var/lib/registry\n")
	if err != nil {
		t.Fatal(err)
	}
	if u.Total != 64<<20 || u.Free != 8<<20 || u.Avail != 8<<20 || u.UsedPercent() != 87.5 {
		t.Fatalf("%+v %v%%", u, u.UsedPercent())
	}
	// Reserved blocks: used over used+avail, as df counts.
	if p := (FSUsage{Total: 100, Free: 20, Avail: 10}).UsedPercent(); p != 800.0/9 {
		t.Fatalf("with reserved blocks %v%%", p)
	}
	for _, out := range []string{"", "x y z /p", "-1\t0\t0\t/p", "0\t0\t0\t/p", "10\t20\t5\t/p", "10\t5\n"} {
		if _, err := parseDf(out); err == nil || !strings.Contains(err.Error(), "df printed") {
			t.Errorf("%q: err %v", out, err)
		}
	}
}
