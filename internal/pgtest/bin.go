//go:build unix

package pgtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// binGlob is where Debian and Ubuntu install the server binaries, one
// directory per major version.
const binGlob = "/usr/lib/postgresql/*/bin"

// errNoBinaries is what a machine without PostgreSQL gets; the message says
// how to fix it.
var errNoBinaries = errors.New("no PostgreSQL server binaries: none under " + binGlob +
	" and no initdb on PATH; install them (Debian: apt-get update && apt-get install -y postgresql; .ci/run does this)")

// findBinDir returns the directory holding initdb and postgres: the newest
// version matching pattern, else the directory of the initdb lookPath finds.
func findBinDir(pattern string, lookPath func(string) (string, error)) (string, error) {
	dirs, err := filepath.Glob(pattern)
	if err != nil {
		return "", fmt.Errorf("find PostgreSQL binaries: %w", err)
	}
	type candidate struct {
		dir     string
		version []int
	}
	var found []candidate
	for _, dir := range dirs {
		if !isExecutable(filepath.Join(dir, "initdb")) || !isExecutable(filepath.Join(dir, "postgres")) {
			continue
		}
		found = append(found, candidate{dir, parseVersion(filepath.Base(filepath.Dir(dir)))})
	}
	if len(found) > 0 {
		newest := slices.MaxFunc(found, func(a, b candidate) int { return slices.Compare(a.version, b.version) })
		return newest.dir, nil
	}
	if initdb, err := lookPath("initdb"); err == nil {
		dir := filepath.Dir(initdb)
		if isExecutable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	return "", errNoBinaries
}

// parseVersion reads "15" or "9.6" as numbers; anything else sorts first.
func parseVersion(s string) []int {
	var v []int
	for part := range strings.SplitSeq(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil
		}
		v = append(v, n)
	}
	return v
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// binDir is findBinDir for this machine.
func binDir() (string, error) { return findBinDir(binGlob, exec.LookPath) }
