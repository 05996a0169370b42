package sqlstore

// GroupedCalls returns how many call-nexts were decided together
// (callNextBatch) and committed; 0 on PostgreSQL.
func (s *HallStore) GroupedCalls() int64 {
	if s.batch == nil {
		return 0
	}
	return s.batch.grouped.Load()
}
