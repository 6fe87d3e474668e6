package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem with a config file. It prints as
//
//	campaignwall.toml:14: sources[1].schedule: "every minute" is not a cron schedule (want …)
//
// so an admin can go straight to the line. Line is 0 when the problem has no
// line of its own (a missing table); Key is empty for the file as a whole.
// Messages never carry a secret: token values are neither printed nor quoted.
type Error struct {
	File string
	Line int
	Key  string // as the file would spell it: "server.addr", "sources[1].schedule"
	Msg  string
	Err  error // the underlying cause, if any (for errors.Is, e.g. fs.ErrNotExist)
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// problems collects every problem in a file, so an admin fixes them all in one
// round instead of one per restart.
type problems struct {
	file  string
	lines lineIndex
	list  []*Error
}

// add records a problem with key (a path as the file spells it), at the line
// that defines the key or, failing that, its nearest enclosing table.
func (p *problems) add(key string, format string, args ...any) {
	p.list = append(p.list, &Error{File: p.file, Line: p.lines.find(key), Key: key, Msg: fmt.Sprintf(format, args...)})
}

// err returns nil, the one problem, or all of them in file order (problems
// without a line first: they are about what is missing altogether).
func (p *problems) err() error {
	switch len(p.list) {
	case 0:
		return nil
	case 1:
		return p.list[0]
	}
	slices.SortStableFunc(p.list, func(a, b *Error) int { return a.Line - b.Line })
	errs := make([]error, len(p.list))
	for i, e := range p.list {
		errs[i] = e
	}
	return errors.Join(errs...)
}
