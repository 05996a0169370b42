package loadgen

import (
	"math/bits"
	"time"
)

// Histogram records latencies in the manner of an HDR histogram: values
// in microseconds, exact below 128 µs and above in buckets of 64 per
// power of two, so that a percentile read from it is within 1.6 % of the
// exact one (and never above the largest value recorded). The count, sum
// and maximum are exact. The zero value is empty and ready; a Histogram
// is not safe for concurrent use (Stats guards its own).
type Histogram struct {
	counts []int64
	n      int64
	sum    time.Duration
	max    time.Duration
}

const (
	histExact = 128 // values below are their own bucket
	histSub   = 64  // buckets per power of two above
)

// histIndex returns the bucket of v microseconds.
func histIndex(v uint64) int {
	if v < histExact {
		return int(v)
	}
	shift := bits.Len64(v) - 7 // v>>shift is in [64, 128)
	return histExact + (shift-1)*histSub + int(v>>uint(shift)) - histSub
}

// histUpper returns the largest value, in microseconds, of bucket i.
func histUpper(i int) uint64 {
	if i < histExact {
		return uint64(i)
	}
	i -= histExact
	shift := i/histSub + 1
	m := uint64(i%histSub + histSub)
	return (m+1)<<uint(shift) - 1
}

// Record adds one latency; a negative one counts as zero.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	i := histIndex(uint64(d / time.Microsecond))
	if i >= len(h.counts) {
		c := make([]int64, i+1+histSub)
		copy(c, h.counts)
		h.counts = c
	}
	h.counts[i]++
	h.n++
	h.sum += d
	h.max = max(h.max, d)
}

// Merge adds o's records to h.
func (h *Histogram) Merge(o *Histogram) {
	if len(o.counts) > len(h.counts) {
		c := make([]int64, len(o.counts))
		copy(c, h.counts)
		h.counts = c
	}
	for i, n := range o.counts {
		h.counts[i] += n
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// Count is the number of latencies recorded.
func (h *Histogram) Count() int64 { return h.n }

// Max is the largest latency recorded.
func (h *Histogram) Max() time.Duration { return h.max }

// Mean is the average latency (0 when empty).
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// Percentile returns the q-quantile (0 < q ≤ 1): the upper bound of the
// bucket holding the ⌈q·n⌉-th smallest latency, at most Max. 0 when
// empty.
func (h *Histogram) Percentile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(q*float64(h.n) + 0.999999)
	rank = min(max(rank, 1), h.n)
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(histUpper(i))*time.Microsecond, h.max)
		}
	}
	return h.max
}
