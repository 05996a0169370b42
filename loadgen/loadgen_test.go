package loadgen

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/dost-az/dost/catalogue"
)

// TestHistogramPercentiles checks the histogram's percentiles against
// the exact ones of sorted samples: within its 1.6 % precision (or 1 µs),
// never above the maximum, and its count, max and mean exact.
func TestHistogramPercentiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	var samples []time.Duration
	var sum time.Duration
	for range 100000 {
		// Log-normal around 5 ms, a tail to seconds, some sub-128 µs.
		d := time.Duration(math.Exp(rng.NormFloat64()*1.5+math.Log(5e6))) + time.Duration(rng.IntN(200))*time.Microsecond/10
		h.Record(d)
		samples = append(samples, d)
		sum += d
	}
	slices.Sort(samples)
	if h.Count() != int64(len(samples)) || h.Max() != samples[len(samples)-1] {
		t.Fatalf("count %d max %s, want %d and %s", h.Count(), h.Max(), len(samples), samples[len(samples)-1])
	}
	if want := sum / time.Duration(len(samples)); h.Mean() != want {
		t.Errorf("mean %s, want %s", h.Mean(), want)
	}
	for _, q := range []float64{0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 1} {
		exact := samples[int(math.Ceil(q*float64(len(samples))))-1]
		got := h.Percentile(q)
		lo := exact.Truncate(time.Microsecond)
		hi := time.Duration(float64(exact)*(1+1.0/64)) + time.Microsecond
		if got < lo || got > hi || got > h.Max() {
			t.Errorf("p%g: got %s, exact %s (allowed %s–%s)", q*100, got, exact, lo, hi)
		}
	}
	// Merge equals recording into one.
	var a, b Histogram
	for i, d := range samples {
		if i%2 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	a.Merge(&b)
	for _, q := range []float64{0.5, 0.99} {
		if a.Percentile(q) != h.Percentile(q) {
			t.Errorf("merged p%g %s, want %s", q*100, a.Percentile(q), h.Percentile(q))
		}
	}
	var empty Histogram
	if empty.Percentile(0.5) != 0 || empty.Mean() != 0 {
		t.Error("an empty histogram's percentiles are 0")
	}
	// Small exact values stay exact.
	var small Histogram
	for _, us := range []int{3, 7, 100} {
		small.Record(time.Duration(us) * time.Microsecond)
	}
	if got := small.Percentile(0.5); got != 7*time.Microsecond {
		t.Errorf("p50 of 3, 7, 100 µs: %s", got)
	}
}

// TestHistogramBuckets checks the bucket arithmetic: every value's bucket
// bounds it, and bucket bounds grow.
func TestHistogramBuckets(t *testing.T) {
	prev := uint64(0)
	for i := 1; i < 2000; i++ {
		u := histUpper(i)
		if u <= prev {
			t.Fatalf("bucket %d: upper %d not above %d", i, u, prev)
		}
		if histIndex(u) != i || histIndex(prev+1) != i {
			t.Fatalf("bucket %d [%d, %d]: indexes %d, %d", i, prev+1, u, histIndex(prev+1), histIndex(u))
		}
		prev = u
	}
}

// TestMixDraw checks that draws follow the record day's shares within
// half a percentage point over 200,000 draws, and that the same seed
// draws the same topics.
func TestMixDraw(t *testing.T) {
	if DOSTMix.Total() != 100 {
		t.Fatalf("the mix sums to %g %%", DOSTMix.Total())
	}
	const n = 200000
	rng := rand.New(rand.NewPCG(7, 7))
	got := map[Topic]int{}
	for range n {
		got[DOSTMix.Draw(rng)]++
	}
	for _, s := range DOSTMix {
		share := 100 * float64(got[s.Topic]) / n
		if math.Abs(share-s.Percent) > 0.5 {
			t.Errorf("%s: %.2f %% drawn, want %g %%", s.Topic, share, s.Percent)
		}
	}
	a, b := rand.New(rand.NewPCG(3, 1)), rand.New(rand.NewPCG(3, 1))
	for range 100 {
		if DOSTMix.Draw(a) != DOSTMix.Draw(b) {
			t.Fatal("the same seed drew other topics")
		}
	}
}

// TestTopicServices checks the mapping of the catalogue's services to
// the record day's topics: every topic has in-person services, and the
// services are where the passport's categories put them.
func TestTopicServices(t *testing.T) {
	services, err := catalogue.Services()
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, s := range services {
		codes = append(codes, s.Code)
	}
	m, err := TopicServices(DOSTMix, codes)
	if err != nil {
		t.Fatal(err)
	}
	for code, want := range map[string]Topic{
		"05-01-01-00": TopicPensions, "05-02-01-00": TopicSocialBenefits, "06-01-01-00": TopicSocialBenefits,
		"04-01-01-00": TopicEmployment, "03-01-01-00": TopicDisability, "09-01-01-00": TopicSocialServices,
		"10-01-05-00": TopicCoordinationDesk, "10-01-02-00": TopicSupportingServices, "02-01-01-00": TopicLabourRelations,
		"01-01-01-00": "", "07-01-01-00": "", "08-01-01-00": "",
	} {
		if got := TopicOf(code); got != want {
			t.Errorf("TopicOf(%s) = %q, want %q", code, got, want)
		}
		if want != "" && !slices.Contains(m[want], code) {
			t.Errorf("%s not among the services of %s", code, want)
		}
	}
	if _, err := TopicServices(DOSTMix, []string{"05-01-01-00"}); err == nil {
		t.Error("a mix with topics without services was accepted")
	}
}

// TestChildFIN checks the newborns' FINs: valid, unique, never a
// synthetic person's (they have no O).
func TestChildFIN(t *testing.T) {
	seen := map[string]bool{}
	for n := range 10000 {
		f := childFIN(1, n)
		if len(f) != 7 || f[0] != 'O' || seen[f] {
			t.Fatalf("child %d: FIN %q (seen %v)", n, f, seen[f])
		}
		seen[f] = true
	}
}
