package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// GC is esb.yaml's gc section.
type GC struct {
	// Schedule is when the registry collects garbage by itself (cron).
	Schedule string `yaml:"schedule" json:"schedule,omitempty"`
}

// Schedules are the maintenance jobs esbtui's registry image runs by
// itself: `esbtui up` hands them to the container (EnvRegistrySchedules),
// the registry's own process runs them (registryserver).
type Schedules struct {
	GC        string   `json:"gc,omitempty"`
	Retention string   `json:"retention,omitempty"`
	Keep      int      `json:"keep,omitempty"`
	KeepTags  []string `json:"keep_tags,omitempty"`
}

// Empty: no job.
func (s Schedules) Empty() bool { return s.GC == "" && s.Retention == "" }

// EnvRegistrySchedules carries Schedules (JSON) into the registry
// container; only `registryd serve` inside it reads it (LoadRegistryd).
const EnvRegistrySchedules = "ESB_REGISTRY_SCHEDULES"

// CheckSchedule validates a schedule the way the registry parses it:
// robfig/cron's standard parser — 5 fields (minute hour day-of-month month
// day-of-week, "0 2 * * *") or a descriptor (@yearly, @monthly, @weekly,
// @daily, @hourly, @every DURATION). Times are UTC (the container's
// clock); a time zone prefix is refused, the image has no zone data.
func CheckSchedule(spec string) error {
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return fmt.Errorf("%q: time zone prefixes are not supported: schedules run in UTC", spec)
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return fmt.Errorf("%q: %w (give 5 fields: minute hour day-of-month month day-of-week, like \"0 2 * * *\", or @daily, @hourly, @every 6h)", spec, err)
	}
	// robfig rounds a shorter @every up to 1s without a word: refuse it.
	if _, ok := sched.(cron.ConstantDelaySchedule); ok {
		if d, err := time.ParseDuration(strings.TrimSpace(strings.TrimPrefix(spec, "@every"))); err == nil && d < time.Second {
			return fmt.Errorf("%q: @every needs at least 1s", spec)
		}
	}
	return nil
}

// CheckKeepTags validates keep_tags globs (path.Match syntax).
func CheckKeepTags(globs []string) error {
	for _, g := range globs {
		if g == "" {
			return fmt.Errorf("an empty keep_tags pattern")
		}
		if _, err := path.Match(g, ""); err != nil {
			return fmt.Errorf("keep_tags %q: %w (globs like \"v*\" or \"release-?\")", g, err)
		}
	}
	return nil
}

// Check validates every field.
func (s Schedules) Check() error {
	if s.GC != "" {
		if err := CheckSchedule(s.GC); err != nil {
			return fmt.Errorf("gc.schedule %w", err)
		}
	}
	if s.Retention != "" {
		if err := CheckSchedule(s.Retention); err != nil {
			return fmt.Errorf("retention.schedule %w", err)
		}
		if s.Keep < 1 {
			return fmt.Errorf("retention.schedule needs retention.keep (how many tags to keep per repository)")
		}
	}
	return CheckKeepTags(s.KeepTags)
}

// EnvValue is the value of EnvRegistrySchedules for s ("" for none).
func (s Schedules) EnvValue() string {
	if s.Empty() {
		return ""
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// EnvMirrorDir names, inside a mirror's registry container, the directory
// of its settings files (registryserver's mirror.json, ca.pem,
// credentials.json); `esbtui up` sets it, only `registryd serve` reads it
// (RegistrydMirrorDir).
const EnvMirrorDir = "ESB_MIRROR_DIR"

// RegistrydMirrorDir is EnvMirrorDir inside the registry container: ""
// for a registry that is no mirror. The directory's files are validated
// where they are read (registryserver).
func RegistrydMirrorDir() string { return os.Getenv(EnvMirrorDir) }

// maxSchedulesEnv bounds EnvRegistrySchedules.
const maxSchedulesEnv = 16 << 10

// LoadRegistryd reads the schedules inside the registry container (the
// environment `esbtui up` gave it), validated as esb.yaml is.
func LoadRegistryd() (Schedules, error) {
	var s Schedules
	v := os.Getenv(EnvRegistrySchedules)
	if v == "" {
		return s, nil
	}
	if len(v) > maxSchedulesEnv {
		return s, fmt.Errorf("config: %s is %d bytes (at most %d)", EnvRegistrySchedules, len(v), maxSchedulesEnv)
	}
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		return Schedules{}, fmt.Errorf("config: %s: %w", EnvRegistrySchedules, err)
	}
	if err := s.Check(); err != nil {
		return Schedules{}, fmt.Errorf("config: %s: %w", EnvRegistrySchedules, err)
	}
	return s, nil
}
