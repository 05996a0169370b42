package synth

// SetChunkHouseholds changes the number of households per work chunk for a
// test and returns a function that restores it.
func SetChunkHouseholds(n int) (restore func()) {
	old := chunkHouseholds
	chunkHouseholds = n
	return func() { chunkHouseholds = old }
}
