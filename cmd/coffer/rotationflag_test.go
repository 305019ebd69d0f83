package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/coffer-dev/coffer/internal/server"
)

func TestParseRotationFunction(t *testing.T) {
	good := map[string]server.RotationFunction{
		"name=web,url=https://fn.example/rotate,signing-key-file=/etc/coffer/fn.key": {
			Name: "web", URL: "https://fn.example/rotate", SigningKeyFile: "/etc/coffer/fn.key",
		},
		"name=local,exec=/opt/rotate": {Name: "local", Command: []string{"/opt/rotate"}},
		"name=pg,builtin=postgresql-multiuser,read-secret=arn:aws:secretsmanager:*:*:secret:pg-master-*,opt.exclude-characters=:/@": {
			Name: "pg", Builtin: "postgresql-multiuser", ReadSecrets: []string{"arn:aws:secretsmanager:*:*:secret:pg-master-*"},
			Options: map[string]string{"exclude-characters": ":/@"},
		},
	}
	for spec, want := range good {
		got, err := parseRotationFunction(spec)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("parseRotationFunction(%q) = %+v, %v; want %+v", spec, got, err, want)
		}
	}
	for _, spec := range []string{"url=https://x", "name=a,url", "name=a,colour=blue", "name=a,url="} {
		if _, err := parseRotationFunction(spec); err == nil || !strings.Contains(err.Error(), "rotation function") {
			t.Errorf("parseRotationFunction(%q) = %v, want an error", spec, err)
		}
	}
	var fns []server.RotationFunction
	if err := rotationFlag(&fns).Set("name=a,exec=/bin/a;name=b,url=http://127.0.0.1:9/x"); err != nil || len(fns) != 2 {
		t.Fatalf("Set of two functions: %v, %v", fns, err)
	}
}
