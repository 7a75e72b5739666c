//go:build !linux

package engine

// processOnPort is not implemented here: the error suggests lsof / netstat.
func processOnPort(int) (int, string) { return 0, "" }
