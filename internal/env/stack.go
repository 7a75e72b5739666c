package env

import "context"

// StackStatus is the stack section of a Snapshot.
type StackStatus struct{}

func (s *StackStatus) ok() bool { return true }

func (e *Env) stackStatus(ctx context.Context) *StackStatus { return nil }
