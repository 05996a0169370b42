package rules

import (
	"math"
	"unsafe"
)

// A trace holds several hundred values as `any` (TraceValue.Value) and a
// string per expanded node (its ID). Boxing each apart costs an allocation
// a value, which dominated the time of a traced Calculate, mostly in the
// garbage collector. A trace instead keeps the boxed values and strings in
// slabs of its own: a float64 boxed by box is an interface whose data word
// points into a []float64 slab element that is written once, before the
// interface is made, and never again while the trace is in use, which is
// what the runtime's own boxing (convT64, convTstring) guarantees of its
// fresh copies. (A released trace's slabs are written again by the next
// trace: nothing read from a released trace may be used, see
// Trace.Release.) Values that the runtime boxes without allocating (bools,
// small integers, zero) are boxed the ordinary way. A Result's values are
// boxed the same way in slabs of their own, which are never reused.

// eface is the layout of an empty interface.
type eface struct {
	typ, data unsafe.Pointer
}

func typeOf(x any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&x)).typ }

var (
	float64Type = typeOf(float64(0))
	int64Type   = typeOf(int64(0))
	stringType  = typeOf("")
)

// fromData returns the interface of type typ (a non-pointer type) whose
// value is at p; *p must not change while the interface is in use.
func fromData(typ, p unsafe.Pointer) (x any) {
	*(*eface)(unsafe.Pointer(&x)) = eface{typ, p}
	return x
}

// traceBoxes are the slabs of a trace or of a Result.
type traceBoxes struct {
	floats  []float64
	ints    []int64
	strings []string
	bytes   []byte

	nFloats, nInts, nStrings, nBytes int // how many were boxed in all

	chunk int // the length of a new slab of floats, ints or strings; boxChunk if 0
}

const boxChunk = 128

// newChunk returns the length of a new slab of floats, ints or strings.
func (b *traceBoxes) newChunk() int {
	if b.chunk > 0 {
		return b.chunk
	}
	return boxChunk
}

// reset empties b's slabs for reuse: values boxed before are overwritten.
func (b *traceBoxes) reset() {
	b.floats, b.ints, b.strings, b.bytes = b.floats[:0], b.ints[:0], b.strings[:0], b.bytes[:0]
	b.nFloats, b.nInts, b.nStrings, b.nBytes = 0, 0, 0, 0
}

func (b *traceBoxes) float(f float64) any {
	if math.Float64bits(f) == 0 {
		return f // no allocation
	}
	if len(b.floats) == cap(b.floats) {
		b.floats = make([]float64, 0, b.newChunk())
	}
	b.nFloats++
	b.floats = append(b.floats, f)
	return fromData(float64Type, unsafe.Pointer(&b.floats[len(b.floats)-1]))
}

func (b *traceBoxes) int(i int64) any {
	if uint64(i) < 256 {
		return i // no allocation
	}
	if len(b.ints) == cap(b.ints) {
		b.ints = make([]int64, 0, b.newChunk())
	}
	b.nInts++
	b.ints = append(b.ints, i)
	return fromData(int64Type, unsafe.Pointer(&b.ints[len(b.ints)-1]))
}

func (b *traceBoxes) string(s string) any {
	if len(b.strings) == cap(b.strings) {
		b.strings = make([]string, 0, b.newChunk())
	}
	b.nStrings++
	b.strings = append(b.strings, s)
	return fromData(stringType, unsafe.Pointer(&b.strings[len(b.strings)-1]))
}

// grow makes room for n more bytes in the byte slab. Bytes already handed
// out as strings are not written again until reset: a full slab is
// replaced, not appended to in place beyond its capacity.
func (b *traceBoxes) grow(n int) {
	b.nBytes += n
	if len(b.bytes)+n > cap(b.bytes) {
		b.bytes = make([]byte, 0, max(16*b.newChunk(), n))
	}
}

// str returns the bytes of the byte slab from off on as a string.
func (b *traceBoxes) str(off int) string {
	if off == len(b.bytes) {
		return ""
	}
	return unsafe.String(&b.bytes[off], len(b.bytes)-off)
}

// join returns a+sep+c, in the byte slab.
func (b *traceBoxes) join(a, sep, c string) string {
	b.grow(len(a) + len(sep) + len(c))
	off := len(b.bytes)
	b.bytes = append(append(append(b.bytes, a...), sep...), c...)
	return b.str(off)
}

// date returns d.String(), in the byte slab.
func (b *traceBoxes) date(d Date) string {
	y, m, day := civil(d)
	if y < 0 || y > 9999 {
		return d.String()
	}
	b.grow(10)
	off := len(b.bytes)
	b.bytes = append(appendDigits(b.bytes, y, 4), '-', byte('0'+m/10), byte('0'+m%10), '-', byte('0'+day/10), byte('0'+day%10))
	return b.str(off)
}

// value returns v.value(c, i), boxed in b.
func (b *traceBoxes) value(v *Variable, c Column, i int) any {
	switch v.Type {
	case Bool:
		return c.Bools[i]
	case Int:
		return b.int(c.Ints[i])
	case Float, Money:
		return b.float(c.Floats[i])
	case DateType:
		return b.string(b.date(Date(c.Ints[i])))
	case Enum:
		if k := c.Ints[i]; k >= 0 && int(k) < len(v.Values) {
			return b.string(v.Values[k])
		}
	}
	return v.value(c, i)
}

// period returns p.String(), in the byte slab.
func (b *traceBoxes) period(p Period) string {
	if p.Kind == Eternity || p.Year < 0 || p.Year > 9999 || p.Kind == Month && (p.Month < 1 || p.Month > 12) {
		return p.String()
	}
	b.grow(7)
	off := len(b.bytes)
	b.bytes = appendDigits(b.bytes, p.Year, 4)
	if p.Kind == Month {
		b.bytes = append(b.bytes, '-', byte('0'+p.Month/10), byte('0'+p.Month%10))
	}
	return b.str(off)
}
