package progress

import "fmt"

// Bytes formats n in IEC units with one decimal from 1 KiB up: "512 B",
// "1.5 KiB", "12.0 MiB", "3.2 GiB". Every byte count esbtui shows, in the
// CLI and the TUI, goes through it so the two never disagree on units.
func Bytes(n int64) string {
	if n < 0 {
		if n == -n { // math.MinInt64 has no positive counterpart
			return "-8.0 EiB"
		}
		return "-" + Bytes(-n)
	}
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	// 1023.96 KiB would print as "1024.0 KiB": say "1.0 MiB" instead.
	if v >= unit-0.05 && exp < 5 {
		v /= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTPE"[exp])
}
