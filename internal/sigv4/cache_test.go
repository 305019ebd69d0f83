package sigv4_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/coffer-dev/coffer/internal/sigv4"
)

func TestVerifyConcurrentlyAcrossKeysAndDays(t *testing.T) {
	t.Parallel()
	// More (key, day, region) combinations than the cache holds, verified
	// from many goroutines: evictions must never hand out a wrong key.
	k := keys{}
	var specs []spec
	for i := range 4 {
		id := fmt.Sprintf("AKIDCONCURRENT%04d", i)
		k[id] = fmt.Sprintf("secret-%d", i)
		for day := range 3 {
			for _, region := range []string{"us-east-1", "eu-west-1"} {
				s := defaultSpec()
				s.creds = aws.Credentials{AccessKeyID: id, SecretAccessKey: k[id]}
				s.at = signTime.Add(time.Duration(day) * 24 * time.Hour)
				s.region = region
				specs = append(specs, s)
			}
		}
	}
	// A secret that changed must not be served from a key derived from the
	// old one.
	rotated := defaultSpec()
	rotated.creds = aws.Credentials{AccessKeyID: "AKIDCONCURRENT0000", SecretAccessKey: "old-secret"}

	v := sigv4.New(sigv4.Config{Keys: k, MaxSkew: 72 * time.Hour, KeyCacheSize: 3, Now: func() time.Time { return signTime }})
	reqs := make([]*http.Request, len(specs))
	for i, s := range specs {
		reqs[i] = sign(t, s) // Verify only reads requests, so they can be shared
	}
	rotatedReq := sign(t, rotated)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				n := (g*7 + i) % len(specs)
				s := specs[n]
				if _, err := v.Verify(context.Background(), reqs[n], []byte(s.body)); err != nil {
					t.Errorf("Verify(%s, %s, %s) = %v, want success", s.creds.AccessKeyID, s.at.Format("20060102"), s.region, err)
					return
				}
				if _, err := v.Verify(context.Background(), rotatedReq, []byte(rotated.body)); err == nil {
					t.Errorf("Verify(signed with a secret that is not current) succeeded")
					return
				}
			}
		})
	}
	wg.Wait()
}
