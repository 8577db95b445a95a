//go:build eventq_arity8

package eventq

// arity: 8-ary heap, for comparison only (see arity.go).
const arity = 8
