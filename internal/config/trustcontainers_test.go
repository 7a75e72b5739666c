package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestTrustContainers(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want TrustContainers
	}{
		{"trust: {containers: all}\n", TrustContainers{All: true, Origin: "/p/esb.yaml:1"}},
		{"registry: localhost:5000\ntrust:\n  containers: [api, worker, api]\n", TrustContainers{Services: []string{"api", "worker"}, Origin: "/p/esb.yaml:3"}},
		{"trust:\n  containers:\n", TrustContainers{}},
		{"names: [a.test]\n", TrustContainers{}},
	} {
		pf, err := ParseProjectFile("/p/esb.yaml", []byte(tc.yaml))
		if err != nil {
			t.Fatalf("%q: %v", tc.yaml, err)
		}
		got := pf.Trust.Containers
		if got.All != tc.want.All || !reflect.DeepEqual(got.Services, tc.want.Services) || (tc.want.Origin != "" && got.Origin != tc.want.Origin) {
			t.Errorf("%q: got %+v, want %+v", tc.yaml, got, tc.want)
		}
	}
}

func TestTrustContainersErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"trust: {containers: some}\n", `/p/esb.yaml:1: trust.containers is "some": give ` + "`all`"},
		{"names: []\ntrust:\n  containers: [api, \"../etc\"]\n", `/p/esb.yaml:3: trust.containers: "../etc" is not a compose service name`},
		{"trust:\n  containers:\n    - api\n    - {x: 1}\n", `/p/esb.yaml:4: trust.containers: "" is not a compose service name`},
		{"trust:\n  containers: {api: true}\n", "/p/esb.yaml:2: trust.containers is a mapping"},
		{"trust:\n  containers: true\n", `/p/esb.yaml:2: trust.containers is "true"`},
		{"trust:\n  container: all\n", "line 2: field container not found"},
		{"trust: {containers: [" + strings.Repeat("a,", MaxTrustServices+1) + "a]}\n", "at most 256"},
	} {
		_, err := ParseProjectFile("/p/esb.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
