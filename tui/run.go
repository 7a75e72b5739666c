package tui

import (
	"context"
	"errors"
	"fmt"

	tea "charm.land/bubbletea/v2"
)

// Run opens the dashboard on the terminal and blocks until the user quits
// or ctx ends. Jobs still running are cancelled on the way out.
func Run(ctx context.Context, b Backend, o Options, opts ...tea.ProgramOption) error {
	m := New(ctx, b, o)
	defer m.closeNotes()
	defer m.stop()
	opts = append([]tea.ProgramOption{tea.WithContext(ctx), tea.WithFPS(30)}, opts...)
	p := tea.NewProgram(m, opts...)
	_, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("dashboard: %w (use --no-tui for plain output)", err)
	}
	return nil
}
