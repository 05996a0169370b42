package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/hall"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/sqlstore"
)

// feedbackKeyFile is the file in the data directory that keeps the key of
// the visitors' ticket and rating links when DOST_FEEDBACK_KEY is not set.
const feedbackKeyFile = "feedback.key"

// wireHall gives s the centres' halls (tickets, counters, appointments,
// certifications, feedback) and, on PostgreSQL, the relay that carries
// the display boards' events between the nodes sharing the database.
func (m *Main) wireHall(s *dosthttp.Server) error {
	key, err := m.feedbackKey()
	if err != nil {
		return err
	}
	store := sqlstore.NewHallStore(m.DB)
	svc, err := hall.New(hall.Config{Store: store, Centres: s.CentreService,
		Catalogue: s.CatalogueService, Clock: m.DB.Clock(), FeedbackKey: key,
		BaseURL: m.publicURL(), Limits: bookingLimits()})
	if err != nil {
		return err
	}
	store.RatingSMS = m.ratingSMS(svc) // the SMS asking a visitor with a booking's phone to rate the visit
	s.Hall = svc
	// The dashboard only reads, so a store of its own batches no writes.
	if s.QueueKPIs, err = hall.NewKPIService(sqlstore.NewHallStore(m.DB), m.DB.Clock()); err != nil {
		return err
	}
	if isPostgres(m.Config.DSN()) {
		m.boardRelay = dosthttp.NewPGBoardRelay(m.Config.DSN())
		s.BoardRelay = m.boardRelay
	}
	return nil
}

// feedbackKey returns the key that signs the links to a ticket's status
// page and rating form: DOST_FEEDBACK_KEY (at least 32 characters, the
// same on every node), else on SQLite the key kept in the data directory,
// made on first use. On PostgreSQL, where several nodes may share the
// database, DOST_FEEDBACK_KEY must be set: without it each process signs
// with a key of its own (logged as a warning), and its links die with it.
func (m *Main) feedbackKey() ([]byte, error) {
	if v := strings.TrimSpace(os.Getenv("DOST_FEEDBACK_KEY")); v != "" {
		if len(v) < 32 {
			return nil, errors.New("DOST_FEEDBACK_KEY must have at least 32 characters")
		}
		return []byte(v), nil
	}
	if isPostgres(m.Config.DSN()) {
		if m.logger != nil {
			m.logger.Warn("DOST_FEEDBACK_KEY is not set: ticket and rating links made by this process work until it stops, on this node only")
		}
		key := make([]byte, 32)
		rand.Read(key)
		return key, nil
	}
	path := filepath.Join(m.Config.DataDir, feedbackKeyFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil && len(strings.TrimSpace(string(b))) >= 64:
		return hex.DecodeString(strings.TrimSpace(string(b)))
	case err == nil:
		return nil, fmt.Errorf("the feedback key in %s is too short: remove it to make a new one", path)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read the feedback key: %w", err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	if err := os.MkdirAll(m.Config.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // another process made it meanwhile
		return m.feedbackKey()
	} else if err != nil {
		return nil, fmt.Errorf("write the feedback key: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("write the feedback key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write the feedback key: %w", err)
	}
	return key, nil
}

// publicURL returns dost's public address: --base-url, else
// http://<addr> (as for the decision letters' verification links).
func (m *Main) publicURL() string {
	if m.BaseURL != "" {
		return m.BaseURL
	}
	host := m.Config.Addr
	if strings.HasPrefix(host, ":") {
		host = "localhost" + host
	}
	return "http://" + host
}

// ratingSMS returns the hook that makes the rating SMS of a finished
// visit (svc.RatingSMS), or nil, logging a warning, without --base-url:
// the link would name this host (http://localhost:8080/...), which a
// citizen's phone cannot reach.
func (m *Main) ratingSMS(svc *hall.Service) func(t *dost.Ticket, phone string, personID int64) *dost.Notification {
	if m.BaseURL == "" {
		if m.logger != nil {
			m.logger.Warn("--base-url is not set: no rating SMS is sent after a visit (its link would name this host)")
		}
		return nil
	}
	return svc.RatingSMS
}

// bookingLimits returns the future bookings one person may hold:
// DOST_BOOKINGS_PER_SERVICE of a service and DOST_BOOKINGS_TOTAL in all
// (hall.DefaultBookingLimits where unset).
func bookingLimits() hall.BookingLimits {
	return hall.BookingLimits{PerService: envInt("DOST_BOOKINGS_PER_SERVICE", 0), Total: envInt("DOST_BOOKINGS_TOTAL", 0)}
}
