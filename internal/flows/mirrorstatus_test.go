package flows

import "testing"

// Problem is the one line both faces show for a mirror: the upstream's
// failure comes first (it is why pulls are slow), the status error only when
// there is none.
func TestMirrorStatusProblemPrefersTheUpstreamFailure(t *testing.T) {
	for _, c := range []struct {
		m    MirrorStatus
		want string
	}{
		{MirrorStatus{}, ""},
		{MirrorStatus{Error: "does not answer"}, "does not answer"},
		{MirrorStatus{LastError: "upstream 503"}, "upstream 503"},
		{MirrorStatus{LastError: "upstream 503", Error: "does not answer"}, "upstream 503"},
	} {
		if got := c.m.Problem(); got != c.want {
			t.Errorf("%+v.Problem() = %q, want %q", c.m, got, c.want)
		}
	}
}
