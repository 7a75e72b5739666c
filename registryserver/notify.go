package registryserver

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/esbtui/esbtui/internal/termtext"
)

// RegistryEvent is one registry notification (distribution's envelope
// format), flattened: a push, pull, delete or mount of a manifest or blob,
// by any client.
type RegistryEvent struct {
	ID         string    `json:"id"`
	Time       time.Time `json:"time"`
	Action     string    `json:"action"` // push, pull, delete, mount
	Kind       string    `json:"kind"`   // manifest, blob
	Repository string    `json:"repository"`
	Tag        string    `json:"tag,omitempty"`
	Digest     string    `json:"digest,omitempty"`
	MediaType  string    `json:"media_type,omitempty"`
	Size       int64     `json:"size,omitempty"`
	// User is the authenticated user, if any; Addr and UserAgent say which
	// client made the request.
	User      string `json:"user,omitempty"`
	Addr      string `json:"addr,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
}

// Ref is repository:tag or repository@digest.
func (e RegistryEvent) Ref() string {
	if e.Tag != "" {
		return e.Repository + ":" + e.Tag
	}
	if e.Digest != "" {
		return e.Repository + "@" + e.Digest
	}
	return e.Repository
}

// Who says who caused the event, for people: " (by USER, AGENT)" with the
// user agent's first word, or "" when the registry did not say.
func (e RegistryEvent) Who() string {
	var who []string
	if e.User != "" {
		who = append(who, "by "+e.User)
	}
	if e.UserAgent != "" {
		ua, _, _ := strings.Cut(e.UserAgent, " ")
		who = append(who, ua)
	}
	if len(who) == 0 {
		return ""
	}
	return " (" + strings.Join(who, ", ") + ")"
}

type envelope struct {
	Events []struct {
		ID        string    `json:"id"`
		Timestamp time.Time `json:"timestamp"`
		Action    string    `json:"action"`
		Target    struct {
			MediaType  string `json:"mediaType"`
			Size       int64  `json:"size"`
			Digest     string `json:"digest"`
			Repository string `json:"repository"`
			Tag        string `json:"tag"`
		} `json:"target"`
		Request struct {
			Addr      string `json:"addr"`
			UserAgent string `json:"useragent"`
		} `json:"request"`
		Actor struct {
			Name string `json:"name"`
		} `json:"actor"`
	} `json:"events"`
}

// EventListener receives registry notifications over HTTP (POST
// EventsPath with the bearer token) and hands them out on a channel.
type EventListener struct {
	ln     net.Listener
	token  string
	events chan RegistryEvent
	srv    *http.Server

	// sending is held (read) by a handler while it delivers; closeEvents
	// takes it to close events once no delivery is under way.
	sending sync.RWMutex
	closed  bool

	mu  sync.Mutex
	err error // why the server stopped before ctx ended
}

// closeEvents closes Events once no handler is delivering; handlers that
// come later find it closed and deliver nothing. Their context is done by
// then, so a delivery in progress ends at once.
func (l *EventListener) closeEvents() {
	l.sending.Lock()
	defer l.sending.Unlock()
	l.closed = true
	close(l.events)
}

// deliver hands ev to the reader; false when it was not delivered.
func (l *EventListener) deliver(ctx, reqCtx context.Context, ev RegistryEvent) bool {
	l.sending.RLock()
	defer l.sending.RUnlock()
	if l.closed {
		return false
	}
	select {
	case l.events <- ev:
		return true
	case <-ctx.Done():
	case <-reqCtx.Done():
	}
	return false
}

// EventsPath is where the listener accepts notifications.
const EventsPath = "/events"

// ListenEventsError means the listener could not bind its address.
type ListenEventsError struct {
	Addr string
	Err  error
}

func (e *ListenEventsError) Error() string {
	return fmt.Sprintf("registryserver: listen for registry notifications on %s: %v (is another `esbtui events` or the dashboard already listening? only one can)", e.Addr, e.Err)
}

func (e *ListenEventsError) Unwrap() error { return e.Err }

// ListenEvents binds addr and serves notifications until ctx is done, then
// closes Events. Requests without "Authorization: Bearer token" are refused
// (any container on the host can reach the listener). Blob events are
// dropped unless they are deletes: a push is one manifest event. If the
// server stops on its own (its listener fails), Events is closed too and
// Err says why.
func ListenEvents(ctx context.Context, addr, token string) (*EventListener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, &ListenEventsError{Addr: addr, Err: err}
	}
	l := &EventListener{ln: ln, token: token, events: make(chan RegistryEvent, 64)}
	// Handlers stop delivering when ctx ends or the server dies, so Events
	// can be closed once they have returned.
	hctx, stopHandlers := context.WithCancel(ctx)
	mux := http.NewServeMux()
	mux.HandleFunc(EventsPath, func(w http.ResponseWriter, r *http.Request) { l.serve(hctx, w, r) })
	l.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- l.srv.Serve(ln) }()
	go func() {
		defer l.closeEvents()
		select {
		case <-ctx.Done():
			defer func() { <-served }()
		case err := <-served:
			// Serve returns only after Shutdown or Close, or when
			// accepting fails for good.
			l.setErr(fmt.Errorf("registryserver: the notification listener on %s stopped: %w (registry events are no longer received; start the listener again)", l.Addr(), err))
		}
		stopHandlers()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := l.srv.Shutdown(sctx); err != nil {
			l.srv.Close()
		}
	}()
	return l, nil
}

func (l *EventListener) setErr(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.err = err
}

// Err is why the listener stopped before its ctx ended (nil when it ran
// until ctx was done). Read it once Events is closed.
func (l *EventListener) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Addr is the bound address.
func (l *EventListener) Addr() string { return l.ln.Addr().String() }

// Events delivers notifications in arrival order; it is closed when the
// listener's ctx is done. A slow reader makes the registry queue and retry,
// nothing is dropped.
func (l *EventListener) Events() <-chan RegistryEvent { return l.events }

func (l *EventListener) serve(ctx context.Context, w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if subtle.ConstantTimeCompare([]byte(got), []byte(l.token)) != 1 {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	var env envelope
	if err := json.NewDecoder(io.LimitReader(r.Body, 8<<20)).Decode(&env); err != nil {
		http.Error(w, "bad envelope: "+err.Error(), http.StatusBadRequest)
		return
	}
	for _, e := range env.Events {
		// Every text field comes from the request's client or the registry:
		// cleaned here so neither the dashboard nor `esbtui events` prints
		// an escape sequence.
		ev := RegistryEvent{
			ID: termtext.Clean(e.ID), Time: e.Timestamp, Action: termtext.Clean(e.Action), Kind: "manifest",
			Repository: termtext.Clean(e.Target.Repository), Tag: termtext.Clean(e.Target.Tag), Digest: termtext.Clean(e.Target.Digest),
			MediaType: termtext.Clean(e.Target.MediaType), Size: e.Target.Size,
			User: termtext.Clean(e.Actor.Name), Addr: termtext.Clean(e.Request.Addr), UserAgent: termtext.Clean(e.Request.UserAgent),
		}
		if isBlobMediaType(e.Target.MediaType) {
			ev.Kind = "blob"
			if e.Action != "delete" {
				continue
			}
		}
		if !l.deliver(ctx, r.Context(), ev) {
			// Not delivered: let the registry retry with a later listener.
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// isBlobMediaType: manifests and indexes are JSON documents; anything else
// (layers, configs, application/octet-stream) is a blob.
func isBlobMediaType(mt string) bool {
	if mt == "" {
		return false // deletes by digest carry no media type
	}
	return !strings.Contains(mt, "manifest") && !strings.Contains(mt, "image.index")
}
