package dosttest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian installs Chromium. The DOST_CHROMIUM
// environment variable overrides it.
const ChromiumPath = "/usr/bin/chromium"

// BrowserTimeout bounds one tab's work, so a hung page fails its test
// instead of the whole run.
const BrowserTimeout = 60 * time.Second

// Browser is a headless Chromium started for one test. Each Tab has its own
// browser context (cookies, storage), so tabs do not share sessions.
type Browser struct {
	ctx context.Context // the browser's first tab; parent of every Tab
}

// FakeMedia are the options of a browser for WebRTC tests (NewBrowser's
// extra options): fake camera and microphone devices (a test pattern and a
// beep), permission to use them granted without asking, media that play
// without a user's gesture, and no throttling of the tabs in the
// background, since each tab stands for a participant at their own
// screen.
var FakeMedia = []chromedp.ExecAllocatorOption{
	chromedp.Flag("use-fake-device-for-media-stream", true),
	chromedp.Flag("use-fake-ui-for-media-stream", true),
	chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	chromedp.Flag("disable-background-timer-throttling", true),
	chromedp.Flag("disable-renderer-backgrounding", true),
	chromedp.Flag("disable-backgrounding-occluded-windows", true),
}

// NewBrowser starts headless Chromium with a temporary profile and stops
// it when the test ends; extra options (e.g. FakeMedia...) are added to
// its command line. Without a Chromium binary the test is skipped,
// unless the CI environment variable is set: in CI a missing browser is a
// failure, so page tests cannot silently stop running.
func NewBrowser(t testing.TB, extra ...chromedp.ExecAllocatorOption) *Browser {
	t.Helper()
	path := ChromiumPath
	if p := os.Getenv("DOST_CHROMIUM"); p != "" {
		path = p
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("no Chromium at %s (set DOST_CHROMIUM, or install chromium): %v", path, err)
		}
		t.Fatalf("CI is set and there is no Chromium at %s: %v", path, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.WindowSize(1280, 900),
	}
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// Start the browser now, so a broken install fails here, clearly.
	if _, err := chromedp.Run(ctx, chromedp.Steps()); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	return &Browser{ctx: ctx}
}

// Tab is one browser tab in its own browser context. Ctx is the chromedp
// context to Run actions in; Errors returns what the page reported as
// errors (uncaught exceptions, console.error, CSP violations).
type Tab struct {
	Ctx context.Context

	mu     sync.Mutex // mu guards errors
	errors []string
}

// NewTab opens a tab in a fresh browser context, closed when the test
// ends.
func (b *Browser) NewTab(t testing.TB) *Tab {
	t.Helper()
	return b.NewTabTimeout(t, BrowserTimeout)
}

// NewTabTimeout is NewTab for a tab whose work may take longer than
// BrowserTimeout, e.g. one side of a call that lasts through a test: its
// work is bounded by d.
func (b *Browser) NewTabTimeout(t testing.TB, d time.Duration) *Tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	if _, err := chromedp.Run(ctx, chromedp.Steps()); err != nil {
		cancel()
		t.Fatalf("open tab: %v", err)
	}
	tab := &Tab{}
	// The console goroutine ends when the tab's context is cancelled.
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				tab.mu.Lock()
				tab.errors = append(tab.errors, fmt.Sprintf("%s %s (%s)", m, m.Source, m.URL))
				tab.mu.Unlock()
			}
		}
	}()
	var cancelTimeout context.CancelFunc
	tab.Ctx, cancelTimeout = context.WithTimeout(ctx, d)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		<-done
	})
	return tab
}

// Errors returns and forgets the errors the page reported so far.
func (tab *Tab) Errors() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	errs := tab.errors
	tab.errors = nil
	return errs
}

// AxeViolation is one failed axe-core rule on a page.
type AxeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	HelpURL string   `json:"helpUrl"`
	Nodes   []string `json:"nodes"`
}

// String formats v for a test log.
func (v AxeViolation) String() string {
	return fmt.Sprintf("[%s] %s: %s (%s)\n\t%s", v.Impact, v.ID, v.Help, v.HelpURL, strings.Join(v.Nodes, "\n\t"))
}

// Axe injects axeSource (the text of axe.min.js) into the tab's current
// page, runs axe.run() over the whole document and returns the
// violations.
func (tab *Tab) Axe(axeSource string) ([]AxeViolation, error) {
	const run = `axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations.map(v => ({
		id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
		nodes: v.nodes.map(n => n.target.join(" ") + " — " + (n.failureSummary || "").replace(/\n/g, " "))
	}))))`
	if _, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[chromedp.Void](axeSource)); err != nil {
		return nil, fmt.Errorf("inject axe: %w", err)
	}
	out, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("run axe: %w", err)
	}
	var vs []AxeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		return nil, fmt.Errorf("axe result: %w", err)
	}
	return vs, nil
}

// CheckAxe runs axe-core on the tab's page and fails the test on any
// violation of serious or critical impact, printing each; lesser ones are
// logged.
func (tab *Tab) CheckAxe(t testing.TB, axeSource string) {
	t.Helper()
	vs, err := tab.Axe(axeSource)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("accessibility violation %s", v)
		} else {
			t.Logf("accessibility warning %s", v)
		}
	}
}
