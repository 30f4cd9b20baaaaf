// Package metrics is Switchboard's minimal Prometheus instrumentation.
//
// We write the text exposition format (version 0.0.4) ourselves instead of
// depending on prometheus/client_golang: the format is small and stable, and
// the handful of metric kinds we need (labelled counters, labelled
// histograms, gauges computed at scrape time) fit in a few hundred lines,
// whereas the client library pulls in a large dependency tree.
//
// Everything hangs off a *Registry built by NewRegistry; there is no
// package-level state, so tests and multiple servers in one process never
// share metrics by accident.
//
// Metric and label names are programmer-chosen constants, so mistakes in
// them (invalid names, duplicate registration, wrong number of label values)
// panic, in the spirit of regexp.MustCompile: they surface at startup or in
// the first test that touches the code, not as silently missing data.
package metrics
