package manifest

import (
	"fmt"
	"slices"
	"strings"
)

// Mask is what Diff prints in place of a value.
const Mask = "*****"

// diffContext is how many unchanged lines Diff shows around a change.
const diffContext = 3

// Diff returns a unified diff (labelled a/label, b/label) of the rewrite.
// It never shows a replaced value: on removed lines the replaced bytes
// read Mask. Every occurrence of the strings in mask, on any line, reads
// Mask too (for other secrets the file holds); strings shorter than four
// bytes are not searched for, as they would garble the output.
func (r *Rewritten) Diff(label string, mask []string) string {
	if len(r.edits) == 0 {
		return ""
	}
	oldLines, newLines := splitLines(r.old), splitLines(r.Data)
	oldStarts, newStarts := lineStarts(r.old), lineStarts(r.Data)
	mask = slices.Clone(mask)
	slices.SortFunc(mask, func(a, b string) int { return len(b) - len(a) })
	hide := func(s string) string {
		for _, m := range mask {
			if len(m) >= 4 {
				s = strings.ReplaceAll(s, m, Mask)
			}
		}
		return s
	}
	// removed returns old line i (0-based) with the replaced bytes masked.
	removed := func(i int) string {
		ls, le := oldStarts[i], oldStarts[i]+len(oldLines[i])
		var b strings.Builder
		at := ls
		for _, e := range r.edits {
			s, t := max(e.start, ls), min(e.end, le)
			if s >= t {
				continue
			}
			b.WriteString(hide(string(r.old[at:s])))
			b.WriteString(Mask)
			at = t
		}
		b.WriteString(hide(string(r.old[at:le])))
		return b.String()
	}

	// Each edit changes a run of whole lines; group runs that are close.
	type change struct{ o0, o1, n0, n1 int } // 0-based, end exclusive
	var changes []change
	for _, e := range r.edits {
		c := change{
			o0: lineIndex(oldStarts, e.start), o1: lineIndex(oldStarts, max(e.start, e.end-1)) + 1,
			n0: lineIndex(newStarts, e.nstart), n1: lineIndex(newStarts, max(e.nstart, e.nend-1)) + 1,
		}
		if n := len(changes); n > 0 && c.o0 < changes[n-1].o1 {
			changes[n-1].o1, changes[n-1].n1 = max(c.o1, changes[n-1].o1), max(c.n1, changes[n-1].n1)
			continue
		}
		changes = append(changes, c)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "--- a/%s\n+++ b/%s\n", label, label)
	for i := 0; i < len(changes); {
		j := i
		for j+1 < len(changes) && changes[j+1].o0-changes[j].o1 <= 2*diffContext {
			j++
		}
		first, last := changes[i], changes[j]
		o0 := max(0, first.o0-diffContext)
		o1 := min(len(oldLines), last.o1+diffContext)
		n0 := first.n0 - (first.o0 - o0)
		n1 := last.n1 + (o1 - last.o1)
		fmt.Fprintf(&b, "@@ -%s +%s @@\n", hunkRange(o0, o1), hunkRange(n0, n1))
		at := o0
		for k := i; k <= j; k++ {
			c := changes[k]
			for ; at < c.o0; at++ {
				writeLine(&b, ' ', hide(oldLines[at]))
			}
			for l := c.o0; l < c.o1; l++ {
				writeLine(&b, '-', removed(l))
			}
			for l := c.n0; l < c.n1; l++ {
				writeLine(&b, '+', hide(newLines[l]))
			}
			at = c.o1
		}
		for ; at < o1; at++ {
			writeLine(&b, ' ', hide(oldLines[at]))
		}
		i = j + 1
	}
	return b.String()
}

// splitLines splits data into lines without their "\n"; a final line
// without one counts.
func splitLines(data []byte) []string {
	s := string(data)
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\n")
	}
	return lines
}

// lineIndex returns the 0-based line holding offset off.
func lineIndex(starts []int, off int) int {
	i, found := slices.BinarySearch(starts, off)
	if found {
		return i
	}
	return i - 1
}

func hunkRange(from, to int) string {
	if to-from == 1 {
		return fmt.Sprint(from + 1)
	}
	if to == from {
		return fmt.Sprintf("%d,0", from)
	}
	return fmt.Sprintf("%d,%d", from+1, to-from)
}

func writeLine(b *strings.Builder, prefix byte, line string) {
	b.WriteByte(prefix)
	b.WriteString(strings.TrimSuffix(line, "\r"))
	b.WriteByte('\n')
}
