package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/hall"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/sqlstore"
)

// feedbackSecret is the name of the key of the visitors' ticket and
// rating links among the database's node secrets (sqlstore.DB.Secret).
const feedbackSecret = "feedback"

// feedbackKeyFile is the file in the data directory where dost before
// migration 00027 kept the key of the visitors' links on SQLite; a key
// found there is adopted into the database (see feedbackKey).
const feedbackKeyFile = "feedback.key"

// feedbackKeyTimeout bounds the start-up's read (or first write) of the
// key in the database.
const feedbackKeyTimeout = 30 * time.Second

// wireHall gives s the centres' halls (tickets, counters, appointments,
// certifications, feedback) and, on PostgreSQL, the relay that carries
// the display boards' events between the nodes sharing the database.
func (m *Main) wireHall(s *dosthttp.Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), feedbackKeyTimeout)
	defer cancel()
	key, err := m.feedbackKey(ctx)
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
// page and rating form, the same on every node sharing the database and
// across restarts, so that a link made by one node works on all of them:
// DOST_FEEDBACK_KEY when set (at least 32 characters), else the
// database's node secret "feedback", 32 random bytes made by the first
// node that starts (sqlstore.DB.Secret; the others read it).
//
// On SQLite, a <data-dir>/feedback.key that an older dost made is adopted
// as that secret if the database has none yet (sqlstore.DB.AdoptSecret),
// so the links it signed keep working after the upgrade; from then on the
// database's key is the key and the file may be removed (if the two
// differ, the database's wins and a warning says so). dost no longer
// writes the file.
func (m *Main) feedbackKey(ctx context.Context) ([]byte, error) {
	if v := strings.TrimSpace(os.Getenv("DOST_FEEDBACK_KEY")); v != "" {
		if len(v) < 32 {
			return nil, errors.New("DOST_FEEDBACK_KEY must have at least 32 characters")
		}
		return []byte(v), nil
	}
	if !isPostgres(m.Config.DSN()) {
		old, err := m.feedbackKeyFromFile()
		if err != nil {
			return nil, err
		}
		if old != nil {
			key, err := m.DB.AdoptSecret(ctx, feedbackSecret, old)
			if err != nil {
				return nil, fmt.Errorf("feedback key: %w", err)
			}
			if !bytes.Equal(key, old) && m.logger != nil {
				m.logger.Warn("the feedback key in the data directory is not the database's; the database's signs the visitors' links: remove the file",
					"file", filepath.Join(m.Config.DataDir, feedbackKeyFile))
			}
			return key, nil
		}
	}
	key, err := m.DB.Secret(ctx, feedbackSecret, 32)
	if err != nil {
		return nil, fmt.Errorf("feedback key: %w", err)
	}
	return key, nil
}

// feedbackKeyFromFile returns the key in <data-dir>/feedback.key (64 hex
// digits), or nil if there is no such file.
func (m *Main) feedbackKeyFromFile() ([]byte, error) {
	path := filepath.Join(m.Config.DataDir, feedbackKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read the feedback key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("the feedback key in %s is not 64 hex digits: remove it (the database keeps the key now)", path)
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
