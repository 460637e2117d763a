//go:build unix

package engine

import (
	"fmt"
	"syscall"
	"unsafe"
)

// mapFloats maps n zeroed float32s of anonymous memory outside the Go
// heap. The pages count towards the resident set only once touched, and
// unmapFloats returns them to the system at once, where freed heap memory
// would wait for the garbage collector and the scavenger.
func mapFloats(n int) []float32 {
	if n == 0 {
		return nil
	}
	b, err := syscall.Mmap(-1, 0, 4*n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		// The same condition as make failing: the process is out of memory.
		panic(fmt.Sprintf("engine: mapping %d MiB for the step arena: %v", 4*n>>20, err))
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n)
}

// unmapFloats unmaps a slice mapFloats returned, whole.
func unmapFloats(s []float32) {
	if cap(s) == 0 {
		return
	}
	s = s[:cap(s)]
	b := unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), 4*len(s))
	if err := syscall.Munmap(b); err != nil {
		panic(fmt.Sprintf("engine: unmapping the step arena: %v", err))
	}
}
