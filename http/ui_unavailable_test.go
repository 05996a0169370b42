package http

import (
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/sqlstore"
)

// TestErrorPage_Unavailable: a page request that fails because the
// database is away (here PostgreSQL shutting down, SQLSTATE 57P01, as
// sqlstore.IsUnavailable reads it) gets a 503 page with Retry-After that
// says, in the visitor's language, that the service is unavailable for
// now and nothing just sent was saved, not the generic internal error; a
// form's POST the same. The API keeps its problem+json. Another internal
// error still gets the generic page.
func TestErrorPage_Unavailable(t *testing.T) {
	u, err := newUI()
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := loadMessages()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{ui: u, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Unavailable: sqlstore.IsUnavailable}
	away := fmt.Errorf("find services: %w", &pgconn.PgError{Severity: "FATAL", Code: "57P01",
		Message: "terminating connection due to administrator command"})

	serve := func(method, path, lang string, err error) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, nil)
		r.Header.Set("Accept-Language", lang)
		w := httptest.NewRecorder()
		s.Error(w, r, err)
		return w
	}
	for _, lang := range dost.Languages {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			t.Run(lang+"/"+method, func(t *testing.T) {
				w := serve(method, "/applications", lang, away)
				body := html.UnescapeString(w.Body.String())
				if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
					t.Fatalf("got %d, Retry-After %q; want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
				}
				if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
					t.Fatalf("Content-Type %q, want a page", ct)
				}
				for _, key := range []string{"error.unavailable.title", "error.unavailable.text"} {
					if want := msgs[lang][key]; want == "" || !strings.Contains(body, want) {
						t.Errorf("the page lacks %s (%q)", key, want)
					}
				}
				if internal := msgs[lang]["error.internal.text"]; strings.Contains(body, internal) {
					t.Errorf("the page shows the internal error's text %q", internal)
				}
				if strings.Contains(body, "57P01") || strings.Contains(body, "administrator command") {
					t.Error("the page shows the database's error")
				}
			})
		}
	}

	t.Run("API", func(t *testing.T) {
		w := serve(http.MethodPost, "/api/v1/tickets", "en", away)
		if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), `"code":"unavailable"`) {
			t.Fatalf("got %d %s, want a 503 problem with code unavailable", w.Code, w.Body)
		}
	})
	t.Run("OtherInternal", func(t *testing.T) {
		w := serve(http.MethodGet, "/applications", "en", errors.New("a bug"))
		body := html.UnescapeString(w.Body.String())
		if w.Code != http.StatusInternalServerError || !strings.Contains(body, msgs["en"]["error.internal.text"]) ||
			strings.Contains(body, msgs["en"]["error.unavailable.text"]) {
			t.Fatalf("got %d, want 500 with the internal error's page", w.Code)
		}
	})
}
