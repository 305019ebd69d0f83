package agent

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/coffer-dev/coffer/client"
)

// pathMetrics serves the agent's Prometheus metrics: counts only, never a
// secret id or value, so, like /ping, it needs no token.
const pathMetrics = "/metrics"

// metrics are the agent's counters: requests by route and status, and
// what its two caches served.
type metrics struct {
	requests *prometheus.CounterVec
	handler  http.Handler
}

func newMetrics(a *Agent) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coffer_agent_requests_total",
			Help: "Requests the agent answered, by route (secret, secret_path, parameter, ping, metrics, refused, unknown) and HTTP status.",
		}, []string{"route", "status"}),
	}
	stat := func(name, help, cache string, c *client.Cache, f func(client.CacheStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: prometheus.Labels{"cache": cache}},
			func() float64 { return float64(f(c.Stats())) })
	}
	for _, c := range []struct {
		name  string
		cache *client.Cache
	}{{"secret", a.secrets}, {"parameter", a.params}} {
		reg.MustRegister(
			stat("coffer_agent_cache_hits_total", "Reads served from the agent's cache while fresh.", c.name, c.cache,
				func(s client.CacheStats) uint64 { return s.Hits }),
			stat("coffer_agent_cache_misses_total", "Reads that went to the service.", c.name, c.cache,
				func(s client.CacheStats) uint64 { return s.Misses }),
			stat("coffer_agent_cache_stale_total", "Reads served past expiry because the service failed (stale_if_error).", c.name, c.cache,
				func(s client.CacheStats) uint64 { return s.Stale }),
		)
	}
	reg.MustRegister(m.requests)
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m
}
