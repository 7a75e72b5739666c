// Package wire holds the JSON records esbtui's registry image writes and
// esbtui reads back: the mirror stats document and the maintenance
// control channel's schedules and runs. Both sides use these types, so a
// field added on one side is on the other; the reader still treats what
// it decodes as outside data (bounded reads, validated values).
package wire
