package registryclient

import (
	"strconv"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/esbtui/esbtui/internal/termtext"
)

// validNames splits the names a registry listed into the ones that are
// valid (kept as they are: later operations use them) and the rest, which no
// operation touches and which are returned quoted and cleaned of control
// sequences so they can be reported. A hostile or broken registry cannot
// put an escape sequence on the terminal through a listing, and a cleaned
// name never stands in for a real one (prune would delete the wrong tag).
func validNames(names []string, valid func(string) bool) (ok, invalid []string) {
	ok = make([]string, 0, len(names))
	for _, n := range names {
		if valid(n) {
			ok = append(ok, n)
			continue
		}
		invalid = append(invalid, termtext.Clean(strconv.Quote(n)))
	}
	return ok, invalid
}

// validRepoName reports whether repo is a repository path the distribution
// spec allows ("team/app").
func validRepoName(reg name.Registry) func(string) bool {
	return func(repo string) bool {
		r, err := name.NewRepository(reg.RegistryStr()+"/"+repo, name.StrictValidation)
		return err == nil && r.RepositoryStr() == repo
	}
}

// validTagName reports whether tag is a tag the distribution spec allows.
func validTagName(repo name.Repository) func(string) bool {
	return func(tag string) bool {
		t, err := name.NewTag(repo.Name()+":"+tag, name.StrictValidation)
		return err == nil && t.TagStr() == tag
	}
}
