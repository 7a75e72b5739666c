package registryserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// ControlSocket is the maintainer's control channel inside esbtui's
// registry image: a unix socket in the container's own /tmp (not in a
// volume, not published), 0600. Only a process in the container can reach
// it (`docker exec … registryd gc-online`), so no client from outside the
// engine can trigger a sweep.
const ControlSocket = "/tmp/esbtui-registryd/control.sock"

// ControlReply is what the control channel answers (and what `registryd
// gc-online` and `registryd maintenance` print): a result or an error.
type ControlReply struct {
	GC        *OnlineGCResult `json:"gc,omitempty"`
	Schedules []ScheduledJob  `json:"schedules,omitempty"`
	Runs      []Run           `json:"runs,omitempty"`
	// Gate is the write gate now (a sweep running, writes held).
	Gate        *GateState `json:"gate,omitempty"`
	Error       string     `json:"error,omitempty"`
	Unavailable bool       `json:"unavailable,omitempty"`
}

// serveControl answers on the control socket until ctx is done.
func (m *Maintainer) serveControl(ctx context.Context, sock string) error {
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	_ = os.Remove(sock) // a stale socket of a previous run of this container
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "unix", sock)
	if err != nil {
		return fmt.Errorf("control socket %s: %w", sock, err)
	}
	if err := os.Chmod(sock, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("control socket %s: %w", sock, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /gc", func(w http.ResponseWriter, r *http.Request) {
		res, err := m.GC(r.Context(), r.URL.Query().Get("dry_run") == "1", "esbtui gc")
		writeReply(w, ControlReply{GC: res}, err)
	})
	mux.HandleFunc("GET /maintenance", func(w http.ResponseWriter, _ *http.Request) {
		runs, err := m.log.Tail(MaxRunLogTail)
		gate := m.gate.state()
		writeReply(w, ControlReply{Schedules: m.Scheduled(), Runs: runs, Gate: &gate}, err)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: discardLogger()}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	go func() { _ = srv.Serve(ln) }()
	return nil
}

func writeReply(w http.ResponseWriter, rep ControlReply, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		rep.Error = err.Error()
		rep.Unavailable = errors.As(err, new(*UnavailableError))
		w.WriteHeader(http.StatusConflict)
	}
	_ = json.NewEncoder(w).Encode(rep)
}

// maxControlReply bounds a reply read from the control socket.
const maxControlReply = 16 << 20

// callControl sends one request to the maintainer in this container and
// prints its JSON reply on out; it fails when the reply carries an error.
func callControl(ctx context.Context, sock, method, path string, out io.Writer) error {
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, method, "http://registryd"+path, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		// No maintainer: the registry runs without it (an older image).
		b, _ := json.Marshal(ControlReply{Error: "no control socket: " + err.Error(), Unavailable: true})
		fmt.Fprintf(out, "%s\n", b)
		return fmt.Errorf("registryd: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxControlReply))
	if err != nil {
		return fmt.Errorf("registryd: %s %s: %w", method, path, err)
	}
	if _, err := out.Write(body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var rep ControlReply
		_ = json.Unmarshal(body, &rep)
		return fmt.Errorf("registryd: %s", rep.Error)
	}
	return nil
}
