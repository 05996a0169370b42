package http

// FRAME PLACEHOLDER — the UI helper replaces this file.

func (s *Server) uiRoutes() []Route { return nil }
