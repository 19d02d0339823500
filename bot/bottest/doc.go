// Package bottest provides fakes for testing talkbot's core and adapters:
// an in-memory Store, a recording Sender (and Finder), a recording
// Observer, generated corpora for benchmarks, and golden files: one
// -update flag, one comparison, and the golden requests every renderer
// keeps a file of.
package bottest
