// Command tlsget is the Go client of the container-trust e2e test, built
// static (CGO_ENABLED=0) into a FROM-scratch image: `tlsget URL` does an
// HTTPS GET verified against the system roots (what every Go program in an
// image sees) and exits 0 on any HTTP answer; `tlsget -wait` blocks, so
// the container stays up for `docker exec`.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: tlsget URL | -wait")
		os.Exit(2)
	}
	if os.Args[1] == "-wait" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		defer stop()
		<-ctx.Done()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, os.Args[1], nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
}
