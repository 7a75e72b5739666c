package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/flows"
)

// status's alerts block: a line per alert, the fix under warn and fail,
// "unknown:" where nothing could be measured, no control sequence.
func TestPrintAlerts(t *testing.T) {
	var out bytes.Buffer
	a := newApp(strings.NewReader(""), &out, &out)
	v := 87.5
	printAlerts(a, []flows.Alert{
		{Name: flows.AlertStorage, Level: flows.AlertWarn, What: "esb-registry:/var/lib/registry is 87.5 % full\x1b[2J", Value: &v, Fix: "esbtui prune --keep N"},
		{Name: flows.AlertPushSuccess, Level: flows.AlertUnknown, What: "no pushes since the registry started", Fix: "ignored"},
		{Name: flows.AlertAPIP95, Level: flows.AlertOK, What: "95 % within 5ms"},
	}, config.DefaultAlerts())
	got := out.String()
	for _, want := range []string{
		"Alerts (storage warn 85 % / fail 95 %, push/pull success under 99 %, API p95 over 1s)",
		"  ! storage       esb-registry:/var/lib/registry is 87.5 % full\n",
		"fix: esbtui prune --keep N",
		"  ? push success  unknown: no pushes since the registry started\n",
		"  ✓ api p95       95 % within 5ms\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "\x1b") || strings.Contains(got, "ignored") {
		t.Errorf("control sequence or an unknown alert's fix printed:\n%q", got)
	}
}
