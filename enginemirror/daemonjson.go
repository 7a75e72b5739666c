package enginemirror

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// MirrorsKey is the daemon.json key Docker reads its Docker Hub mirrors from.
const MirrorsKey = "registry-mirrors"

// jsonMember is one top-level member of a JSON object, by byte offsets into
// the document: the key's opening quote, and the value's first and
// one-past-last byte.
type jsonMember struct {
	key                        string
	keyStart, valStart, valEnd int
}

// jsonObject is a top-level JSON object located in its text.
type jsonObject struct {
	open, close int // offsets of '{' and '}'
	members     []jsonMember
}

// parseTopObject locates the members of the top-level object of data
// without re-encoding anything, so that edits can splice text and leave
// every other byte as it was.
func parseTopObject(data []byte) (*jsonObject, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	obj := &jsonObject{open: int(dec.InputOffset()) - 1}
	seen := map[string]bool{}
	for dec.More() {
		before := int(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("not JSON: %w", err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("not JSON: an object key that is not a string")
		}
		if seen[key] {
			return nil, fmt.Errorf("the key %q appears twice", key)
		}
		seen[key] = true
		m := jsonMember{key: key, keyStart: before + bytes.IndexByte(data[before:], '"')}
		afterKey := int(dec.InputOffset())
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("not JSON: the value of %q: %w", key, err)
		}
		m.valEnd = int(dec.InputOffset())
		colon := afterKey + bytes.IndexByte(data[afterKey:], ':')
		m.valStart = colon + 1 + len(data[colon+1:]) - len(bytes.TrimLeft(data[colon+1:], " \t\r\n"))
		obj.members = append(obj.members, m)
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	obj.close = int(dec.InputOffset()) - 1
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("not JSON: text after the object")
	}
	return obj, nil
}

func (o *jsonObject) member(key string) (jsonMember, int) {
	for i, m := range o.members {
		if m.key == key {
			return m, i
		}
	}
	return jsonMember{}, -1
}

// stringArray decodes a JSON array of strings.
func stringArray(raw []byte) ([]string, error) {
	var out []string
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, errors.New("is not a list of strings")
	}
	return out, nil
}

// DaemonEdit is the result of adding mirrors to a daemon.json text.
type DaemonEdit struct {
	Data []byte
	// Added are the mirror URLs that were not there before.
	Added []string
	// AddedKey: registry-mirrors itself was not there before.
	AddedKey bool
}

func quoteAll(urls []string) string {
	q := make([]string, len(urls))
	for i, u := range urls {
		b, _ := json.Marshal(u)
		q[i] = string(b)
	}
	return strings.Join(q, ", ")
}

// memberIndent guesses the indentation of the object's members (the text
// between the line start and the first key), "  " when there is none.
func memberIndent(data []byte, o *jsonObject) (string, bool) {
	if len(o.members) == 0 {
		return "  ", true
	}
	k := o.members[0].keyStart
	nl := bytes.LastIndexByte(data[:k], '\n')
	if nl < o.open {
		return "", false // members on the same line as '{'
	}
	return string(data[nl+1 : k]), true
}

// AddMirrors adds urls to registry-mirrors in the daemon.json text data
// (empty: no file), splicing text so every byte esbtui does not change
// stays as it was: other keys, their order, spacing and line ends. URLs
// already listed are not added twice.
func AddMirrors(data []byte, urls []string) (DaemonEdit, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		doc := fmt.Sprintf("{\n  %q: [%s]\n}\n", MirrorsKey, quoteAll(urls))
		return DaemonEdit{Data: []byte(doc), Added: slices.Clone(urls), AddedKey: true}, nil
	}
	o, err := parseTopObject(data)
	if err != nil {
		return DaemonEdit{}, err
	}
	m, i := o.member(MirrorsKey)
	if i < 0 {
		indent, multiline := memberIndent(data, o)
		ins := fmt.Sprintf("%q: [%s]", MirrorsKey, quoteAll(urls))
		at := o.open + 1
		switch {
		case len(o.members) == 0:
			// {} or {\n}: the member goes right after '{'
			if bytes.ContainsRune(data[o.open:o.close], '\n') {
				ins = "\n" + indent + ins
			}
		case multiline:
			// before the first member, with its line end and indent
			at = o.members[0].keyStart
			eol := "\n"
			if bytes.HasSuffix(bytes.TrimRight(data[:at], " \t"), []byte("\r\n")) {
				eol = "\r\n"
			}
			ins += "," + eol + indent
		default:
			at = o.members[0].keyStart
			ins += ", "
		}
		out := slices.Concat(data[:at], []byte(ins), data[at:])
		return DaemonEdit{Data: out, Added: slices.Clone(urls), AddedKey: true}, nil
	}
	have, err := stringArray(data[m.valStart:m.valEnd])
	if err != nil {
		return DaemonEdit{}, fmt.Errorf("%q %w", MirrorsKey, err)
	}
	var add []string
	for _, u := range urls {
		if !slices.Contains(have, u) && !slices.Contains(add, u) {
			add = append(add, u)
		}
	}
	if len(add) == 0 {
		return DaemonEdit{Data: slices.Clone(data)}, nil
	}
	closeAt := m.valStart + bytes.LastIndexByte(data[m.valStart:m.valEnd], ']')
	ins := quoteAll(add)
	if len(have) > 0 {
		// after the last element, before any space or line end
		end := len(bytes.TrimRight(data[:closeAt], " \t\r\n"))
		out := slices.Concat(data[:end], []byte(", "+ins), data[end:])
		return DaemonEdit{Data: out, Added: add}, nil
	}
	out := slices.Concat(data[:closeAt], []byte(ins), data[closeAt:])
	return DaemonEdit{Data: out, Added: add}, nil
}

// RemoveMirrors takes urls out of registry-mirrors in data, and the key
// itself when removeKey and nothing else is left in it; everything else is
// kept byte for byte. It is the undo for a daemon.json someone edited after
// esbtui added its mirrors (otherwise the original bytes are restored).
func RemoveMirrors(data []byte, urls []string, removeKey bool) ([]byte, error) {
	o, err := parseTopObject(data)
	if err != nil {
		return nil, err
	}
	m, i := o.member(MirrorsKey)
	if i < 0 {
		return slices.Clone(data), nil
	}
	have, err := stringArray(data[m.valStart:m.valEnd])
	if err != nil {
		return nil, fmt.Errorf("%q %w", MirrorsKey, err)
	}
	keep := slices.DeleteFunc(slices.Clone(have), func(u string) bool { return slices.Contains(urls, u) })
	if len(keep) == len(have) {
		return slices.Clone(data), nil
	}
	if len(keep) > 0 || !removeKey {
		return slices.Concat(data[:m.valStart], []byte("["+quoteAll(keep)+"]"), data[m.valEnd:]), nil
	}
	// Remove the whole member with the comma that joins it to a neighbour.
	var from, to int
	switch {
	case i+1 < len(o.members):
		from, to = m.keyStart, o.members[i+1].keyStart
	case i > 0:
		from, to = o.members[i-1].valEnd, m.valEnd
	default:
		from, to = o.open+1, m.valEnd
		if nl := bytes.IndexByte(data[m.valEnd:o.close], '\n'); nl < 0 {
			// keep the text before the closing brace as it was
			from = m.keyStart
		}
	}
	return slices.Concat(data[:from], data[to:]), nil
}
