// Package arrows holds no code: its test checks that the module's import
// graph points the way README's "Code layout" says (faces → flows →
// domain packages → bottom layer).
package arrows
