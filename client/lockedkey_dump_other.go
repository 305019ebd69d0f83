//go:build unix && !linux

package client

func excludeFromDump([]byte) {}
