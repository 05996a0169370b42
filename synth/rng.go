package synth

import "math"

// rng is a small splitmix64 generator. dost needs the same bytes for the same
// seed on every Go release and platform, which math/rand does not promise, and
// a generator per household must be cheap to create.
type rng struct{ s uint64 }

// mix64 is the splitmix64 finaliser, a good 64-bit hash.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// newRNG returns a generator for stream n of the seed.
func newRNG(seed int64, stream, n uint64) rng {
	return rng{mix64(mix64(uint64(seed)^stream*0x9e3779b97f4a7c15) + n*0xd1b54a32d192ed03)}
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// intn returns a number in [0, n); n > 0.
func (r *rng) intn(n int) int {
	return int((r.next() >> 32) * uint64(n) >> 32)
}

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// float returns a number in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return r.float() < p }

// norm returns a standard normal number (Box–Muller).
func (r *rng) norm() float64 {
	u := 1 - r.float() // (0, 1]
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*r.float())
}

// tri returns a number in [lo, hi] with a triangular distribution peaking
// in the middle.
func (r *rng) tri(lo, hi int) int {
	return lo + (r.intn(hi-lo+1)+r.intn(hi-lo+1))/2
}

// weights is a cumulative weight table for picking an index.
type weights []uint32

func newWeights(w []int) weights {
	c := make(weights, len(w))
	var sum uint32
	for i, x := range w {
		sum += uint32(x)
		c[i] = sum
	}
	return c
}

// pick returns an index with probability proportional to its weight.
func (r *rng) pick(w weights) int {
	x := uint32(r.intn(int(w[len(w)-1])))
	lo, hi := 0, len(w)-1
	for lo < hi {
		m := (lo + hi) / 2
		if w[m] > x {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}
