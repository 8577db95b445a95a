//go:build !eventq_arity2 && !eventq_arity8

package eventq

// arity is the number of children of a heap node. Four measured fastest here (see
// queue.go); build with -tags eventq_arity2 or eventq_arity8 to measure the others.
const arity = 4
