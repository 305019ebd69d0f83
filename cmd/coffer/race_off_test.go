//go:build !race

package main_test

// raceBuild is true when the tests run with -race; the binary under test
// is then built with -race too.
const raceBuild = false
