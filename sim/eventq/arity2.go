//go:build eventq_arity2

package eventq

// arity: binary heap, for comparison only (see arity.go).
const arity = 2
