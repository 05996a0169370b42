package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dost-az/dost"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/notify"
	"github.com/dost-az/dost/sqlstore"
)

// Config is dost's configuration: flags override the environment, which
// overrides the defaults.
type Config struct {
	Addr     string // DOST_ADDR, default ":8080"
	DataDir  string // DOST_DATA_DIR, default "./dost-data"
	Database string // DOST_DATABASE_URL, default: SQLite file in DataDir
	LogLevel string // DOST_LOG_LEVEL: debug, info, warn, error
	// SecureCookies marks cookies Secure and sends HSTS: set it whenever
	// dost is reached over HTTPS (DOST_SECURE_COOKIES=true).
	SecureCookies bool
	// PublicRate is the requests per second one client IP may make to the
	// public endpoints (the catalogue, the calculator); 0 turns the limit
	// off, e.g. for load tests or behind a proxy that limits itself
	// (DOST_PUBLIC_RATE).
	PublicRate float64
	// Notify chooses the senders of SMS and e-mail.
	Notify NotifyConfig
}

// DefaultConfig returns the defaults with the environment applied.
func DefaultConfig() Config {
	c := Config{Addr: ":8080", DataDir: "./dost-data", LogLevel: "info", PublicRate: dosthttp.DefaultPublicLimit.Rate, Notify: defaultNotifyConfig()}
	if v := os.Getenv("DOST_ADDR"); v != "" {
		c.Addr = v
	}
	if v := os.Getenv("DOST_DATA_DIR"); v != "" {
		c.DataDir = v
	}
	if v := os.Getenv("DOST_DATABASE_URL"); v != "" {
		c.Database = v
	}
	if v := os.Getenv("DOST_LOG_LEVEL"); v != "" {
		c.LogLevel = v
	}
	if v, err := strconv.ParseBool(os.Getenv("DOST_SECURE_COOKIES")); err == nil {
		c.SecureCookies = v
	}
	if v, err := strconv.ParseFloat(os.Getenv("DOST_PUBLIC_RATE"), 64); err == nil && v >= 0 {
		c.PublicRate = v
	}
	return c
}

// publicLimit returns the rate limit of public endpoints: PublicRate per
// second with bursts of four seconds' worth, or none.
func (c *Config) publicLimit() dosthttp.RateLimit {
	if c.PublicRate <= 0 {
		return dosthttp.RateLimit{}
	}
	return dosthttp.RateLimit{Rate: c.PublicRate, Burst: max(1, int(4*c.PublicRate))}
}

// bindDatabase adds the flags every command shares.
func (c *Config) bindDatabase(fs *flag.FlagSet) {
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory for the embedded database and uploads (DOST_DATA_DIR)")
	fs.StringVar(&c.Database, "database", c.Database, "database URL: postgres://… or a SQLite file path (DOST_DATABASE_URL)")
}

// Embedded reports whether the database is the default SQLite file in the
// data directory, which dost creates and migrates by itself.
func (c *Config) Embedded() bool { return c.Database == "" }

// DSN returns the database to open.
func (c *Config) DSN() string {
	if c.Embedded() {
		return filepath.Join(c.DataDir, "dost.db")
	}
	return c.Database
}

// Redacted returns the configuration as text with secrets hidden: a
// PostgreSQL password never reaches the logs.
func (c Config) Redacted() string {
	return fmt.Sprintf("addr=%s data-dir=%s database=%s secure-cookies=%t smtp-addr=%s sms-gateway-url=%s",
		c.Addr, c.DataDir, redactDSN(c.DSN()), c.SecureCookies, c.Notify.SMTPAddr, redactDSN(c.Notify.SMSGatewayURL))
}

func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// logger builds the JSON logger.
func (c *Config) logger(w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: maskLogAttr})) // logmask.go
}

// openDB opens the configured database. The embedded default is created
// and migrated on the spot; any other database must be migrated already
// (by `dost migrate`) unless migrate is set.
func (c *Config) openDB(ctx context.Context, logger *slog.Logger, migrate bool) (*sqlstore.DB, error) {
	if c.Embedded() {
		if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		migrate = true
	}
	db, err := sqlstore.Open(ctx, c.DSN(), sqlstore.Options{Logger: logger, Migrate: migrate})
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", redactDSN(c.DSN()), err)
	}
	if err := db.CheckMigrated(ctx); err != nil {
		db.Close()
		if errors.Is(err, sqlstore.ErrNotMigrated) {
			return nil, fmt.Errorf("%w\n  migrate it with: dost migrate --database '%s'", err, redactDSN(c.DSN()))
		}
		return nil, err
	}
	return db, nil
}

// isPostgres reports whether dsn names a PostgreSQL database.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// NotifyConfig chooses the senders of notifications. An empty SMTPAddr
// delivers e-mail to the log, an empty SMSGatewayURL SMS; the secrets come
// only from the environment, never from flags, which ps shows.
type NotifyConfig struct {
	SMTPAddr     string // DOST_SMTP_ADDR, host:port of the relay
	SMTPFrom     string // DOST_SMTP_FROM, required with SMTPAddr
	SMTPUsername string // DOST_SMTP_USERNAME; empty: no authentication
	SMTPPassword string // DOST_SMTP_PASSWORD, environment only
	// SMSGatewayURL is the http(s) address SMS are POSTed to
	// (DOST_SMS_GATEWAY_URL).
	SMSGatewayURL   string
	SMSGatewayToken string // DOST_SMS_GATEWAY_TOKEN, environment only
}

// defaultNotifyConfig returns the notification settings of the environment.
func defaultNotifyConfig() NotifyConfig {
	return NotifyConfig{
		SMTPAddr:        os.Getenv("DOST_SMTP_ADDR"),
		SMTPFrom:        os.Getenv("DOST_SMTP_FROM"),
		SMTPUsername:    os.Getenv("DOST_SMTP_USERNAME"),
		SMTPPassword:    os.Getenv("DOST_SMTP_PASSWORD"),
		SMSGatewayURL:   os.Getenv("DOST_SMS_GATEWAY_URL"),
		SMSGatewayToken: os.Getenv("DOST_SMS_GATEWAY_TOKEN"),
	}
}

// bindFlags adds the notification flags; the password and the token have
// none.
func (c *NotifyConfig) bindFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.SMTPAddr, "smtp-addr", c.SMTPAddr, "host:port of the SMTP relay for e-mail; empty: e-mail goes to the log (DOST_SMTP_ADDR)")
	fs.StringVar(&c.SMTPFrom, "smtp-from", c.SMTPFrom, `sender of e-mail, e.g. "DOST <noreply@dost.gov.az>" (DOST_SMTP_FROM)`)
	fs.StringVar(&c.SMTPUsername, "smtp-username", c.SMTPUsername, "SMTP user name; the password comes from DOST_SMTP_PASSWORD (DOST_SMTP_USERNAME)")
	fs.StringVar(&c.SMSGatewayURL, "sms-gateway-url", c.SMSGatewayURL, "http(s) URL of the SMS gateway; empty: SMS go to the log; the token comes from DOST_SMS_GATEWAY_TOKEN (DOST_SMS_GATEWAY_URL)")
}

// Validate reports a combination that cannot send: an SMTP relay without
// a valid sender or host:port, a gateway URL that is not http(s).
func (c *NotifyConfig) Validate() error {
	if c.SMTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.SMTPAddr); err != nil {
			return fmt.Errorf("--smtp-addr %q: want host:port", c.SMTPAddr)
		}
		if c.SMTPFrom == "" {
			return errors.New("--smtp-addr needs --smtp-from (DOST_SMTP_FROM)")
		}
		if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
			return fmt.Errorf("--smtp-from %q: %w", c.SMTPFrom, err)
		}
	}
	if c.SMSGatewayURL != "" {
		u, err := url.Parse(c.SMSGatewayURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--sms-gateway-url %q: want an http:// or https:// URL", c.SMSGatewayURL)
		}
	}
	return nil
}

// Senders returns the SMS and e-mail senders: the SMS gateway and the
// SMTP relay when configured, else notify.Log senders writing to logger.
func (c *NotifyConfig) Senders(logger *slog.Logger) []dost.Sender {
	var sms, email dost.Sender = notify.NewLog(dost.NotifySMS, logger), notify.NewLog(dost.NotifyEmail, logger)
	if c.SMSGatewayURL != "" {
		sms = &notify.HTTPSMS{URL: c.SMSGatewayURL, Token: c.SMSGatewayToken}
	}
	if c.SMTPAddr != "" {
		email = &notify.SMTP{Addr: c.SMTPAddr, From: c.SMTPFrom, Username: c.SMTPUsername, Password: c.SMTPPassword}
	}
	return []dost.Sender{sms, email}
}
