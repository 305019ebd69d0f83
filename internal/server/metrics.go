package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/coffer-dev/coffer/internal/alert"
	"github.com/coffer-dev/coffer/internal/secrets"
)

// Operational endpoints, served without authentication: they reveal
// counts and timings, never names or values.
const (
	MetricsPath = "/metrics"
	HealthPath  = "/healthz"
	ReadyPath   = "/readyz"
)

// metrics are the server's Prometheus metrics, in a registry of its own.
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	auditLat  prometheus.Histogram
	auditFail prometheus.Counter
	rotations *prometheus.CounterVec
	handler   http.Handler
}

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "coffer_requests_total",
		Help: "API requests by service, operation and error code (\"OK\" for success).",
	}, []string{"service", "operation", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "coffer_request_duration_seconds",
		Help:    "Time to serve an API request, by service and operation.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"service", "operation"})
	m.auditLat = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "coffer_audit_write_duration_seconds",
		Help:    "Time to durably record one audit event (including waiting for its group fsync).",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25},
	})
	m.auditFail = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "coffer_audit_failures_total",
		Help: "Audit events that could not be recorded (each refused its request).",
	})
	m.rotations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "coffer_rotations_total",
		Help: "Rotation runs by outcome (success, failure) and failed step.",
	}, []string{"outcome", "step"})
	watches := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "coffer_watches_open",
		Help: "Change-feed long polls open now.",
	}, func() float64 { return float64(s.watches.Load()) })
	alertStat := func(name, help string, f func(st alertStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 {
			if s.alerts == nil {
				return 0
			}
			return float64(f(s.alerts.Stats()))
		})
	}
	m.reg.MustRegister(
		alertStat("coffer_alerts_total", "Alerts raised (logged and handed to the webhook).", func(st alertStats) uint64 { return st.Alerts }),
		alertStat("coffer_alerts_delivered_total", "Alerts the webhook accepted.", func(st alertStats) uint64 { return st.Delivered }),
		alertStat("coffer_alerts_failed_total", "Alerts the webhook never accepted.", func(st alertStats) uint64 { return st.Failed }),
		alertStat("coffer_alert_events_dropped_total", "Requests the alert rules did not see because their queue was full.", func(st alertStats) uint64 { return st.Dropped }),
	)
	cacheStat := func(name, cache, help string, f func() uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: prometheus.Labels{"cache": cache}},
			func() float64 { return float64(f()) })
	}
	const hitHelp, missHelp = "Reads served from the server's in-memory cache.", "Reads the server's in-memory cache could not serve."
	m.reg.MustRegister(
		cacheStat("coffer_cache_hits_total", "secret_record", hitHelp, func() uint64 { return s.secrets.CacheStats().RecordHits }),
		cacheStat("coffer_cache_misses_total", "secret_record", missHelp, func() uint64 { return s.secrets.CacheStats().RecordMisses }),
		cacheStat("coffer_cache_hits_total", "secret_value", hitHelp, func() uint64 { return s.secrets.CacheStats().ValueHits }),
		cacheStat("coffer_cache_misses_total", "secret_value", missHelp, func() uint64 { return s.secrets.CacheStats().ValueMisses }),
		cacheStat("coffer_cache_hits_total", "iam_record", hitHelp, func() uint64 { return s.iam.CacheStats().RecordHits }),
		cacheStat("coffer_cache_misses_total", "iam_record", missHelp, func() uint64 { return s.iam.CacheStats().RecordMisses }),
	)
	m.reg.MustRegister(m.requests, m.latency, m.auditLat, m.auditFail, m.rotations, watches,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return m
}

type alertStats = alert.Stats

// observe counts one API request.
func (m *metrics) observe(ev *Event) {
	code := ev.ErrorCode
	if code == "" {
		code = "OK"
	}
	op := ev.Operation
	if op == "" {
		op = "unknown" // refused before routing (authentication, bad input)
	}
	m.requests.WithLabelValues(ev.Service, op, code).Inc()
	m.latency.WithLabelValues(ev.Service, op).Observe(ev.Duration.Seconds())
}

func (m *metrics) observeAudit(d time.Duration, err error) {
	m.auditLat.Observe(d.Seconds())
	if err != nil {
		m.auditFail.Inc()
	}
}

func (m *metrics) observeRotation(_, _ string, failure *secrets.RotationFailure) {
	if failure == nil {
		m.rotations.WithLabelValues("success", "").Inc()
		return
	}
	m.rotations.WithLabelValues("failure", failure.Step).Inc()
}

// ready reports whether the server can serve: the store answers, and the
// audit sink (if any) is accepting events.
func (s *Server) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, _, err := s.backend.Get(ctx, accountKey); err != nil {
		return err
	}
	if s.auditFailing.Load() {
		return errors.New("the last audit event could not be recorded")
	}
	return nil
}

func (s *Server) serveOps(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	switch r.URL.Path {
	case HealthPath:
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("ok\n"))
	case ReadyPath:
		w.Header().Set("Content-Type", "text/plain")
		if err := s.ready(r.Context()); err != nil {
			s.log.Warn("not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("not ready\n"))
			return true
		}
		w.Write([]byte("ready\n"))
	case MetricsPath:
		s.metrics.handler.ServeHTTP(w, r)
	default:
		return false
	}
	return true
}
