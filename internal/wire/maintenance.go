package wire

import "time"

// MaintenanceRun is one garbage collection or retention run of the
// registry: a line of its run log in the registry volume, and an entry of
// the `registryd maintenance` answer.
type MaintenanceRun struct {
	// Job is "gc" or "retention"; Trigger "schedule" or what asked for it.
	Job            string    `json:"job"`
	Trigger        string    `json:"trigger"`
	Started        time.Time `json:"started"`
	Finished       time.Time `json:"finished"`
	BytesReclaimed int64     `json:"bytes_reclaimed"`
	Manifests      int       `json:"manifests_deleted"`
	Blobs          int       `json:"blobs_deleted"`
	TagsDeleted    []string  `json:"tags_deleted,omitempty"`
	ReadsServed    int64     `json:"reads_served"`
	WritesHeld     int64     `json:"writes_held"`
	Error          string    `json:"error,omitempty"`
}

// ScheduledJob is a maintenance job the registry runs by itself and when
// it runs next.
type ScheduledJob struct {
	Job  string    `json:"job"`
	Spec string    `json:"spec"`
	Next time.Time `json:"next"`
}
