package stack

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/opencontainers/go-digest"
)

// errOnlineUnavailable: the registry cannot collect online (a cache is
// configured, or the image predates it); the caller stops it instead.
var errOnlineUnavailable = errors.New("online gc unavailable")

// online asks esbtui's registry to collect while it serves: `registryd
// gc-online` exec'd in the container talks to the registry process over
// its control socket (registryserver.ControlSocket, reachable from inside
// the container only). Pulls go on during the sweep; pushes are held
// until it ends. The registry has no blob descriptor cache, so nothing
// needs a restart.
func (j *gcJob) online(ctx context.Context) error {
	e, reg, res, rep := j.e, j.reg, j.res, j.rep
	rep.Step("gc", progress.Start, "online garbage collection in "+reg.Container+" (pulls keep being served, pushes wait for the sweep)")
	t := time.Now()
	out, code, err := e.Exec(ctx, reg.ID, append(slices.Clip(j.bin), "gc-online"))
	res.GC = time.Since(t)
	if err != nil {
		return &GCError{Container: reg.Container, Step: "gc", Output: out, Err: err}
	}
	reply, perr := parseControlReply(out)
	if perr != nil {
		return &GCError{Container: reg.Container, Step: "gc", Output: out, Err: fmt.Errorf("exit code %d: %w", code, perr)}
	}
	if reply.Unavailable {
		rep.Step("gc", progress.Warning, "online gc unavailable ("+reply.Error+"): stopping the registry instead")
		return errOnlineUnavailable
	}
	if reply.Error != "" || code != 0 || reply.GC == nil {
		msg := reply.Error
		if msg == "" {
			msg = fmt.Sprintf("exit code %d", code)
		}
		return &GCError{Container: reg.Container, Step: "gc", Err: errors.New(msg)}
	}
	g := reply.GC
	res.Online = true
	res.Manifests, res.Blobs = g.Manifests, g.Blobs
	res.ReadsServed, res.WritesHeld = g.ReadsServed, g.WritesHeld
	res.BytesReclaimed = g.BytesReclaimed
	res.Sweep = g.Finished.Sub(g.Started)
	rep.Step("gc", progress.Done, fmt.Sprintf("deleted %d manifest(s) and %d blob(s) in %s; %d read(s) served, %d write(s) held during the sweep",
		len(res.Manifests), len(res.Blobs), res.Sweep.Round(time.Millisecond), res.ReadsServed, res.WritesHeld))
	if n, err := e.Du(ctx, reg.ID, j.duCmd, j.root); err == nil {
		res.BytesAfter = n
		if res.BytesBefore >= 0 {
			res.BytesReclaimed = max(res.BytesBefore-n, 0)
		}
	}
	return nil
}

// maxReplyLine bounds one line of a control reply read from the container.
const maxReplyLine = 16 << 20

// parseControlReply finds the JSON reply among the exec's output lines
// (stderr is mixed in).
func parseControlReply(out string) (*controlReply, error) {
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), maxReplyLine)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var r controlReply
		if json.Unmarshal([]byte(line), &r) == nil {
			r.sanitize()
			return &r, nil
		}
	}
	return nil, errors.New("the registry answered no result")
}

// controlReply is the JSON the registry's control channel answers
// (registryserver.ControlReply, read here as outside data).
type controlReply struct {
	GC *struct {
		Manifests      []string  `json:"manifests"`
		Blobs          []string  `json:"blobs"`
		BytesReclaimed int64     `json:"bytes_reclaimed"`
		Started        time.Time `json:"started"`
		Finished       time.Time `json:"finished"`
		ReadsServed    int64     `json:"reads_served"`
		WritesHeld     int64     `json:"writes_held"`
	} `json:"gc"`
	Schedules   []ScheduledJob   `json:"schedules"`
	Runs        []MaintenanceRun `json:"runs"`
	Error       string           `json:"error"`
	Unavailable bool             `json:"unavailable"`
}

// maxReplyError bounds the error text a control reply carries.
const maxReplyError = 2000

// sanitize keeps of a reply what esbtui can trust: digests that are
// digests (the offline path reads them with the same strictness) and
// bounded error text.
func (r *controlReply) sanitize() {
	r.Error = boundText(r.Error, maxReplyError)
	if r.GC != nil {
		r.GC.Manifests = validDigests(r.GC.Manifests)
		r.GC.Blobs = validDigests(r.GC.Blobs)
	}
}

// validDigests drops what is not a well-formed digest.
func validDigests(ds []string) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		if digest.Digest(d).Validate() == nil {
			out = append(out, d)
		}
	}
	return out
}
