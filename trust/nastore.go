package trust

import "context"

func (s *naStore) Name() string            { return s.name }
func (s *naStore) Applies() (bool, string) { return false, s.reason }

func (s *naStore) Check(context.Context) Status {
	return Status{Store: s.name, State: NotApplicable, Reason: s.reason}
}

func (s *naStore) Plan(context.Context, Op) (Plan, error) {
	return Plan{}, &NotApplicableError{Store: s.name, Reason: s.reason}
}
