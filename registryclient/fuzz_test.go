package registryclient

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// FuzzParseReference feeds arbitrary strings to the image-reference parsers
// and ImageRef: each returns a value or a *BadReferenceError, never panics,
// and what parses round-trips (parsing the canonical name again gives the
// same name).
func FuzzParseReference(f *testing.F) {
	for _, s := range []string{
		"app", "app:1", "team/app:v1.2", "localhost:5000/app:latest",
		"localhost:5000/team/app@sha256:" + strings.Repeat("a", 64),
		"127.0.0.1:5000/x", "[::1]:5000/x:y", "UPPER/case", "a//b", ":tag", "@sha256:",
		"registry.example.com:443/a/b/c:tag@sha256:" + strings.Repeat("0", 64), "",
	} {
		f.Add(s, "localhost:5000")
	}
	f.Add("app", "")
	f.Fuzz(func(t *testing.T, s, def string) {
		ref, err := ParseReference(s, def)
		if err != nil {
			var bad *BadReferenceError
			if !errors.As(err, &bad) {
				t.Fatalf("ParseReference(%q, %q): error %T %v, want *BadReferenceError", s, def, err, err)
			}
			_ = err.Error()
		} else if registryLike(def) {
			// (A default registry that Docker's grammar would read as a
			// path component, "0" or "myhost", cannot round-trip: the
			// canonical "myhost/app" parses as repository myhost/app.)
			again, err := ParseReference(ref.Name(), def)
			if err != nil {
				t.Fatalf("ParseReference(%q, %q) = %q, which does not parse again: %v", s, def, ref.Name(), err)
			}
			if again.Name() != ref.Name() {
				t.Fatalf("round trip of %q: %q then %q", s, ref.Name(), again.Name())
			}
			if ref.Context().RegistryStr() == "" {
				t.Fatalf("ParseReference(%q, %q) = %q has no registry", s, def, ref.Name())
			}
		}
		if repo, err := ParseRepository(s, def); err == nil && registryLike(def) {
			if _, err := ParseRepository(repo.Name(), def); err != nil {
				t.Fatalf("ParseRepository(%q) = %q, which does not parse again: %v", s, repo.Name(), err)
			}
		}
		if reg, err := ParseRegistry(s); err == nil {
			if _, err := ParseRegistry(reg.RegistryStr()); err != nil {
				t.Fatalf("ParseRegistry(%q) = %q, which does not parse again: %v", s, reg.RegistryStr(), err)
			}
		}
		if out := ImageRef(def, s); s != "" && out == "" {
			t.Fatalf("ImageRef(%q, %q) is empty", def, s)
		}
	})
}

// registryLike is Docker's rule for a first path component that names a
// registry: it holds a dot or a colon, or is "localhost".
// The default registry comes from configuration: only a valid one counts.
func registryLike(s string) bool {
	if s == "" {
		return true
	}
	if _, err := ParseRegistry(s); err != nil || s != strings.TrimSpace(s) {
		return false
	}
	return s == "localhost" || strings.ContainsAny(s, ".:")
}

// FuzzNextLink feeds arbitrary Link headers to the pager: a next page is
// either refused with an error or a request URI that keeps the request on
// the registry it came from (a registry must never send us elsewhere).
func FuzzNextLink(f *testing.F) {
	for _, h := range []string{
		`</v2/_catalog?last=b&n=2>; rel="next"`,
		`<https://localhost:5000/v2/_catalog?last=b&n=2>; rel="next"`,
		`<https://evil.example/v2/_catalog>; rel="next"`,
		`<//evil.example/x>; rel="next"`,
		`</a>; rel="prev", </b>; rel="next"`,
		`<`, `<>`, `</v2/_catalog?n=1`, `<a:b>; rel=next`,
	} {
		f.Add(h)
	}
	reg, err := ParseRegistry("localhost:5000")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, h string) {
		link, err := nextLink(h, reg)
		if err != nil || link == "" {
			return
		}
		u, perr := url.Parse("https://" + reg.RegistryStr() + link)
		if perr != nil {
			t.Fatalf("nextLink(%q) = %q: the pager's URL does not parse: %v", h, link, perr)
		}
		if u.Host != reg.RegistryStr() {
			t.Fatalf("nextLink(%q) = %q sends the pager to host %q", h, link, u.Host)
		}
	})
}
