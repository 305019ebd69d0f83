package alert

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestZeroConfigMeansDefaults(t *testing.T) {
	t.Parallel()
	got, err := Config{}.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(DefaultConfig(), got); diff != "" {
		t.Errorf("zero Config resolved (-DefaultConfig +got):\n%s", diff)
	}
	again, err := DefaultConfig().resolve()
	if err != nil || !cmp.Equal(again, got) {
		t.Errorf("DefaultConfig().resolve() = %+v, %v; want itself", again, err)
	}
}

// The example of docs/alerts.md parses to what it says.
func TestParseConfig(t *testing.T) {
	t.Parallel()
	got, err := ParseConfig([]byte(`{
  "webhook": {
    "url": "https://hooks.example.com/coffer",
    "headers": {"Authorization": "Bearer REPLACE-ME"},
    "attempts": 3
  },
  "dedupe-window": "30m",
  "rate-limit": 20,
  "denied-burst": {"threshold": 5, "window": "30s"},
  "read-rate": {"factor": 8, "floor": 60},
  "new-source-ip": {"learning": "72h", "ipv4-prefix": 24},
  "break-glass": {"disabled": false}
}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Webhook: Webhook{
			URL:      "https://hooks.example.com/coffer",
			Headers:  map[string]string{"Authorization": "Bearer REPLACE-ME"},
			Attempts: 3,
		},
		DedupeWindow: Duration(30 * time.Minute),
		RateLimit:    20,
		DeniedBurst:  DeniedBurstRule{Threshold: 5, Window: Duration(30 * time.Second)},
		ReadRate:     ReadRateRule{Factor: 8, Floor: 60},
		NewSourceIP:  NewSourceIPRule{Learning: Duration(72 * time.Hour), IPv4Prefix: 24},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseConfig (-want +got):\n%s", diff)
	}
}

func TestConfigRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, json, want string
	}{
		{"an unknown key is refused", `{"denied-burst": {"treshold": 5}}`, `unknown field "treshold"`},
		{"a duration without a unit is refused", `{"dedupe-window": 30}`, "dedupe-window"},
		{"a duration that does not parse is refused", `{"group-wait": "soon"}`, `invalid duration "soon"`},
		{"a negative threshold is refused", `{"denied-burst": {"threshold": -1}}`, "alerts config: denied-burst.threshold: must not be negative"},
		{"a negative window is refused", `{"denied-burst": {"window": "-1m"}}`, "alerts config: denied-burst.window: must not be negative"},
		{"a factor of 1 is refused", `{"read-rate": {"factor": 1}}`, "alerts config: read-rate.factor: must be more than 1"},
		{"an IPv4 prefix over 32 is refused", `{"new-source-ip": {"ipv4-prefix": 33}}`, "alerts config: new-source-ip.ipv4-prefix: must be at most 32"},
		{"a webhook that is not http is refused", `{"webhook": {"url": "ftp://example.com/x"}}`, "alerts config: webhook.url: must be an absolute http or https URL"},
		{"a relative webhook URL is refused", `{"webhook": {"url": "/hook"}}`, "webhook.url"},
		{"a max backoff below the backoff is refused", `{"webhook": {"backoff": "2m"}}`, "webhook.max-backoff: must not be less than webhook.backoff"},
		{"trailing data is refused", `{} {}`, "data after the JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseConfig([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseConfig(%s) = %v, want an error containing %q", tc.json, err, tc.want)
			}
		})
	}
}

func TestDurationText(t *testing.T) {
	t.Parallel()
	var d Duration
	if err := d.UnmarshalText([]byte("1h30m")); err != nil || time.Duration(d) != 90*time.Minute {
		t.Errorf("UnmarshalText(1h30m) = %v, %v; want 1h30m0s", d, err)
	}
	if b, _ := d.MarshalText(); string(b) != "1h30m0s" {
		t.Errorf("MarshalText = %s, want 1h30m0s", b)
	}
}
