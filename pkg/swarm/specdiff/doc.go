// Package specdiff compares Swarm service specs: the spec a deploy would send with the one the
// daemon stores, which it fills with defaults and whose networks it names by ID. It tells whether
// they mean the same service and lists the differences in words, with the values of secret
// variables hidden.
package specdiff
