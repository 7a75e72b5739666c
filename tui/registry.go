package tui

import (
	"fmt"
	"strings"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/registryclient"
)

// Registry pane modes.
const (
	regRepos = iota
	regTags
	regImage
)

// registryPane browses the registry: repositories (filterable), a
// repository's tags, one image's layers.
type registryPane struct {
	st        *RegistryState
	loaded    bool
	mode      int
	repos     []string
	repo      string
	tags      []string
	image     *Image
	filter    string
	filtering bool // typing a filter: keys go to it
	cursor    int
	offset    int
	err       string
	// live are the rates between the dashboard's last two scrapes;
	// metricsErr says why the last scrape failed.
	live       *registryclient.Metrics
	metricsErr string
	version    int
}

func (p *registryPane) title() string { return "Registry" }

func (p *registryPane) set(s *RegistryState) {
	p.st, p.loaded = s, true
	if s != nil && s.Repos != nil && p.mode == regRepos {
		p.setRepos(s.Repos)
	}
	p.version++
}

func (p *registryPane) setMetrics(live *registryclient.Metrics, err string) {
	p.live, p.metricsErr = live, err
	p.version++
}

// metricsBody is the rates line(s): live ones, else the snapshot's since
// the registry started, else why there are none.
func (p *registryPane) metricsBody(st *styles, w int) []string {
	if p.st == nil || !p.st.Reachable {
		return nil
	}
	mm := p.live
	if mm == nil {
		mm = p.st.Metrics
	}
	switch {
	case mm != nil:
		return metricsLines(mm, w)
	case p.metricsErr != "":
		return []string{st.dim.Render(symOff + " metrics n/a: " + p.metricsErr)}
	}
	return nil
}

func (p *registryPane) setRepos(r []string) {
	p.repos = r
	p.clamp()
	p.version++
}

// items are the rows of the current mode after the filter.
func (p *registryPane) items() []string {
	var src []string
	switch p.mode {
	case regRepos:
		src = p.repos
	case regTags:
		src = p.tags
	default:
		return nil
	}
	if p.filter == "" {
		return src
	}
	f := strings.ToLower(p.filter)
	out := make([]string, 0, len(src))
	for _, s := range src {
		if strings.Contains(strings.ToLower(s), f) {
			out = append(out, s)
		}
	}
	return out
}

func (p *registryPane) clamp() {
	n := len(p.items())
	p.cursor = min(max(p.cursor, 0), max(n-1, 0))
}

func (p *registryPane) move(d int) {
	p.cursor += d
	p.clamp()
	p.version++
}

func (p *registryPane) selected() string {
	it := p.items()
	if p.cursor < len(it) {
		return it[p.cursor]
	}
	return ""
}

// selectedRef is the repo:tag the cursor is on (tags or image mode).
func (p *registryPane) selectedRef() string {
	switch p.mode {
	case regTags:
		if t := p.selected(); t != "" {
			return p.repo + ":" + t
		}
	case regImage:
		if p.image != nil {
			return p.image.Ref
		}
	}
	return ""
}

func (p *registryPane) openTags(repo string, tags []string) {
	p.mode, p.repo, p.tags, p.image = regTags, repo, tags, nil
	p.filter, p.filtering, p.cursor, p.offset, p.err = "", false, 0, 0, ""
	p.version++
}

// showError says in the pane why the last browse step (tags, inspect)
// failed; the next step that works clears it.
func (p *registryPane) showError(op string, err error) {
	p.err = op + ": " + err.Error()
	p.version++
}

func (p *registryPane) openImage(img Image) {
	p.mode, p.image, p.err = regImage, &img, ""
	p.version++
}

// back leaves the current mode; it reports false at the top.
func (p *registryPane) back() bool {
	switch {
	case p.filter != "":
		p.filter = ""
	case p.mode == regImage:
		p.mode, p.image = regTags, nil
	case p.mode == regTags:
		p.mode, p.tags, p.cursor = regRepos, nil, indexOf(p.repos, p.repo)
	default:
		return false
	}
	p.clamp()
	p.version++
	return true
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return 0
}

func (p *registryPane) level() int {
	switch {
	case p.st == nil:
		return lvlNone
	case !p.st.Reachable:
		return lvlBad
	}
	return lvlOK
}

func (p *registryPane) status(st *styles) string {
	switch {
	case !p.loaded:
		return st.mark(lvlNone, "loading")
	case p.st == nil:
		return st.mark(lvlNone, "not available")
	case !p.st.Reachable:
		return st.mark(lvlBad, "unreachable")
	}
	return st.mark(lvlOK, plural(len(p.repos), "repo", "repos"))
}

func (p *registryPane) summary(st *styles) string {
	switch {
	case p.st == nil:
		return "not available in this build"
	case !p.st.Reachable:
		return p.st.Addr + " unreachable"
	}
	return p.st.Addr + " " + plural(len(p.repos), "repository", "repositories")
}

func (p *registryPane) body(st *styles, w, h int, focused bool) []string {
	var lines []string
	switch {
	case !p.loaded:
		return nil
	case p.st == nil:
		lines = append(lines, st.dim.Render(symOff+" registry: not available in this build"))
	case !p.st.Reachable:
		lines = append(lines, st.bad.Render(symBad+" "+p.st.Addr+" unreachable: ")+p.st.Err)
	default:
		lines = append(lines, st.dim.Render(p.st.Addr+" "))
	}
	if p.err != "" {
		lines = append(lines, st.bad.Render(symBad+" "+p.err))
	}
	lines = append(lines, p.metricsBody(st, w)...)
	switch p.mode {
	case regImage:
		return append(lines, p.imageLines(st)...)
	case regTags:
		lines[0] += st.bold.Render(p.repo) + st.dim.Render(" tags (esc: back, x: delete)")
	default:
		if p.st != nil && p.st.Reachable {
			lines[0] += st.dim.Render(plural(len(p.repos), "repository", "repositories"))
		}
	}
	if p.filtering || p.filter != "" {
		cur := ""
		if p.filtering {
			cur = "▏"
		}
		lines = append(lines, "/ "+p.filter+cur)
	}
	it := p.items()
	if len(it) == 0 {
		if p.mode == regTags {
			lines = append(lines, st.dim.Render("  no tags"))
		} else if p.st != nil && p.st.Reachable {
			lines = append(lines, st.dim.Render("  no repositories yet (b builds and pushes)"))
		}
		return lines
	}
	room := max(h-2-len(lines), 1)
	if p.cursor < p.offset {
		p.offset = p.cursor
	}
	if p.cursor >= p.offset+room {
		p.offset = p.cursor - room + 1
	}
	p.offset = min(p.offset, max(len(it)-room, 0))
	for i := p.offset; i < len(it) && i < p.offset+room; i++ {
		if i == p.cursor && focused {
			lines = append(lines, st.sel.Render("› "+it[i]))
		} else {
			lines = append(lines, "  "+it[i])
		}
	}
	return lines
}

func (p *registryPane) imageLines(st *styles) []string {
	img := p.image
	lines := []string{
		st.bold.Render(img.Ref) + st.dim.Render(" (esc: back, x: delete)"),
		"digest " + img.Digest,
		fmt.Sprintf("size %s · %s · %s", progress.Bytes(img.Size), plural(len(img.Layers), "layer", "layers"), img.Platform),
	}
	for i, l := range img.Layers {
		lines = append(lines, fmt.Sprintf("  %2d %-19s %9s", i+1, shortDigest(l.Digest), progress.Bytes(l.Size)))
	}
	return lines
}
