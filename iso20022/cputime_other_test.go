//go:build !unix

package iso20022_test

import "time"

func cpuTime() time.Duration { return 0 }
