package registryclient

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// ProbeMessage is what the probe image prints when it runs.
const ProbeMessage = "esbtui probe ok"

// ProbeImage returns a tiny runnable image (one layer, < 1 KiB) for the
// engine architecture arch ("amd64"/"x86_64" or "arm64"/"aarch64"): a static
// ELF executable /probe that writes ProbeMessage and exits 0. No base image
// is pulled, so `esbtui doctor` can test push → pull → run anywhere.
func ProbeImage(arch string) (v1.Image, error) {
	exe, goarch, err := probeELF(arch, ProbeMessage+"\n")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "probe", Mode: 0o755, Size: int64(len(exe)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
		return nil, fmt.Errorf("registryclient: probe image: %w", err)
	}
	tw.Write(exe)
	tw.Close()
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		return nil, fmt.Errorf("registryclient: probe image layer: %w", err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, fmt.Errorf("registryclient: probe image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("registryclient: probe image config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", goarch
	cf.Config.Entrypoint = []string{"/probe"}
	cf.Config.Labels = map[string]string{"dev.esbtui.probe": "true"}
	return mutate.ConfigFile(img, cf)
}

// WriteDockerTarball writes img as a `docker save` tarball tagged ref, which
// the engine can `docker load`.
func WriteDockerTarball(img v1.Image, ref string, w io.Writer) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("registryclient: tag %q: %w", ref, err)
	}
	if err := tarball.Write(tag, img, w); err != nil {
		return fmt.Errorf("registryclient: write tarball for %s: %w", ref, err)
	}
	return nil
}

// probeELF assembles a minimal static ELF64 executable that calls
// write(1, msg, len) and exit(0) directly, for x86-64 or AArch64.
func probeELF(arch, msg string) ([]byte, string, error) {
	const base = 0x400000
	const headers = 64 + 56
	var code []byte
	var machine uint16
	var goarch string
	switch arch {
	case "amd64", "x86_64":
		machine, goarch = 0x3E, "amd64"
		le := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
		code = append(code, 0xb8)
		code = append(code, le(1)...) // mov eax, 1 (write)
		code = append(code, 0xbf)
		code = append(code, le(1)...)         // mov edi, 1 (stdout)
		code = append(code, 0x48, 0x8d, 0x35) // lea rsi, [rip+16]
		code = append(code, le(16)...)
		code = append(code, 0xba)
		code = append(code, le(uint32(len(msg)))...) // mov edx, len
		code = append(code, 0x0f, 0x05, 0xb8)        // syscall; mov eax, 60 (exit)
		code = append(code, le(60)...)
		code = append(code, 0x31, 0xff, 0x0f, 0x05) // xor edi, edi; syscall
	case "arm64", "aarch64":
		machine, goarch = 0xB7, "arm64"
		for _, ins := range []uint32{
			0xD2800020,                       // mov x0, #1
			0x100000E1,                       // adr x1, msg (+28)
			0xD2800002 | uint32(len(msg))<<5, // mov x2, #len
			0xD2800808,                       // mov x8, #64 (write)
			0xD4000001,                       // svc #0
			0xD2800000,                       // mov x0, #0
			0xD2800BA8,                       // mov x8, #93 (exit)
			0xD4000001,                       // svc #0
		} {
			code = binary.LittleEndian.AppendUint32(code, ins)
		}
	default:
		return nil, "", fmt.Errorf("registryclient: no probe executable for architecture %q (amd64 and arm64 are supported)", arch)
	}
	body := append(code, msg...)
	total := uint64(headers + len(body))
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	w(uint16(2))              // e_type: EXEC
	w(machine)                // e_machine
	w(uint32(1))              // e_version
	w(uint64(base + headers)) // e_entry
	w(uint64(64))             // e_phoff
	w(uint64(0))              // e_shoff
	w(uint32(0))              // e_flags
	w(uint16(64))             // e_ehsize
	w(uint16(56))             // e_phentsize
	w(uint16(1))              // e_phnum
	w(uint16(0))              // e_shentsize
	w(uint16(0))              // e_shnum
	w(uint16(0))              // e_shstrndx
	w(uint32(1))              // p_type: LOAD
	w(uint32(5))              // p_flags: R+X
	w(uint64(0))              // p_offset
	w(uint64(base))           // p_vaddr
	w(uint64(base))           // p_paddr
	w(total)                  // p_filesz
	w(total)                  // p_memsz
	w(uint64(0x1000))         // p_align
	b.Write(body)
	return b.Bytes(), goarch, nil
}
