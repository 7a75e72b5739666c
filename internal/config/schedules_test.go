package config

import (
	"strings"
	"testing"
)

// TestProjectFileSchedules: gc.schedule, retention.schedule and keep_tags
// parse into Schedules; what the registry's cron parser would refuse is an
// error naming the key and the accepted forms.
func TestProjectFileSchedules(t *testing.T) {
	pf, err := ParseProjectFile("/p/esb.yaml", []byte("gc: {schedule: \"0 2 * * *\"}\nretention: {keep: 3, schedule: \"@daily\", keep_tags: [\"v*\", \"release-?\"]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := pf.Schedules()
	if s.GC != "0 2 * * *" || s.Retention != "@daily" || s.Keep != 3 || len(s.KeepTags) != 2 {
		t.Fatalf("%+v", s)
	}
	if v := s.EnvValue(); !strings.Contains(v, `"gc":"0 2 * * *"`) || !strings.Contains(v, `"keep_tags":["v*","release-?"]`) {
		t.Fatalf("env value %s", v)
	}
	for _, ok := range []string{"*/15 * * * *", "0 3 * * MON-FRI", "@hourly", "@every 6h", "@every 2s"} {
		if err := CheckSchedule(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, tc := range []struct{ yaml, want string }{
		{"gc: {schedule: \"0 2 * *\"}\n", "gc.schedule \"0 2 * *\""},
		{"gc: {schedule: \"0 0 2 * * *\"}\n", "give 5 fields"},
		{"gc: {schedule: \"61 * * * *\"}\n", "gc.schedule"},
		{"gc: {schedule: \"CRON_TZ=Asia/Tokyo 0 2 * * *\"}\n", "schedules run in UTC"},
		{"gc: {schedule: \"@every 10ms\"}\n", "at least 1s"},
		{"retention: {schedule: \"@daily\"}\n", "retention.schedule needs retention.keep"},
		{"retention: {keep: 2, schedule: \"@daily\", keep_tags: [\"[v\"]}\n", "keep_tags \"[v\""},
		{"gc: {schedul: \"@daily\"}\n", "gc.schedule"},
	} {
		_, err := ParseProjectFile("/p/esb.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "/p/esb.yaml") {
			t.Errorf("%q: %v, want an error with %q", tc.yaml, err, tc.want)
		}
	}
}

// TestLoadRegistryd: the container reads what `up` wrote, validated again
// (the variable is outside input there).
func TestLoadRegistryd(t *testing.T) {
	t.Setenv(EnvRegistrySchedules, Schedules{GC: "@every 2s", Retention: "0 3 * * *", Keep: 2, KeepTags: []string{"v*"}}.EnvValue())
	s, err := LoadRegistryd()
	if err != nil || s.GC != "@every 2s" || s.Keep != 2 {
		t.Fatalf("%+v %v", s, err)
	}
	for _, bad := range []string{`{"gc":"nope"}`, `{"retention":"@daily"}`, `[`, strings.Repeat("x", 20<<10)} {
		t.Setenv(EnvRegistrySchedules, bad)
		if _, err := LoadRegistryd(); err == nil || !strings.Contains(err.Error(), EnvRegistrySchedules) {
			t.Errorf("%.40q: %v", bad, err)
		}
	}
	t.Setenv(EnvRegistrySchedules, "")
	if s, err := LoadRegistryd(); err != nil || !s.Empty() {
		t.Fatalf("unset: %+v %v", s, err)
	}
}
