// Command gen writes benchmark layer content: incompressible random bytes
// or compressible text (random words from a small vocabulary, about 3:1
// with gzip at its fastest level, like source code and binaries).
//
//	go run ./test/bench/push/gen -kind text -mib 128 -seed 7 > layer
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
)

func main() {
	kind := flag.String("kind", "random", "random or text")
	mib := flag.Int64("mib", 128, "size in MiB")
	seed := flag.Uint64("seed", 1, "seed (same seed, same bytes)")
	flag.Parse()
	if err := write(*kind, *mib<<20, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func write(kind string, size int64, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	buf := make([]byte, 1<<16)
	switch kind {
	case "random":
		for n := int64(0); n < size; {
			for i := 0; i+8 <= len(buf); i += 8 {
				v := r.Uint64()
				for j := range 8 {
					buf[i+j] = byte(v >> (8 * j))
				}
			}
			k := min(int64(len(buf)), size-n)
			if _, err := w.Write(buf[:k]); err != nil {
				return err
			}
			n += k
		}
	case "text":
		words := []string{"func", "return", "registry", "layer", "if err != nil {", "}", "\n", "\t", "push",
			"context", "manifest", "digest", "sha256", "esbtui", "image", "0x7f", "int64", "string", " ", " = ", "(", ")"}
		for n := int64(0); n < size; {
			wd := words[r.IntN(len(words))]
			if int64(len(wd)) > size-n {
				wd = wd[:size-n]
			}
			if _, err := w.WriteString(wd); err != nil {
				return err
			}
			n += int64(len(wd))
		}
	default:
		return fmt.Errorf("unknown -kind %q (random or text)", kind)
	}
	return w.Flush()
}
