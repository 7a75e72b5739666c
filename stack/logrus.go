package stack

import (
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/sirupsen/logrus"
)

var setLoggerOnce sync.Mutex

// SetLogger sends everything the embedded libraries log through logrus to l
// (esbtui's log file), never to the terminal; nil drops it. Compose,
// compose-go, docker/cli and distribution log through the global logrus
// logger to stderr by default, which would corrupt the TUI and the CLI's
// output: the binary calls SetLogger(nil) first thing. Safe to call more
// than once.
func SetLogger(l *slog.Logger) {
	setLoggerOnce.Lock()
	defer setLoggerOnce.Unlock()
	std := logrus.StandardLogger()
	std.SetOutput(io.Discard)
	std.ReplaceHooks(logrus.LevelHooks{})
	if l == nil {
		return
	}
	std.AddHook(&slogHook{l: l})
}

type slogHook struct{ l *slog.Logger }

func (h *slogHook) Levels() []logrus.Level { return logrus.AllLevels }

func (h *slogHook) Fire(e *logrus.Entry) error {
	lvl := slog.LevelInfo
	switch {
	case e.Level <= logrus.ErrorLevel:
		lvl = slog.LevelError
	case e.Level == logrus.WarnLevel:
		lvl = slog.LevelWarn
	case e.Level >= logrus.DebugLevel:
		lvl = slog.LevelDebug
	}
	attrs := make([]any, 0, 2*len(e.Data)+2)
	attrs = append(attrs, "source", "logrus")
	for k, v := range e.Data {
		attrs = append(attrs, k, v)
	}
	h.l.Log(e.Context, lvl, strings.TrimSpace(e.Message), attrs...)
	return nil
}
