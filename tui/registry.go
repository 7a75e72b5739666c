package tui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
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
	st     *RegistryState
	loaded bool
	mode   int
	repos  []string
	repo   string
	tags   []string
	// tagNotes say what each tag holds and whether it is signed.
	tagNotes  map[string]string
	image     *Image
	filter    string
	filtering bool // typing a filter: keys go to it
	cursor    int
	offset    int
	err       string
	// live are the rates between the dashboard's last two scrapes;
	// metricsErr says why the last scrape failed.
	live       *flows.Metrics
	metricsErr string
	// liveAlerts are the metrics alerts judged over the dashboard's own
	// window (alerts.go), nil until it has scraped.
	liveAlerts []flows.Alert
	// eventsOff says why the registry's live events are not received
	// (the listener could not start), with the fix; empty while listening.
	// It shows only while the stack runs a registry container
	// (stackRegistry): without one there are no events to miss.
	eventsOff     string
	stackRegistry bool
	load          registryLoader
	rev           int
}

func (p *registryPane) title() string { return "Registry" }

func (p *registryPane) version() int { return p.rev }

// registryLoader asks the backend for what the pane opens: a repository's
// tags, an image's manifest.
type registryLoader struct {
	b   Backend
	ctx context.Context
}

// Answers of registryLoader.
type (
	tagsMsg struct {
		repo string
		tags []TagRow
		err  error
	}
	inspectMsg struct {
		img Image
		err error
	}
)

func (l registryLoader) tags(repo string) tea.Cmd {
	b, ctx := l.b, l.ctx
	return func() tea.Msg {
		tags, err := b.Tags(ctx, repo)
		return tagsMsg{repo, tags, err}
	}
}

func (l registryLoader) inspect(ref string) tea.Cmd {
	b, ctx := l.b, l.ctx
	return func() tea.Msg {
		img, err := b.Inspect(ctx, ref)
		return inspectMsg{img, err}
	}
}

// onTags opens the tags, or says why they could not be read.
func (p *registryPane) onTags(msg tagsMsg) {
	if msg.err != nil {
		p.showError("tags "+msg.repo, msg.err)
		return
	}
	names := make([]string, len(msg.tags))
	notes := map[string]string{}
	for i, t := range msg.tags {
		names[i] = t.Name
		note := t.Kind
		if t.Signed {
			note += "  " + symOK + " signed"
		}
		notes[t.Name] = note
	}
	p.openTags(msg.repo, names)
	p.tagNotes = notes
}

// onInspect opens the image, or says why it could not be read.
func (p *registryPane) onInspect(msg inspectMsg) {
	if msg.err != nil {
		p.showError("inspect", msg.err)
		return
	}
	p.openImage(msg.img)
}

// key moves the cursor, opens the selection (repos → tags → image) and
// goes back with esc.
func (p *registryPane) key(k *keyMap, msg tea.KeyPressMsg) tea.Cmd {
	if d := k.lineStep(msg); d != 0 {
		p.move(d)
		return nil
	}
	switch {
	case key.Matches(msg, k.Back):
		p.back()
	case key.Matches(msg, k.Open):
		return p.open()
	}
	return nil
}

// open loads what the cursor is on: a repository's tags, a tag's image.
func (p *registryPane) open() tea.Cmd {
	sel := p.selected()
	if sel == "" {
		return nil
	}
	switch p.mode {
	case regRepos:
		return p.load.tags(sel)
	case regTags:
		return p.load.inspect(p.repo + ":" + sel)
	}
	return nil
}

// startFilter starts typing a filter over the repositories (or tags).
func (p *registryPane) startFilter() {
	if p.mode == regImage {
		p.back()
	}
	p.filtering = true
	p.rev++
}

// filterKey edits the filter while it is typed: every key goes to it.
func (p *registryPane) filterKey(k *keyMap, msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, k.FilterClear):
		p.filtering, p.filter = false, ""
	case key.Matches(msg, k.FilterKeep):
		p.filtering = false
	case key.Matches(msg, k.FilterErase):
		if n := len([]rune(p.filter)); n > 0 {
			p.filter = string([]rune(p.filter)[:n-1])
		}
	case key.Matches(msg, k.FilterUp):
		p.move(-1)
	case key.Matches(msg, k.FilterDown):
		p.move(1)
	case len(msg.Text) > 0:
		p.filter += msg.Text
	}
	p.cursor = 0
	p.clamp()
	p.rev++
	return nil
}

func (p *registryPane) set(s *RegistryState) {
	p.st, p.loaded = s, true
	if s != nil && s.Repos != nil && p.mode == regRepos {
		p.setRepos(s.Repos)
	}
	p.rev++
}

func (p *registryPane) setMetrics(live *flows.Metrics, err string) {
	p.live, p.metricsErr = live, err
	p.rev++
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
	p.rev++
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
	p.rev++
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
	p.mode, p.repo, p.tags, p.image, p.tagNotes = regTags, repo, tags, nil, nil
	p.filter, p.filtering, p.cursor, p.offset, p.err = "", false, 0, 0, ""
	p.rev++
}

// setStackRegistry says whether the stack runs a registry container.
func (p *registryPane) setStackRegistry(on bool) {
	if p.stackRegistry != on {
		p.stackRegistry = on
		p.rev++
	}
}

// eventsWarning is the events-off reason to show, if any.
func (p *registryPane) eventsWarning() string {
	if !p.stackRegistry {
		return ""
	}
	return p.eventsOff
}

// setEventsOff shows (reason non-empty) or clears the pane's warning that
// live registry events are off.
func (p *registryPane) setEventsOff(reason string) {
	if p.eventsOff != reason {
		p.eventsOff = reason
		p.rev++
	}
}

// showError says in the pane why the last browse step (tags, inspect)
// failed; the next step that works clears it.
func (p *registryPane) showError(op string, err error) {
	p.err = op + ": " + err.Error()
	p.rev++
}

func (p *registryPane) openImage(img Image) {
	p.mode, p.image, p.err = regImage, &img, ""
	p.rev++
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
	p.rev++
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
	case alertLevel(p.alerts()) != lvlOK:
		return alertLevel(p.alerts())
	case p.eventsWarning() != "":
		return lvlWarn
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
	case alertLevel(p.alerts()) != lvlOK:
		return st.mark(alertLevel(p.alerts()), plural(len(p.repos), "repo", "repos")+" · "+firingNames(p.alerts()))
	case p.eventsWarning() != "":
		return st.mark(lvlWarn, plural(len(p.repos), "repo", "repos")+" · events off")
	}
	return st.mark(lvlOK, plural(len(p.repos), "repo", "repos"))
}

func (p *registryPane) summary(st *styles) string {
	switch {
	case p.st == nil:
		return "not available in this build"
	case !p.st.Reachable:
		return p.st.Addr + " unreachable"
	case alertLevel(p.alerts()) != lvlOK:
		return p.st.Addr + " " + plural(len(p.repos), "repository", "repositories") + " · " + firingNames(p.alerts())
	}
	return p.st.Addr + " " + plural(len(p.repos), "repository", "repositories")
}

// body: the list reaches the box's bottom border (h+2: the room it
// computes keeps two lines for the header it drew).
func (p *registryPane) body(f paneFrame) []string {
	st, w, h, focused := f.st, f.w, f.h+2, f.focused
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
	if why := p.eventsWarning(); why != "" {
		// Whole, wrapped: the reason carries the fix.
		lines = append(lines, wrapIndent(st.mark(lvlWarn, "live events off: "), why, w, "  ", nil)...)
	}
	lines = append(lines, p.metricsBody(st, w)...)
	if p.st != nil && p.mode == regRepos {
		lines = append(lines, mirrorsLines(st, p.st.Mirrors, w)...)
	}
	lines = append(lines, alertLines(st, p.alerts(), w, f.h)...)
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
	width := 0
	for _, s := range it {
		width = max(width, len(s))
	}
	for i := p.offset; i < len(it) && i < p.offset+room; i++ {
		note := ""
		if n := p.tagNotes[it[i]]; p.mode == regTags && n != "" {
			note = st.dim.Render(strings.Repeat(" ", width-len(it[i])+2) + n)
		}
		if i == p.cursor && focused {
			lines = append(lines, st.sel.Render("› "+it[i])+note)
		} else {
			lines = append(lines, "  "+it[i]+note)
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
	if img.Kind != "" {
		kind := img.Kind
		if img.Signed {
			kind += "  " + symOK + " signed"
		}
		lines = append(lines, kind)
	}
	for i, l := range img.Layers {
		lines = append(lines, fmt.Sprintf("  %2d %-19s %9s", i+1, shortDigest(l.Digest), progress.Bytes(l.Size)))
	}
	if len(img.Referrers) > 0 {
		lines = append(lines, plural(len(img.Referrers), "referrer", "referrers"))
		for _, r := range img.Referrers {
			// The kind names the type when it is not one esbtui knows.
			what := r.Kind
			if what == "" {
				what = r.ArtifactType
			}
			if what == "" {
				what = "-"
			}
			lines = append(lines, fmt.Sprintf("  %-19s %9s %s", shortDigest(r.Digest), progress.Bytes(r.Size), what))
		}
	}
	return lines
}
