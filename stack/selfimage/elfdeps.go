package selfimage

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Runtime is what a dynamically linked executable needs to start in an
// empty root file system: its ELF interpreter and the shared libraries it
// loads, each as the path the loader looks for and the host file that
// holds it (symbolic links resolved).
type Runtime struct {
	// Machine is the executable's ELF machine (elf.EM_X86_64, ...).
	Machine elf.Machine
	// Interp is the PT_INTERP path ("/lib64/ld-linux-x86-64.so.2"), empty
	// for a static executable.
	Interp string
	// Files are the interpreter and the libraries, in load order, without
	// duplicates.
	Files []RuntimeFile
}

// RuntimeFile is one file of a Runtime.
type RuntimeFile struct {
	// Path is where the file goes in the image (absolute, as the loader
	// finds it).
	Path string
	// Source is the host file with its content.
	Source string
}

// Static reports whether the executable needs nothing but itself.
func (r *Runtime) Static() bool { return r.Interp == "" && len(r.Files) == 0 }

// LibDirs are the directories holding the libraries, for LD_LIBRARY_PATH
// (a scratch image has no /etc/ld.so.cache).
func (r *Runtime) LibDirs() []string {
	var dirs []string
	seen := map[string]bool{}
	for _, f := range r.Files {
		if f.Path == r.Interp {
			continue
		}
		d := filepath.Dir(f.Path)
		if !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// DefaultLibDirs are where glibc's loader and ldconfig look when RUNPATH,
// RPATH and LD_LIBRARY_PATH do not say (Debian/Ubuntu multiarch first, then
// the lib64 and plain layouts of other distributions).
func DefaultLibDirs(m elf.Machine) []string {
	var triplet string
	switch m {
	case elf.EM_X86_64:
		triplet = "x86_64-linux-gnu"
	case elf.EM_AARCH64:
		triplet = "aarch64-linux-gnu"
	case elf.EM_386:
		triplet = "i386-linux-gnu"
	case elf.EM_ARM:
		triplet = "arm-linux-gnueabihf"
	case elf.EM_PPC64:
		triplet = "powerpc64le-linux-gnu"
	case elf.EM_S390:
		triplet = "s390x-linux-gnu"
	case elf.EM_RISCV:
		triplet = "riscv64-linux-gnu"
	}
	var dirs []string
	if triplet != "" {
		dirs = append(dirs, "/lib/"+triplet, "/usr/lib/"+triplet, "/usr/local/lib/"+triplet)
	}
	return append(dirs, "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib")
}

// maxDeps bounds the closure (a loop or a hostile file cannot run away).
const maxDeps = 256

// ResolveRuntime reads exe's program headers and dynamic section and
// resolves its DT_NEEDED libraries, recursively, the way the loader would:
// the object's DT_RPATH (only without DT_RUNPATH), LD_LIBRARY_PATH is not
// used (the image sets its own), DT_RUNPATH, then dirs (DefaultLibDirs when
// nil). A library that cannot be found or is for another machine is an
// error naming it.
func ResolveRuntime(exe string, dirs []string) (*Runtime, error) {
	f, err := elf.Open(exe)
	if err != nil {
		return nil, fmt.Errorf("selfimage: read %s as ELF: %w", exe, err)
	}
	defer f.Close()
	rt := &Runtime{Machine: f.Machine}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return nil, fmt.Errorf("selfimage: %s is an ELF %s, not an executable", exe, f.Type)
	}
	interp, err := interpreter(f)
	if err != nil {
		return nil, fmt.Errorf("selfimage: %s: %w", exe, err)
	}
	if dirs == nil {
		dirs = DefaultLibDirs(f.Machine)
	}
	needed, err := f.ImportedLibraries()
	if err != nil {
		return nil, fmt.Errorf("selfimage: %s: read DT_NEEDED: %w", exe, err)
	}
	if interp == "" {
		if len(needed) > 0 {
			return nil, fmt.Errorf("selfimage: %s needs %v but has no ELF interpreter (PT_INTERP)", exe, needed)
		}
		return rt, nil
	}
	rt.Interp = interp
	src, err := filepath.EvalSymlinks(interp)
	if err != nil {
		return nil, fmt.Errorf("selfimage: %s: its ELF interpreter %s: %w", exe, interp, err)
	}
	rt.Files = append(rt.Files, RuntimeFile{Path: interp, Source: src})

	seen := map[string]bool{filepath.Base(interp): true}
	type pending struct {
		name   string
		search []string
		by     string
	}
	queue := []pending{}
	for _, n := range needed {
		queue = append(queue, pending{n, searchPath(f, exe, dirs), exe})
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if seen[p.name] {
			continue
		}
		seen[p.name] = true
		if len(seen) > maxDeps {
			return nil, fmt.Errorf("selfimage: %s needs more than %d libraries", exe, maxDeps)
		}
		path, lib, err := findLibrary(p.name, p.search, f.Machine, f.Class)
		if err != nil {
			return nil, fmt.Errorf("selfimage: %s needs %s: %w", p.by, p.name, err)
		}
		more, err := lib.ImportedLibraries()
		search := searchPath(lib, path, dirs)
		lib.Close()
		if err != nil {
			return nil, fmt.Errorf("selfimage: %s: read DT_NEEDED: %w", path, err)
		}
		src, err := filepath.EvalSymlinks(path)
		if err != nil {
			return nil, fmt.Errorf("selfimage: %s: %w", path, err)
		}
		rt.Files = append(rt.Files, RuntimeFile{Path: path, Source: src})
		for _, n := range more {
			queue = append(queue, pending{n, search, path})
		}
	}
	return rt, nil
}

// interpreter is the PT_INTERP path, "" for a static executable.
func interpreter(f *elf.File) (string, error) {
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		if p.Filesz == 0 || p.Filesz > 4096 {
			return "", fmt.Errorf("PT_INTERP of %d bytes", p.Filesz)
		}
		b := make([]byte, p.Filesz)
		if _, err := p.ReadAt(b, 0); err != nil {
			return "", fmt.Errorf("read PT_INTERP: %w", err)
		}
		s := strings.TrimRight(string(b), "\x00")
		if !filepath.IsAbs(s) || filepath.Clean(s) != s {
			return "", fmt.Errorf("PT_INTERP %q is not a clean absolute path", s)
		}
		return s, nil
	}
	return "", nil
}

// searchPath is where the loader looks for the libraries obj needs:
// DT_RPATH (ignored when DT_RUNPATH is present), DT_RUNPATH, then dirs.
// $ORIGIN expands to obj's directory.
func searchPath(f *elf.File, obj string, dirs []string) []string {
	runpath, _ := f.DynString(elf.DT_RUNPATH)
	var list []string
	if len(runpath) == 0 {
		rpath, _ := f.DynString(elf.DT_RPATH)
		list = append(list, splitPath(rpath, obj)...)
	}
	list = append(list, splitPath(runpath, obj)...)
	return append(list, dirs...)
}

func splitPath(values []string, obj string) []string {
	var out []string
	origin := filepath.Dir(obj)
	for _, v := range values {
		for _, d := range strings.Split(v, ":") {
			d = strings.ReplaceAll(strings.ReplaceAll(d, "${ORIGIN}", origin), "$ORIGIN", origin)
			if filepath.IsAbs(d) {
				out = append(out, filepath.Clean(d))
			}
		}
	}
	return out
}

// findLibrary returns the first file called name in search that is an ELF
// shared object for machine and class (the loader skips the others).
func findLibrary(name string, search []string, machine elf.Machine, class elf.Class) (string, *elf.File, error) {
	if name == "" || strings.Contains(name, "/") {
		return "", nil, fmt.Errorf("library name %q is not a plain file name", name)
	}
	var skipped []string
	for _, d := range search {
		p := filepath.Join(d, name)
		lib, err := elf.Open(p)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				skipped = append(skipped, fmt.Sprintf("%s (%v)", p, err))
			}
			continue
		}
		if lib.Machine != machine || lib.Class != class {
			skipped = append(skipped, fmt.Sprintf("%s (%s %s)", p, lib.Class, lib.Machine))
			lib.Close()
			continue
		}
		return p, lib, nil
	}
	msg := "not found in " + strings.Join(search, ":")
	if len(skipped) > 0 {
		msg += "; skipped " + strings.Join(skipped, ", ")
	}
	return "", nil, errors.New(msg)
}
