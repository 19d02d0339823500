package main

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/store/postgres"
)

// metrics holds talkbot's Prometheus collectors in a registry of its own,
// so tests can build as many as they like.
type metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	deliveries *prometheus.CounterVec
	rejected   *prometheus.CounterVec
	storeErrs  *prometheus.CounterVec
	panics     *prometheus.CounterVec
	// digestLeader is 1 while this replica runs the digest (see
	// digestLeader), else 0.
	digestLeader prometheus.Gauge
}

var (
	_ bot.Observer      = (*metrics)(nil)
	_ bot.PanicObserver = (*metrics)(nil)
)

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "talkbot_requests_total", Help: "Commands answered, by platform, command and outcome.",
		}, []string{"platform", "command", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "talkbot_request_duration_seconds", Help: "Time to answer a command in the core, by platform.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"platform"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "talkbot_digest_deliveries_total", Help: "Digest deliveries by platform and outcome (sent, skipped, recovered, paused, failed).",
		}, []string{"platform", "outcome"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "talkbot_rejected_requests_total", Help: "Inbound requests refused, by platform and reason (signature, stale, malformed…).",
		}, []string{"platform", "reason"}),
		storeErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "talkbot_store_errors_total", Help: "Store operations that failed, by operation.",
		}, []string{"op"}),
		panics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "talkbot_panics_total", Help: "Panics recovered while serving a request, by platform.",
		}, []string{"platform"}),
		digestLeader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "talkbot_digest_leader", Help: "1 while this replica is the digest leader (the one that runs the weekly digest), else 0.",
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.deliveries, m.rejected, m.storeErrs, m.panics, m.digestLeader,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handled implements bot.Observer.
func (m *metrics) Handled(platform string, verb bot.Verb, outcome bot.Outcome, d time.Duration) {
	m.requests.WithLabelValues(platform, string(verb), string(outcome)).Inc()
	m.latency.WithLabelValues(platform).Observe(d.Seconds())
}

// Rejected implements bot.Observer.
func (m *metrics) Rejected(platform, reason string) {
	m.rejected.WithLabelValues(platform, reason).Inc()
}

// Panicked implements bot.PanicObserver.
func (m *metrics) Panicked(platform string) {
	m.panics.WithLabelValues(platform).Inc()
}

// Delivered counts a digest outcome.
func (m *metrics) Delivered(platform, outcome string) {
	m.deliveries.WithLabelValues(platform, outcome).Inc()
}

// handler serves the registry in the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// countingStore counts a Store's failures (not ErrNotFound, which is an
// answer, not a failure).
type countingStore struct {
	bot.Store
	m *metrics
}

func (s countingStore) count(op string, err error) error {
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		s.m.storeErrs.WithLabelValues(op).Inc()
	}
	return err
}

func (s countingStore) Subscription(ctx context.Context, ch bot.ChannelRef) (bot.Subscription, error) {
	v, err := s.Store.Subscription(ctx, ch)
	return v, s.count("subscription", err)
}

func (s countingStore) PutSubscription(ctx context.Context, sub bot.Subscription) error {
	return s.count("put_subscription", s.Store.PutSubscription(ctx, sub))
}

func (s countingStore) DeleteSubscription(ctx context.Context, ch bot.ChannelRef) error {
	return s.count("delete_subscription", s.Store.DeleteSubscription(ctx, ch))
}

func (s countingStore) Subscriptions(ctx context.Context) ([]bot.Subscription, error) {
	v, err := s.Store.Subscriptions(ctx)
	return v, s.count("subscriptions", err)
}

func (s countingStore) Featured(ctx context.Context, scope string) ([]bot.Feature, error) {
	v, err := s.Store.Featured(ctx, scope)
	return v, s.count("featured", err)
}

func (s countingStore) Feature(ctx context.Context, scope string, w bot.Week, id string) (string, error) {
	v, err := s.Store.Feature(ctx, scope, w, id)
	return v, s.count("feature", err)
}

func (s countingStore) Delivered(ctx context.Context, w bot.Week, ch bot.ChannelRef) (bot.Delivery, error) {
	v, err := s.Store.Delivered(ctx, w, ch)
	return v, s.count("delivered", err)
}

func (s countingStore) MarkDelivered(ctx context.Context, d bot.Delivery) error {
	return s.count("mark_delivered", s.Store.MarkDelivered(ctx, d))
}

// claimingStore is a countingStore over a store whose ledger is shared by
// several processes (PostgreSQL): the digest claims each channel in the
// database before posting (bot.Claimer), and reads a week's ledger in one
// query (bot.WeekReader). A bbolt store is held by one
// process, whose digest runs one at a time, so it is not offered the claim
// and keeps its grouped commits.
type claimingStore struct {
	countingStore
	c bot.Claimer
}

var _ bot.Claimer = claimingStore{}

func (s claimingStore) ClaimDelivery(ctx context.Context, d bot.Delivery, staleBefore time.Time) (bool, bot.Delivery, error) {
	ok, cur, err := s.c.ClaimDelivery(ctx, d, staleBefore)
	return ok, cur, s.count("claim_delivery", err)
}

var _ bot.WeekReader = claimingStore{}

// WeekDeliveries lets the digest's plan read the week's ledger in one
// query.
func (s claimingStore) WeekDeliveries(ctx context.Context, w bot.Week) ([]bot.Delivery, error) {
	v, err := s.Store.(bot.WeekReader).WeekDeliveries(ctx, w)
	return v, s.count("week_deliveries", err)
}

// botStore is the bot.Store the core gets over db: counted, and claiming
// deliveries when db is shared by replicas.
func botStore(db dataStore, m *metrics) bot.Store {
	cs := countingStore{db, m}
	if pg, ok := db.(*postgres.DB); ok {
		return claimingStore{cs, pg}
	}
	return cs
}
