package selfimage

import (
	"debug/elf"
	"fmt"
)

// goarch maps ELF machines to Docker/Go architecture names.
var goarch = map[elf.Machine]string{
	elf.EM_X86_64:  "amd64",
	elf.EM_AARCH64: "arm64",
	elf.EM_386:     "386",
	elf.EM_ARM:     "arm",
	elf.EM_PPC64:   "ppc64le",
	elf.EM_S390:    "s390x",
	elf.EM_RISCV:   "riscv64",
}

// engineArch maps what an engine reports as Info.Architecture (uname -m)
// to Go's names.
var engineArch = map[string]string{
	"x86_64": "amd64", "amd64": "amd64",
	"aarch64": "arm64", "arm64": "arm64",
	"i386": "386", "i686": "386",
	"armv7l": "arm", "armhf": "arm",
	"ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64",
}

// UnsupportedError says why the running binary cannot be the image for an
// engine (another OS or architecture, or not a Linux ELF executable).
type UnsupportedError struct {
	// Reason is one sentence for the user.
	Reason string
}

func (e *UnsupportedError) Error() string { return "selfimage: " + e.Reason }

// CheckPlatform reports whether an executable for machine (its ELF
// header; hostOS is runtime.GOOS) runs on an engine whose Info says
// engineOS / engineArchitecture. The error is an *UnsupportedError.
func CheckPlatform(hostOS string, machine elf.Machine, engineOS, engineArchitecture string) error {
	if hostOS != "linux" {
		return &UnsupportedError{Reason: fmt.Sprintf("esbtui runs on %s: its binary cannot run in the engine's Linux containers", hostOS)}
	}
	if engineOS != "linux" {
		return &UnsupportedError{Reason: fmt.Sprintf("the engine runs %q containers, not linux", engineOS)}
	}
	bin, ok := goarch[machine]
	if !ok {
		return &UnsupportedError{Reason: fmt.Sprintf("this binary is for ELF machine %s", machine)}
	}
	eng, ok := engineArch[engineArchitecture]
	if !ok {
		eng = engineArchitecture
	}
	if eng != bin {
		return &UnsupportedError{Reason: fmt.Sprintf("the engine is %s (%s) and this binary is %s", eng, engineArchitecture, bin)}
	}
	return nil
}
