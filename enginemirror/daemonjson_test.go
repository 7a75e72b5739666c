package enginemirror

import (
	"encoding/json"
	"reflect"
	"testing"
)

var daemonJSONInputs = map[string]string{
	"empty object":     `{}`,
	"empty multiline":  "{\n}\n",
	"indented":         "{\n    \"debug\": true,\n    \"log-opts\": {\"max-size\": \"10m\"},\n    \"insecure-registries\": [\"10.0.0.1:5000\"]\n}\n",
	"tabs crlf":        "{\r\n\t\"storage-driver\": \"overlay2\",\r\n\t\"features\": {\"buildkit\": true}\r\n}",
	"compact":          `{"debug":true,"dns":["1.1.1.1"]}`,
	"own mirror first": "{\n  \"registry-mirrors\": [\"https://mirror.gcr.io\"],\n  \"debug\": true\n}\n",
	"empty mirrors":    "{\n  \"debug\": false,\n  \"registry-mirrors\": []\n}",
	"unicode":          "{\n  \"labels\": [\"\u00e9t\u00e9=\\u00e9\"], \"x\": 1.50e3\n}\n",
}

// TestAddMirrorsKeepsOtherKeys: after AddMirrors the document holds every
// key it had with the same value, and registry-mirrors has the URL.
func TestAddMirrorsKeepsOtherKeys(t *testing.T) {
	url := "https://localhost:5001"
	for name, in := range daemonJSONInputs {
		t.Run(name, func(t *testing.T) {
			ed, err := AddMirrors([]byte(in), []string{url})
			if err != nil {
				t.Fatal(err)
			}
			var before, after map[string]any
			if err := json.Unmarshal([]byte(in), &before); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(ed.Data, &after); err != nil {
				t.Fatalf("edited daemon.json is not JSON: %v\n%s", err, ed.Data)
			}
			mirrors, _ := after[MirrorsKey].([]any)
			want := append([]any(nil), anySlice(before[MirrorsKey])...)
			want = append(want, url)
			if !reflect.DeepEqual(mirrors, want) {
				t.Errorf("registry-mirrors = %v, want %v\n%s", mirrors, want, ed.Data)
			}
			delete(after, MirrorsKey)
			delete(before, MirrorsKey)
			if !reflect.DeepEqual(before, after) {
				t.Errorf("other keys changed:\nbefore %v\nafter  %v", before, after)
			}
			again, err := AddMirrors(ed.Data, []string{url})
			if err != nil || string(again.Data) != string(ed.Data) || len(again.Added) != 0 {
				t.Errorf("adding the same mirror again changed the file or added %v (%v)", again.Added, err)
			}
		})
	}
}

func anySlice(v any) []any { s, _ := v.([]any); return s }

// TestRemoveMirrorsUndoesAdd: RemoveMirrors (the undo for a file edited
// after install) gives back the exact bytes AddMirrors started from.
func TestRemoveMirrorsUndoesAdd(t *testing.T) {
	urls := []string{"https://localhost:5001", "https://localhost:5002"}
	for name, in := range daemonJSONInputs {
		t.Run(name, func(t *testing.T) {
			ed, err := AddMirrors([]byte(in), urls)
			if err != nil {
				t.Fatal(err)
			}
			out, err := RemoveMirrors(ed.Data, ed.Added, ed.AddedKey)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != in {
				t.Errorf("remove after add:\n got %q\nwant %q", out, in)
			}
		})
	}
}

// TestRemoveMirrorsKeepsUserEdits: a key the user added after install and
// a mirror the user added stay.
func TestRemoveMirrorsKeepsUserEdits(t *testing.T) {
	in := "{\n  \"registry-mirrors\": [\"https://localhost:5001\", \"https://mine.example\"],\n  \"debug\": true\n}\n"
	out, err := RemoveMirrors([]byte(in), []string{"https://localhost:5001"}, true)
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"registry-mirrors\": [\"https://mine.example\"],\n  \"debug\": true\n}\n"
	if string(out) != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

func TestAddMirrorsRefusesWhatItCannotEdit(t *testing.T) {
	for _, in := range []string{`[]`, `{"registry-mirrors": "x"}`, `{"a":1,"a":2}`, `{"a":1} {}`, `{"a":`, `{"registry-mirrors":[1]}`} {
		if _, err := AddMirrors([]byte(in), []string{"https://localhost:5001"}); err == nil {
			t.Errorf("AddMirrors(%q) = nil error", in)
		}
	}
}
