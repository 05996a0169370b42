package http_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// videoFixture is a test server whose fixture centre is a video centre:
// the operator is certified for the fixture service and signed in at a
// video desk (hall.counter), and the supervisor is certified to interpret
// sign language.
type videoFixture struct {
	ts          *dosttest.TestServer
	hall        *hallFixture
	store       dost.VideoService
	operator    *dost.User
	interpreter *dost.User
	desk        string // the video desk's page
}

// newVideoFixture starts the test server (service by video: a signalling
// hub, no TURN, so the browsers meet on loopback) over a fresh database of
// dialect and makes its fixture centre a video centre.
func newVideoFixture(t *testing.T, dialect string) *videoFixture {
	t.Helper()
	ctx := context.Background()
	ts := dosttest.NewServer(t, dialect, dosttest.WithAudit)
	if ts.Server.Video == nil {
		t.Fatal("the test server has no service by video")
	}
	store := ts.Server.Video.Service
	f := &videoFixture{ts: ts, hall: newHallFixture(t, ts), store: store,
		operator: ts.Fixtures.Users[dost.RoleOperator], interpreter: ts.Fixtures.Users[dost.RoleSupervisor]}
	if err := store.SetCentreKind(ctx, f.hall.centre.ID, dost.CentreVideo); err != nil {
		t.Fatal(err)
	}
	f.hall.certify(t, f.operator)
	today := dost.Today(f.hall.clock)
	if err := store.CertifyInterpreter(ctx, &dost.InterpreterCertification{UserID: f.interpreter.ID, Language: "sign",
		ValidFrom: today.AddDate(0, 0, -30), ValidUntil: today.AddDate(1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	counter := strconv.FormatInt(f.hall.counter.ID, 10)
	if r := call(t, ts, dost.RoleOperator, "POST", "/api/v1/counters/"+counter+"/sign-in", nil); r.Status != http.StatusOK {
		t.Fatalf("sign in at the counter: got %d: %s", r.Status, r.Body)
	}
	f.desk = "/hall/counters/" + counter + "/video?lang=en"
	return f
}

// videoTabTimeout bounds a tab that stays in a call through a test.
const videoTabTimeout = 8 * time.Minute

// videoDo runs steps in tab and fails the test on an error.
func videoDo(t *testing.T, tab *dosttest.Tab, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(tab.Ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// videoEval evaluates expr in tab (awaiting a promise) and returns its
// value.
func videoEval[T any](t *testing.T, tab *dosttest.Tab, expr string) T {
	t.Helper()
	v, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// videoWait polls expr in tab every 20 ms until it is truthy, for at most
// d; what is waited for is said in the failure.
func videoWait(t *testing.T, tab *dosttest.Tab, what, expr string, d time.Duration) {
	t.Helper()
	if _, err := chromedp.Run(tab.Ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(d))); err != nil {
		state, _ := chromedp.Run(tab.Ctx, chromedp.Evaluate[string](`JSON.stringify(window.dostVideo ? dostVideo.state() : null) + " " + location.href`))
		t.Fatalf("waiting for %s: %v (state %s)", what, err, state)
	}
}

// videoSignIn opens a tab signed in as username, at next.
func videoSignIn(t *testing.T, b *dosttest.Browser, ts *dosttest.TestServer, username, password, next, wait string) *dosttest.Tab {
	t.Helper()
	tab := b.NewTabTimeout(t, videoTabTimeout)
	videoDo(t, tab,
		chromedp.Navigate(ts.URL+"/signin?lang=en&next="+url.QueryEscape(next)),
		chromedp.WaitVisible(chromedp.CSS("#signin-username")),
		chromedp.SendKeys(chromedp.CSS("#signin-username"), username),
		chromedp.SendKeys(chromedp.CSS("#signin-password"), password),
		chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(wait)))
	return tab
}

// videoCallNext clicks the video desk's Call next in tab and waits for the
// call to open. The click is made by the page's own script, retried until
// the button is there and enabled: a node id chromedp resolved may belong
// to a document the sign-in's redirect has just replaced ("Could not find
// node with given id").
func videoCallNext(t *testing.T, tab *dosttest.Tab) {
	t.Helper()
	videoWait(t, tab, "Call next clicked", `(function () {
		var b = document.getElementById("video-call-next");
		if (!b || b.disabled || document.readyState !== "complete") { return false; }
		b.click();
		return true;
	})()`, 30*time.Second)
	videoDo(t, tab, chromedp.WaitVisible(chromedp.CSS("#video-call")))
}

// connected is true in a tab whose call has n peers connected (ICE
// connected).
func connected(n int) string {
	return fmt.Sprintf(`window.dostVideo && dostVideo.state().connected.length >= %d`, n)
}

// bytesFlow fails unless every peer connection of tab receives media:
// bytesReceived grows on each within a few seconds.
func bytesFlow(t *testing.T, tab *dosttest.Tab, who string, peers int) {
	t.Helper()
	type counter struct {
		ID       string `json:"id"`
		Received int64  `json:"received"`
		Sent     int64  `json:"sent"`
	}
	first := videoEval[[]counter](t, tab, `dostVideo.bytes()`)
	if len(first) != peers {
		t.Fatalf("%s has %d peer connections, want %d", who, len(first), peers)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		time.Sleep(500 * time.Millisecond)
		now := videoEval[[]counter](t, tab, `dostVideo.bytes()`)
		grown := 0
		for _, n := range now {
			for _, f := range first {
				if f.ID == n.ID && n.Received > f.Received && n.Sent > f.Sent {
					grown++
				}
			}
		}
		if grown == peers {
			t.Logf("%s: media flowing on %d connections: %+v", who, peers, now)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: bytes do not grow on every connection: before %+v, now %+v", who, first, now)
		}
	}
}

// setupMarks says when each step of the call's set-up happened in the
// operator's and the citizen's page, in ms after start (the click).
func setupMarks(t *testing.T, start time.Time, operator, citizen *dosttest.Tab) string {
	t.Helper()
	var out []string
	for _, side := range []struct {
		name string
		tab  *dosttest.Tab
	}{{"operator", operator}, {"citizen", citizen}} {
		m := videoEval[map[string]int64](t, side.tab, `Object.assign({loaded: dostVideo.state().loadedAt}, dostVideo.state().marks)`)
		var steps []string
		for _, k := range []string{"loaded", "media", "info", "welcome", "offer", "answer", "connected"} {
			if v, ok := m[k]; ok && v >= start.UnixMilli() {
				steps = append(steps, fmt.Sprintf("%s %d", k, v-start.UnixMilli()))
			}
		}
		out = append(out, side.name+": "+strings.Join(steps, ", "))
	}
	return strings.Join(out, "; ")
}

// unexpected returns the page errors of tab other than those holding one
// of the expected texts (e.g. the 403 a refused participant meets).
func unexpected(tab *dosttest.Tab, expected ...string) []string {
	var out []string
	for _, e := range tab.Errors() {
		if !slices.ContainsFunc(expected, func(x string) bool { return strings.Contains(e, x) }) {
			out = append(out, e)
		}
	}
	return out
}

// TestVideoBrowser runs a video visit end to end in headless Chromium with
// fake camera and microphone, three browser contexts: the citizen joins
// the video queue from the portal and waits; the operator calls the next
// ticket at the video desk and the two connect with media flowing both
// ways (getStats byte counters grow); chat passes both ways; the citizen
// consents to recording; the operator asks for an interpreter, who accepts
// from the interpreters' list and joins with media flowing to and from
// both; a staff member who is not of the call is refused (HTTP, WebSocket
// and the page); the operator hangs up, which finishes the ticket, and the
// citizen sees the rating form. Every page passes axe-core.
func TestVideoBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	axe, err := os.ReadFile("testdata/vendor/axe.min.js")
	if err != nil {
		t.Fatalf("read axe-core (run scripts/vendor-assets.sh): %v", err)
	}
	for _, dialect := range dosttest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			f := newVideoFixture(t, dialect)
			ts := f.ts
			b := dosttest.NewBrowser(t, dosttest.FakeMedia...)
			ctx := context.Background()
			svc := f.hall.svc

			// The citizen joins from the portal.
			citizen := videoSignIn(t, b, ts, ts.Fixtures.Users[dost.RoleCitizen].Username, dosttest.Password(dost.RoleCitizen),
				"/my/video?lang=en", "#video-join-form")
			citizen.CheckAxe(t, string(axe))
			videoDo(t, citizen,
				chromedp.Click(chromedp.CSS(`input[name="service"][value="`+svc.Code+`"]`)),
				chromedp.Click(chromedp.CSS("#video-join-submit")),
				chromedp.WaitVisible(chromedp.CSS("#video-wait")))
			videoWait(t, citizen, "the citizen waiting in the call", `window.dostVideo && dostVideo.state().status === "waiting"`, 30*time.Second)
			citizen.CheckAxe(t, string(axe))
			ticketID := videoEval[string](t, citizen, `document.getElementById("video-call").dataset.ticket`)
			id, _ := strconv.ParseInt(ticketID, 10, 64)

			// The operator calls it at the video desk.
			operator := videoSignIn(t, b, ts, f.operator.Username, dosttest.Password(dost.RoleOperator), f.desk, "#video-call-next")
			operator.CheckAxe(t, string(axe))
			start := time.Now()
			videoCallNext(t, operator)
			videoWait(t, operator, "the operator connected", connected(1), 30*time.Second)
			videoWait(t, citizen, "the citizen connected", connected(1), 30*time.Second)
			setup := max(videoEval[int64](t, operator, `dostVideo.state().connectedAt`), videoEval[int64](t, citizen, `dostVideo.state().connectedAt`)) - start.UnixMilli()
			t.Logf("call set-up (call-next → both ICE connected): %d ms; %s", setup, setupMarks(t, start, operator, citizen))

			t.Run("MediaFlows", func(t *testing.T) {
				bytesFlow(t, operator, "operator", 1)
				bytesFlow(t, citizen, "citizen", 1)
			})
			t.Run("Chat", func(t *testing.T) {
				videoDo(t, operator, chromedp.SendKeys(chromedp.CSS("#video-chat-text"), "Salam, how can I help?"),
					chromedp.Click(chromedp.CSS("#video-chat-send")))
				videoWait(t, citizen, "the operator's chat message", `document.getElementById("video-chat-log").textContent.includes("Salam, how can I help?")`, 5*time.Second)
				videoDo(t, citizen, chromedp.SendKeys(chromedp.CSS("#video-chat-text"), "About my pension, please."),
					chromedp.Click(chromedp.CSS("#video-chat-send")))
				videoWait(t, operator, "the citizen's chat message", `document.getElementById("video-chat-log").textContent.includes("About my pension, please.")`, 5*time.Second)
			})
			t.Run("Consent", func(t *testing.T) {
				if !videoEval[bool](t, operator, `document.getElementById("video-record").disabled`) {
					t.Error("the record button is enabled before the citizen's consent")
				}
				videoDo(t, operator, chromedp.Click(chromedp.CSS("#video-consent-ask")))
				videoDo(t, citizen, chromedp.WaitVisible(chromedp.CSS("#video-consent")), chromedp.Click(chromedp.CSS("#video-consent-yes")))
				videoWait(t, operator, "the consent", `document.getElementById("video-chat-log").textContent.includes("agreed to recording")`, 5*time.Second)
				c, err := f.store.FindCallByTicket(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if c.Consent != dost.ConsentGranted {
					t.Errorf("consent %q, want %q", c.Consent, dost.ConsentGranted)
				}
			})
			t.Run("Record", func(t *testing.T) {
				// Consent granted: the operator records the citizen for a moment
				// and the recording is uploaded when stopped.
				videoWait(t, operator, "the record button", `!document.getElementById("video-record").disabled`, 5*time.Second)
				videoDo(t, operator, chromedp.Click(chromedp.CSS("#video-record")))
				videoWait(t, operator, "recording", `document.getElementById("video-call").dataset.recording === "1"`, 5*time.Second)
				time.Sleep(1500 * time.Millisecond)
				videoDo(t, operator, chromedp.Click(chromedp.CSS("#video-record")))
				videoWait(t, operator, "the upload", `document.getElementById("video-call").dataset.recordingUpload === "201"`, 15*time.Second)
				c, err := f.store.FindCallByTicket(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				recs, err := f.store.FindRecordings(ctx, c.ID)
				if err != nil || len(recs) != 1 || recs[0].Size < 1000 {
					t.Errorf("recordings: got %+v %v, want one", recs, err)
				}
			})
			t.Run("Accessible", func(t *testing.T) {
				citizen.CheckAxe(t, string(axe))
				operator.CheckAxe(t, string(axe))
			})

			t.Run("Interpreter", func(t *testing.T) {
				begin := time.Now()
				videoDo(t, operator, chromedp.Click(chromedp.CSS("#video-interpreter")))
				for {
					list, _, err := f.store.FindInterpretations(ctx, dost.InterpretationFilter{Status: dost.InterpretationWaiting})
					if err != nil {
						t.Fatal(err)
					}
					if len(list) == 1 && list[0].TicketID == id && list[0].Language == "sign" {
						break
					}
					if time.Since(begin) > 10*time.Second {
						t.Fatalf("no waiting request for a sign-language interpreter: %+v", list)
					}
					time.Sleep(50 * time.Millisecond)
				}
				t.Logf("the interpretation request is stored after %v", time.Since(begin))
				interpreter := videoSignIn(t, b, ts, f.interpreter.Username, dosttest.Password(dost.RoleSupervisor),
					"/video/interpretations?lang=en", "#video-requests button")
				t.Logf("the request is in the interpreters' list after %v", time.Since(begin))
				interpreter.CheckAxe(t, string(axe))
				videoDo(t, interpreter, chromedp.Click(chromedp.CSS("#video-requests button")), chromedp.WaitVisible(chromedp.CSS("#video-call")))
				accepted := time.Now()
				videoWait(t, interpreter, "the interpreter connected to both", connected(2), 30*time.Second)
				videoWait(t, operator, "the operator connected to both", connected(2), 30*time.Second)
				videoWait(t, citizen, "the citizen connected to both", connected(2), 30*time.Second)
				t.Logf("the interpreter is connected to both %v after accepting", time.Since(accepted))
				bytesFlow(t, interpreter, "interpreter", 2)
				bytesFlow(t, citizen, "citizen", 2)
				interpreter.CheckAxe(t, string(axe))
				for _, e := range unexpected(interpreter) {
					t.Errorf("interpreter's page error: %s", e)
				}
			})

			t.Run("Refused", func(t *testing.T) {
				// Another citizen, with the token of their own video ticket.
				r := call(t, ts, nobody, "POST", "/api/v1/video/tickets", map[string]any{"centre": f.hall.centre.Code, "service": svc.Code, "language": "en"})
				if r.Status != http.StatusCreated {
					t.Fatalf("another video ticket: got %d: %s", r.Status, r.Body)
				}
				var other issuedTicket
				r.decode(t, &other)
				path := "/api/v1/video/calls/" + ticketID
				for _, c := range []struct {
					name string
					role dost.Role
					path string
				}{
					{"Caseworker", dost.RoleCaseWorker, path},
					{"WrongToken", nobody, path + "?t=not-the-token"},
					{"OtherCitizen", nobody, path + "?t=" + url.QueryEscape(other.Token)},
				} {
					if r := call(t, ts, c.role, "GET", c.path, nil); r.Status != http.StatusForbidden {
						t.Errorf("%s: GET %s: got %d, want 403: %s", c.name, c.path, r.Status, r.Body)
					}
				}
				wsURL := "ws" + strings.TrimPrefix(ts.URL, "http") + "/video/calls/" + ticketID + "/ws"
				for _, c := range []struct {
					name   string
					url    string
					header http.Header
				}{
					{"WrongToken", wsURL + "?t=not-the-token", nil},
					{"OtherCitizen", wsURL + "?t=" + url.QueryEscape(other.Token), nil},
					{"Caseworker", wsURL, http.Header{"Authorization": {"Bearer " + ts.Token(dost.RoleCaseWorker)}}},
				} {
					dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
					conn, resp, err := websocket.Dial(dctx, c.url, &websocket.DialOptions{HTTPHeader: c.header})
					cancel()
					if err == nil {
						conn.CloseNow()
						t.Errorf("%s: the WebSocket upgrade succeeded, want 403", c.name)
					} else if resp == nil || resp.StatusCode != http.StatusForbidden {
						t.Errorf("%s: WebSocket: %v (response %v), want 403", c.name, err, resp)
					}
				}
				stranger := videoSignIn(t, b, ts, ts.Fixtures.Users[dost.RoleCaseWorker].Username, dosttest.Password(dost.RoleCaseWorker),
					"/video/calls/"+ticketID+"?lang=en", "#video-call")
				videoWait(t, stranger, "the refusal", `document.getElementById("video-call").dataset.refused === "1"`, 30*time.Second)
				for _, e := range unexpected(stranger, "403") {
					t.Errorf("stranger's page error: %s", e)
				}
			})

			t.Run("HangUp", func(t *testing.T) {
				videoDo(t, operator, chromedp.Click(chromedp.CSS("#video-hangup")), chromedp.WaitVisible(chromedp.CSS("#video-desk-idle")))
				videoWait(t, citizen, "the rating form", `location.pathname.startsWith("/feedback/") && !!document.querySelector('input[name="rating"]')`, 30*time.Second)
				tk, err := ts.Hall.FindTicketByID(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if tk.Status != dost.TicketFinished {
					t.Errorf("ticket %s is %s, want finished", tk.Number, tk.Status)
				}
				c, err := f.store.FindCallByTicket(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if c.EndedAt == nil {
					t.Error("the call has not ended")
				}
				if c.ChatMessages != 2 {
					t.Errorf("the call kept %d chat messages, want 2", c.ChatMessages)
				}
				citizen.CheckAxe(t, string(axe))
			})
			for _, e := range unexpected(operator) {
				t.Errorf("operator's page error: %s", e)
			}
			for _, e := range unexpected(citizen) {
				t.Errorf("citizen's page error: %s", e)
			}
		})
	}
}

// TestVideoSetupTime measures the call's set-up on loopback: from the
// operator's click on call-next to both sides' ICE connection, for several
// calls in a row, the citizen joining each time from the Smart DOST
// point's kiosk page. The times are logged (the target is under
// 2 s), not asserted: a timed assertion would fail on a loaded machine.
func TestVideoSetupTime(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	runs := 5
	if n, err := strconv.Atoi(os.Getenv("DOST_VIDEO_RUNS")); err == nil && n > 0 {
		runs = n
	}
	for _, dialect := range dosttest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			f := newVideoFixture(t, dialect)
			ts := f.ts
			b := dosttest.NewBrowser(t, dosttest.FakeMedia...)
			kiosk := "/centres/" + f.hall.centre.Code + "/video?lang=en"
			var times []time.Duration
			for i := range runs {
				citizen := b.NewTabTimeout(t, videoTabTimeout)
				videoDo(t, citizen, chromedp.Navigate(ts.URL+kiosk),
					chromedp.Click(chromedp.CSS(`input[name="service"][value="`+f.hall.svc.Code+`"]`)),
					chromedp.Click(chromedp.CSS("#video-join-submit")),
					chromedp.WaitVisible(chromedp.CSS("#video-wait")))
				videoWait(t, citizen, "the citizen waiting in the call", `window.dostVideo && dostVideo.state().status === "waiting"`, 30*time.Second)
				operator := videoSignIn(t, b, ts, f.operator.Username, dosttest.Password(dost.RoleOperator), f.desk, "#video-call-next")
				start := time.Now()
				videoCallNext(t, operator)
				videoWait(t, operator, "the operator connected", connected(1), 30*time.Second)
				videoWait(t, citizen, "the citizen connected", connected(1), 30*time.Second)
				d := time.Duration(max(videoEval[int64](t, operator, `dostVideo.state().connectedAt`),
					videoEval[int64](t, citizen, `dostVideo.state().connectedAt`))-start.UnixMilli()) * time.Millisecond
				times = append(times, d)
				t.Logf("run %d: call set-up %v; %s", i+1, d, setupMarks(t, start, operator, citizen))
				videoDo(t, operator, chromedp.Click(chromedp.CSS("#video-hangup")), chromedp.WaitVisible(chromedp.CSS("#video-desk-idle")))
				videoWait(t, citizen, "the rating form", `location.pathname.startsWith("/feedback/")`, 30*time.Second)
			}
			slices.Sort(times)
			t.Logf("call set-up over %d runs: min %v, median %v, max %v (target < 2s)", runs, times[0], times[len(times)/2], times[len(times)-1])
		})
	}
}

// TestVideoWeakConnection: on a weak connection the call page shows the
// connection as weak, falls back to audio only by itself (video stops in
// both directions) and the chat keeps working. The weakness is made by
// wrapping the operator's RTCPeerConnection.getStats so that every
// candidate pair reports a round-trip time of 1.2 s, as a congested
// satellite or 2G link would; the media themselves flow on loopback.
func TestVideoWeakConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	f := newVideoFixture(t, "sqlite")
	ts := f.ts
	b := dosttest.NewBrowser(t, dosttest.FakeMedia...)
	citizen := b.NewTabTimeout(t, videoTabTimeout)
	videoDo(t, citizen, chromedp.Navigate(ts.URL+"/centres/"+f.hall.centre.Code+"/video?lang=en"),
		chromedp.Click(chromedp.CSS(`input[name="service"][value="`+f.hall.svc.Code+`"]`)),
		chromedp.Click(chromedp.CSS("#video-join-submit")),
		chromedp.WaitVisible(chromedp.CSS("#video-wait")))
	videoWait(t, citizen, "the citizen waiting in the call", `window.dostVideo && dostVideo.state().status === "waiting"`, 30*time.Second)
	operator := videoSignIn(t, b, ts, f.operator.Username, dosttest.Password(dost.RoleOperator), f.desk, "#video-call-next")
	videoCallNext(t, operator)
	videoWait(t, operator, "the operator connected", connected(1), 30*time.Second)
	videoWait(t, citizen, "the citizen connected", connected(1), 30*time.Second)
	if videoEval[bool](t, operator, `dostVideo.state().audioOnly`) {
		t.Fatal("audio only before the connection became weak")
	}

	videoEval[bool](t, operator, `(function () {
		var get = RTCPeerConnection.prototype.getStats;
		RTCPeerConnection.prototype.getStats = function () {
			return get.apply(this, arguments).then(function (report) {
				var out = new Map();
				report.forEach(function (r, k) {
					out.set(k, r.type === "candidate-pair" ? Object.assign({}, r, { currentRoundTripTime: 1.2 }) : r);
				});
				return out;
			});
		};
		return true;
	})()`)
	videoWait(t, operator, "the connection shown as weak", `document.getElementById("video-quality").getAttribute("data-level") === "poor"`, 20*time.Second)
	videoWait(t, operator, "the fall back to audio only", `dostVideo.state().audioOnly === true`, 30*time.Second)

	videoDo(t, citizen, chromedp.SendKeys(chromedp.CSS("#video-chat-text"), "Can you hear me?"),
		chromedp.Click(chromedp.CSS("#video-chat-send")))
	videoWait(t, operator, "the citizen's chat message on a weak connection",
		`document.getElementById("video-chat-log").textContent.includes("Can you hear me?")`, 10*time.Second)
	videoDo(t, operator, chromedp.SendKeys(chromedp.CSS("#video-chat-text"), "Yes, by voice only now."),
		chromedp.Click(chromedp.CSS("#video-chat-send")))
	videoWait(t, citizen, "the operator's chat message on a weak connection",
		`document.getElementById("video-chat-log").textContent.includes("Yes, by voice only now.")`, 10*time.Second)
	if got := videoEval[string](t, operator, `document.getElementById("video-quality-level").textContent`); got == "" {
		t.Error("the connection's quality is not named on the page")
	}
}
