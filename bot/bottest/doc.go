// Package bottest provides fakes for testing talkbot's core and adapters:
// an in-memory Store, a recording Sender (and Finder), a recording
// Observer, and generated corpora for benchmarks.
package bottest
