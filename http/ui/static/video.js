// dost video call (Smart DOST): the browser side of a video visit.
//
// The page gives the ticket, the viewer's role and (for a citizen) the
// ticket's token in #video-call's data attributes, and its texts in the
// JSON of #video-msgs. The script asks the video API for the call
// (GET /api/v1/video/calls/{ticket}: participants, ICE servers with the
// TURN server's short-lived credentials, the WebSocket's path), opens the
// WebSocket signalling and keeps one RTCPeerConnection per other
// participant (a mesh of up to three). Negotiation is "perfect
// negotiation": whoever joined later offers to each one already there; the
// earlier participant is the polite one and yields on a collision. Chat,
// consent and interpreter requests travel over the signalling channel, so
// they work when media cannot. Every two seconds getStats() gives the
// round-trip time, packet loss and bitrate: shown, sent to the server as
// "quality", and a weak connection falls back to audio only.
//
// No framework, no inline script (the server's Content-Security-Policy
// forbids it). window.dostVideo exposes the state for tests.
(function () {
  "use strict";
  var root = document.getElementById("video-call");
  if (!root) {
    return;
  }
  var msgs = {};
  try {
    msgs = JSON.parse(document.getElementById("video-msgs").textContent || "{}");
  } catch (e) {
    msgs = {};
  }
  // t returns the text of key with %s and %d replaced by the arguments.
  function t(key) {
    var args = arguments;
    var i = 1;
    return String(msgs[key] || key).replace(/%[sd%]/g, function (m) {
      if (m === "%%") {
        return "%";
      }
      return i < args.length ? String(args[i++]) : "";
    });
  }
  function $(id) {
    return document.getElementById(id);
  }

  var loadedAt = Date.now();
  var ticket = root.getAttribute("data-ticket");
  var role = root.getAttribute("data-role");
  var token = root.getAttribute("data-token") || "";
  var query = token ? "?t=" + encodeURIComponent(token) : "";
  var infoURL = "/api/v1/video/calls/" + encodeURIComponent(ticket) + query;
  var statusEl = $("video-status");
  var grid = $("video-grid");
  var localVideo = $("video-local");
  var chatLog = $("video-chat-log");

  // The call's state. peers maps a participant's id to its connection.
  var state = {
    me: "",
    participants: {},
    peers: {},
    ws: null,
    welcomed: false,
    ended: false,
    started: false,
    retries: 0,
    iceServers: [],
    wsURL: "",
    local: null,
    media: null,
    muted: false,
    cameraOff: false,
    audioOnly: false,
    poorRuns: 0,
    samples: 0,
    outbox: [],
    connectedAt: 0,
    status: "",
    quality: { level: "unknown", rtt_ms: 0, loss: 0, kbps: 0 },
    consent: "", // the citizen's answer to recording: "", "granted", "refused"
    recorder: null, // the operator's MediaRecorder while recording
    chunks: [],
    marks: {} // when each step of the set-up first happened (Date.now())
  };
  function mark(name) {
    if (!state.marks[name]) {
      state.marks[name] = Date.now();
    }
  }

  function say(key) {
    state.status = key;
    statusEl.textContent = t.apply(null, arguments);
    statusEl.setAttribute("data-status", key.replace("video.status.", ""));
  }

  // line adds a line to the chat log: who (may be empty for the system's
  // lines) and the text.
  function line(who, text, kind) {
    var li = document.createElement("p");
    li.className = "video-chat-" + (kind || "them");
    if (who) {
      var b = document.createElement("strong");
      b.textContent = who + ": ";
      li.append(b);
    }
    li.append(document.createTextNode(text));
    chatLog.append(li);
    chatLog.scrollTop = chatLog.scrollHeight;
  }
  function system(text) {
    line(t("video.chat.system"), text, "system");
  }

  function nameOf(id) {
    var p = state.participants[String(id)];
    if (!p) {
      return "";
    }
    return (p.name || "") + " (" + t("video.role." + p.role) + ")";
  }

  // Media ---------------------------------------------------------------

  // getMedia asks once for the camera and microphone, then for the
  // microphone alone; without either the call goes on with chat and the
  // other side's media. It resolves to the stream or null.
  function getMedia() {
    if (state.media) {
      return state.media;
    }
    var md = navigator.mediaDevices;
    if (!md || !md.getUserMedia) {
      state.media = Promise.resolve(null);
      return state.media;
    }
    state.media = md.getUserMedia({ audio: true, video: { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 24, max: 30 } } })
      .catch(function () {
        return md.getUserMedia({ audio: true });
      })
      .catch(function () {
        return null;
      })
      .then(function (stream) {
        mark("media");
        state.local = stream;
        if (stream) {
          localVideo.srcObject = stream;
        } else {
          say("video.status.no_media");
        }
        return stream;
      });
    return state.media;
  }

  function tracks(kind) {
    if (!state.local) {
      return [];
    }
    return kind === "audio" ? state.local.getAudioTracks() : state.local.getVideoTracks();
  }

  function stopMedia() {
    if (state.local) {
      state.local.getTracks().forEach(function (tr) {
        tr.stop();
      });
    }
  }

  // Tiles -----------------------------------------------------------------

  function tile(id) {
    var fig = document.createElement("figure");
    fig.className = "video-tile";
    fig.id = "video-tile-" + id;
    var v = document.createElement("video");
    v.autoplay = true;
    v.playsInline = true;
    v.setAttribute("aria-label", nameOf(id));
    var cap = document.createElement("figcaption");
    cap.textContent = nameOf(id);
    fig.append(v, cap);
    grid.append(fig);
    return { fig: fig, video: v, caption: cap };
  }

  function play(v) {
    var p = v.play();
    if (p && p.catch) {
      // A browser that refuses sound without a click plays muted; the
      // next click anywhere turns the sound on.
      p.catch(function () {
        v.muted = true;
        v.play().catch(function () {});
        document.addEventListener("click", function () {
          v.muted = false;
        }, { once: true });
      });
    }
  }

  // Peers -------------------------------------------------------------------

  function send(type, to, data) {
    var m = { type: type, data: data === undefined ? {} : data };
    if (to) {
      // Participant ids are numbers on the wire.
      m.to = isNaN(Number(to)) ? to : Number(to);
    }
    if (state.ws && state.ws.readyState === WebSocket.OPEN && state.welcomed) {
      state.ws.send(JSON.stringify(m));
      return true;
    }
    if (type === "chat" || type === "consent" || type === "consent-request" || type === "interpreter-request") {
      state.outbox.push(m); // sent when the signalling is back
    }
    return false;
  }

  // addLocalTracks puts the local tracks (or receive-only transceivers
  // without them) on a peer's connection.
  function addLocalTracks(peer) {
    if (peer.tracksAdded) {
      return;
    }
    peer.tracksAdded = true;
    var pc = peer.pc;
    var audio = tracks("audio");
    var video = tracks("video");
    if (audio.length) {
      pc.addTrack(audio[0], state.local);
    } else {
      pc.addTransceiver("audio", { direction: "recvonly" });
    }
    if (video.length) {
      pc.addTrack(video[0], state.local);
    } else {
      pc.addTransceiver("video", { direction: "recvonly" });
    }
    if (state.audioOnly) {
      applyAudioOnly(peer);
    }
  }

  function createPeer(id, offerer) {
    id = String(id);
    var pc = new RTCPeerConnection({ iceServers: state.iceServers });
    var peer = { id: id, pc: pc, polite: !offerer, makingOffer: false, ignoreOffer: false, tracksAdded: false,
      tile: tile(id), last: null, connected: false };
    state.peers[id] = peer;
    pc.onicecandidate = function (e) {
      if (e.candidate) {
        send("candidate", id, e.candidate.toJSON());
      }
    };
    pc.ontrack = function (e) {
      var v = peer.tile.video;
      var stream = e.streams && e.streams[0];
      if (!stream) {
        stream = v.srcObject || new MediaStream();
        stream.addTrack(e.track);
      }
      if (v.srcObject !== stream) {
        v.srcObject = stream;
        play(v);
      }
    };
    pc.onnegotiationneeded = function () {
      peer.makingOffer = true;
      pc.setLocalDescription()
        .then(function () {
          mark("offer");
          send("offer", id, pc.localDescription.toJSON());
        })
        .catch(function (err) {
          console.warn("video: offer", err);
        })
        .finally(function () {
          peer.makingOffer = false;
        });
    };
    pc.oniceconnectionstatechange = function () {
      var s = pc.iceConnectionState;
      if (s === "connected" || s === "completed") {
        onConnected(peer);
      } else if (s === "failed") {
        pc.restartIce();
        say("video.status.reconnecting");
      } else if (s === "disconnected" && !state.ended) {
        say("video.status.reconnecting");
      }
    };
    if (offerer) {
      addLocalTracks(peer);
    }
    return peer;
  }

  function closePeer(id) {
    var peer = state.peers[id];
    if (!peer) {
      return;
    }
    delete state.peers[id];
    peer.pc.close();
    peer.tile.fig.remove();
  }

  function onConnected(peer) {
    if (!peer.connected) {
      peer.connected = true;
      if (!state.connectedAt) {
        state.connectedAt = Date.now();
      }
      mark("connected");
      operatorJoined();
      // The server starts the ticket (the visitor has arrived) once the
      // operator and the citizen are both in the call.
    }
    say("video.status.connected");
  }

  function onDescription(from, desc) {
    var peer = state.peers[from] || createPeer(from, false);
    var pc = peer.pc;
    var collision = desc.type === "offer" && (peer.makingOffer || pc.signalingState !== "stable");
    peer.ignoreOffer = !peer.polite && collision;
    if (peer.ignoreOffer) {
      return Promise.resolve();
    }
    return pc.setRemoteDescription(desc).then(function () {
      if (desc.type !== "offer") {
        return null;
      }
      addLocalTracks(peer);
      return pc.setLocalDescription().then(function () {
        mark("answer");
        send("answer", from, pc.localDescription.toJSON());
      });
    }).catch(function (err) {
      console.warn("video: description", err);
    });
  }

  function onCandidate(from, cand) {
    var peer = state.peers[from];
    if (!peer || !cand) {
      return;
    }
    peer.pc.addIceCandidate(cand).catch(function (err) {
      if (!peer.ignoreOffer) {
        console.warn("video: candidate", err);
      }
    });
  }

  // Signalling ----------------------------------------------------------------

  function participantsOf(list) {
    (list || []).forEach(function (p) {
      state.participants[String(p.id)] = p;
    });
  }

  function handle(m) {
    var d = m.data || {};
    var from = m.from === undefined || m.from === null ? "" : String(m.from);
    switch (m.type) {
      case "welcome": {
        mark("welcome");
        state.welcomed = true;
        state.retries = 0;
        var you = d.you !== undefined ? d.you : m.you;
        if (you && typeof you === "object") {
          participantsOf([you]);
          you = you.id;
        }
        state.me = String(you);
        // A fresh start: after a reconnect the others see us join anew
        // and wait for our offers.
        Object.keys(state.peers).forEach(closePeer);
        var list = d.participants || m.participants || [];
        participantsOf(list);
        var others = list.filter(function (p) {
          return String(p.id) !== state.me;
        });
        others.forEach(function (p) {
          createPeer(p.id, true);
        });
        say(others.length ? "video.status.connecting" : waiting() ? "video.status.waiting" : "video.status.alone");
        var out = state.outbox;
        state.outbox = [];
        out.forEach(function (x) {
          state.ws.send(JSON.stringify(x));
        });
        break;
      }
      case "joined": {
        var p = d.participant || d;
        participantsOf([p]);
        closePeer(String(p.id)); // they start afresh: wait for their offer
        if (String(p.id) !== state.me) {
          system(t("video.status.joined", nameOf(p.id)));
          say("video.status.connecting");
        }
        break;
      }
      case "left": {
        var q = d.participant || d;
        var id = String(q.id !== undefined ? q.id : q);
        system(t("video.status.left", nameOf(id)));
        closePeer(id);
        if (!Object.keys(state.peers).length) {
          say(waiting() ? "video.status.waiting" : "video.status.alone");
        }
        break;
      }
      case "ended":
        end();
        break;
      case "hangup":
        if (from !== state.me) {
          system(t("video.status.left", nameOf(from)));
        }
        break;
      case "offer":
      case "answer":
        onDescription(from, { type: d.type || m.type, sdp: d.sdp });
        break;
      case "candidate":
        onCandidate(from, d.candidate !== undefined ? d : null);
        break;
      case "chat":
        if (from !== state.me && d.text) {
          line(nameOf(from), d.text, "them");
        }
        break;
      case "consent-request":
        if (role === "citizen") {
          $("video-consent").hidden = false;
          $("video-consent-yes").focus();
        }
        system(t("video.consent.asked"));
        break;
      case "consent":
        system(t(d.granted ? "video.consent.granted" : "video.consent.refused"));
        setConsent(d.granted ? "granted" : "refused");
        break;
      case "interpreter-request":
      case "interpreter-requested":
        system(t("video.interpreter.requested"));
        break;
      case "error":
        console.warn("video: server says", d.code || "", d.message || d.detail || "");
        break;
    }
  }

  // wsURLOf returns the WebSocket's URL of path; the API's path carries
  // the token already when the viewer came with it.
  function wsURLOf(path) {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path +
      (path.indexOf("?") < 0 ? query : "");
  }

  function connect() {
    if (state.ended) {
      return;
    }
    var ws = new WebSocket(state.wsURL);
    state.ws = ws;
    state.welcomed = false;
    ws.onmessage = function (ev) {
      var m;
      try {
        m = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      // The signalling opens while the camera starts; its messages wait
      // for the local media (in order), which the offers carry.
      getMedia().then(function () {
        handle(m);
      });
    };
    ws.onclose = function () {
      if (state.ws !== ws || state.ended) {
        return;
      }
      state.ws = null;
      state.welcomed = false;
      say("video.status.reconnecting");
      // Ask the API first: a refused or ended call is not retried.
      var delay = Math.min(10000, 500 * Math.pow(2, state.retries++));
      setTimeout(function () {
        fetchInfo().then(function (info) {
          if (info) {
            connect();
          }
        });
      }, delay);
    };
  }

  // fetchInfo gets the call from the API; null when the viewer may not
  // join (shown) or the call is over.
  function fetchInfo() {
    return fetch(infoURL, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (res) {
        if (res.status === 401 || res.status === 403) {
          say("video.status.refused");
          root.setAttribute("data-refused", "1");
          return null;
        }
        if (!res.ok) {
          throw new Error("call info: " + res.status);
        }
        return res.json();
      })
      .then(function (info) {
        if (!info) {
          return null;
        }
        mark("info");
        if (info.status === "ended") {
          end();
          return null;
        }
        participantsOf(info.participants);
        state.iceServers = info.ice_servers || [];
        state.wsURL = wsURLOf(info.ws || "/video/calls/" + ticket + "/ws");
        personLink(info);
        setConsent(info.consent || "");
        return info;
      })
      .catch(function () {
        say("video.status.reconnecting");
        return new Promise(function (resolve) {
          setTimeout(function () {
            resolve(state.ended ? null : fetchInfo());
          }, Math.min(10000, 500 * Math.pow(2, state.retries++)));
        });
      });
  }

  // personLink points the desk's person link at the citizen's person page
  // and the documents link at the person's applications, when the call
  // names the person (the operator only).
  function personLink(info) {
    var a = $("video-person");
    var fin = info.person_fin || (info.person && info.person.fin);
    if (a && fin) {
      a.href = "/persons/" + encodeURIComponent(fin);
      a.textContent = t("video.person.open", fin);
    }
    var docs = $("video-documents-staff");
    if (docs && fin) {
      docs.href = "/persons/" + encodeURIComponent(fin) + "#applications";
      docs.textContent = t("video.desk.documents.person", fin);
    }
  }

  // Recording (the operator only): the record button is enabled only
  // while the citizen's consent is granted; it records the citizen's
  // stream with MediaRecorder and uploads it (WebM) when stopped, at the
  // hang-up, or — discarded, not uploaded — when the consent is withdrawn.
  // The server refuses a recording without consent all the same.
  var recordButton = $("video-record");
  function setConsent(c) {
    state.consent = c;
    if (c !== "granted" && state.recorder) {
      stopRecording(false);
      system(t("video.record.stopped_consent"));
    }
    updateRecord();
  }
  function updateRecord() {
    if (!recordButton) {
      return;
    }
    var can = state.consent === "granted" && !state.ended && typeof MediaRecorder !== "undefined";
    recordButton.disabled = !can && !state.recorder;
    recordButton.setAttribute("aria-pressed", state.recorder ? "true" : "false");
    recordButton.textContent = t(state.recorder ? "video.record.stop" : "video.record.start");
    root.setAttribute("data-recording", state.recorder ? "1" : "0");
  }
  // recordedStream returns the citizen's stream (else any other's).
  function recordedStream() {
    var found = null;
    Object.keys(state.peers).forEach(function (id) {
      var v = state.peers[id].tile && state.peers[id].tile.video;
      var p = state.participants[id];
      if (v && v.srcObject && (!found || (p && p.role === "citizen"))) {
        found = v.srcObject;
      }
    });
    return found;
  }
  function startRecording() {
    var stream = recordedStream();
    if (!stream || state.consent !== "granted") {
      system(t("video.record.nothing"));
      return;
    }
    var type = ["video/webm;codecs=vp8,opus", "video/webm"].filter(function (x) {
      return MediaRecorder.isTypeSupported(x);
    })[0];
    try {
      state.recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    } catch (err) {
      console.warn("video: recorder", err);
      system(t("video.record.failed"));
      return;
    }
    state.chunks = [];
    state.recorder.ondataavailable = function (e) {
      if (e.data && e.data.size) {
        state.chunks.push(e.data);
      }
    };
    state.recorder.start(1000);
    system(t("video.record.started"));
    updateRecord();
  }
  // stopRecording stops the recorder and, with upload, sends what it
  // recorded; the promise resolves once the upload has been answered.
  function stopRecording(upload) {
    var rec = state.recorder;
    state.recorder = null;
    updateRecord();
    if (!rec) {
      return Promise.resolve();
    }
    return new Promise(function (resolve) {
      rec.onstop = function () {
        var chunks = state.chunks;
        state.chunks = [];
        if (!upload || !chunks.length) {
          resolve();
          return;
        }
        fetch("/api/v1/video/calls/" + encodeURIComponent(ticket) + "/recording", {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "video/webm", Accept: "application/json" },
          body: new Blob(chunks, { type: "video/webm" })
        }).then(function (res) {
          system(t(res.ok ? "video.record.saved" : res.status === 409 ? "video.record.refused" : "video.record.failed"));
          root.setAttribute("data-recording-upload", String(res.status));
        }).catch(function () {
          system(t("video.record.failed"));
        }).then(resolve);
      };
      try {
        rec.stop();
      } catch (err) {
        resolve();
      }
    });
  }
  if (recordButton) {
    recordButton.addEventListener("click", function () {
      if (state.recorder) {
        stopRecording(true);
      } else {
        startRecording();
      }
    });
  }

  function start() {
    if (state.started) {
      return;
    }
    state.started = true;
    say("video.status.camera");
    getMedia();
    fetchInfo().then(function (info) {
      if (!info || state.ended) {
        return;
      }
      say("video.status.connecting");
      connect();
    });
  }

  function end() {
    if (state.ended) {
      return;
    }
    state.ended = true;
    var recorded = stopRecording(true); // before the peers close
    updateRecord();
    Object.keys(state.peers).forEach(closePeer);
    if (state.ws) {
      state.ws.close(1000);
      state.ws = null;
    }
    stopMedia();
    say("video.status.ended");
    root.setAttribute("data-ended", "1");
    var next = role === "citizen" ? root.getAttribute("data-feedback") : root.getAttribute("data-done");
    if (next) {
      if (role === "citizen") {
        afterFinish(next, 0);
      } else {
        recorded.then(function () {
          location.assign(next);
        });
      }
    }
  }

  // afterFinish opens the rating once the ticket is finished (the server
  // finishes it with the hang-up; a few tries cover the moment between).
  function afterFinish(url, tries) {
    var poll = visit && visit.getAttribute("data-poll");
    if (!poll || tries > 10) {
      location.assign(url);
      return;
    }
    fetch(poll, { headers: { Accept: "application/json" } }).then(function (res) {
      return res.ok ? res.json() : {};
    }).then(function (tk) {
      if (tk.status === "finished") {
        location.assign(url);
      } else if (tk.status && tk.status !== "called" && tk.status !== "serving") {
        say(tk.status === "cancelled" || tk.status === "no_show" ? "video.status.cancelled" : "video.status.ended");
      } else {
        setTimeout(function () {
          afterFinish(url, tries + 1);
        }, 300);
      }
    }).catch(function () {
      location.assign(url);
    });
  }

  // Quality -------------------------------------------------------------------

  // sample reads every connection's statistics and turns the change since
  // the last sample into the round-trip time, the loss and the bitrate
  // received; shows them, sends them every tenth second, and falls back to
  // audio only after three weak samples in a row.
  function sample() {
    var ids = Object.keys(state.peers);
    return Promise.all(ids.map(function (id) {
      var peer = state.peers[id];
      return peer.pc.getStats().then(function (stats) {
        var s = { at: Date.now(), rtt: null, lost: 0, packets: 0, bytes: 0 };
        stats.forEach(function (r) {
          if (r.type === "candidate-pair" && r.state === "succeeded" && r.nominated && r.currentRoundTripTime !== undefined) {
            s.rtt = r.currentRoundTripTime;
          } else if (r.type === "inbound-rtp") {
            s.lost += r.packetsLost || 0;
            s.packets += r.packetsReceived || 0;
            s.bytes += r.bytesReceived || 0;
          }
        });
        var last = peer.last;
        peer.last = s;
        if (!last || !peer.connected) {
          return null;
        }
        var lost = Math.max(0, s.lost - last.lost);
        var got = Math.max(0, s.packets - last.packets);
        var secs = Math.max(0.001, (s.at - last.at) / 1000);
        return { rtt: s.rtt, loss: lost + got > 0 ? lost / (lost + got) : 0, kbps: Math.max(0, s.bytes - last.bytes) * 8 / secs / 1000 };
      }).catch(function () {
        return null;
      });
    })).then(function (rs) {
      rs = rs.filter(Boolean);
      var q = state.quality;
      if (!rs.length) {
        q.level = "unknown";
        showQuality();
        return;
      }
      var rtt = 0;
      var loss = 0;
      var kbps = 0;
      rs.forEach(function (r) {
        rtt = Math.max(rtt, r.rtt || 0);
        loss = Math.max(loss, r.loss);
        kbps += r.kbps;
      });
      q.rtt_ms = Math.round(rtt * 1000);
      q.loss = Math.round(loss * 1000) / 1000;
      q.kbps = Math.round(kbps);
      q.level = rtt < 0.3 && loss < 0.02 ? "good" : rtt < 0.6 && loss < 0.08 ? "fair" : "poor";
      showQuality();
      state.poorRuns = q.level === "poor" ? state.poorRuns + 1 : 0;
      if (state.poorRuns >= 3 && !state.audioOnly) {
        setAudioOnly(true);
        say("video.status.audio_only_auto");
      }
      if (state.samples++ % 5 === 0) {
        send("quality", null, { rtt_ms: q.rtt_ms, loss: q.loss, kbps: q.kbps, audio_only: state.audioOnly });
      }
    });
  }

  function showQuality() {
    var q = state.quality;
    $("video-quality").setAttribute("data-level", q.level);
    $("video-quality-level").textContent = t("video.quality." + q.level);
    $("video-quality-detail").textContent = q.level === "unknown" ? "" : t("video.quality.detail", q.rtt_ms, (q.loss * 100).toFixed(1), q.kbps);
  }

  // Controls ------------------------------------------------------------------

  function pressed(button, on) {
    button.setAttribute("aria-pressed", on ? "true" : "false");
  }

  // applyAudioOnly stops (or resumes) sending and receiving video on a
  // peer's connection: the video transceiver's direction changes and the
  // connection renegotiates, so the other side stops sending video too.
  function applyAudioOnly(peer) {
    peer.pc.getTransceivers().forEach(function (tr) {
      var kind = (tr.receiver && tr.receiver.track && tr.receiver.track.kind) || "";
      if (kind !== "video" || tr.currentDirection === "stopped") {
        return;
      }
      var want = state.audioOnly ? "inactive" : (tracks("video").length ? "sendrecv" : "recvonly");
      if (tr.direction !== want) {
        tr.direction = want;
      }
    });
  }

  function setAudioOnly(on) {
    state.audioOnly = on;
    pressed($("video-audio-only"), on);
    root.classList.toggle("video-audio-only", on);
    Object.keys(state.peers).forEach(function (id) {
      applyAudioOnly(state.peers[id]);
    });
  }

  $("video-mute").addEventListener("click", function () {
    state.muted = !state.muted;
    tracks("audio").forEach(function (tr) {
      tr.enabled = !state.muted;
    });
    pressed(this, state.muted);
  });
  $("video-camera").addEventListener("click", function () {
    state.cameraOff = !state.cameraOff;
    tracks("video").forEach(function (tr) {
      tr.enabled = !state.cameraOff;
    });
    pressed(this, state.cameraOff);
  });
  $("video-audio-only").addEventListener("click", function () {
    setAudioOnly(!state.audioOnly);
  });
  $("video-hangup").addEventListener("click", function () {
    if (role !== "operator") {
      end(); // leaving: the operator finishes the visit
      return;
    }
    // The server finishes the ticket, ends the call and tells everyone
    // "ended"; should the API not answer, the signalling asks the same.
    var button = this;
    button.disabled = true;
    fetch("/api/v1/video/calls/" + encodeURIComponent(ticket) + "/hangup", {
      method: "POST", credentials: "same-origin", headers: { Accept: "application/json" }
    }).then(function (res) {
      if (!res.ok && res.status !== 409) {
        throw new Error("hangup: " + res.status);
      }
      end();
    }).catch(function () {
      send("hangup");
      setTimeout(function () {
        if (!state.ended) {
          button.disabled = false;
          say("video.status.failed");
        }
      }, 5000);
    });
  });
  var consentAsk = $("video-consent-ask");
  if (consentAsk) {
    consentAsk.addEventListener("click", function () {
      send("consent-request");
      system(t("video.consent.requested"));
    });
  }
  var consentBox = $("video-consent");
  if (consentBox) {
    var answer = function (granted) {
      return function () {
        send("consent", null, { granted: granted });
        consentBox.hidden = true;
        system(t(granted ? "video.consent.granted" : "video.consent.refused"));
        $("video-chat-text").focus();
      };
    };
    $("video-consent-yes").addEventListener("click", answer(true));
    $("video-consent-no").addEventListener("click", answer(false));
  }
  var interp = $("video-interpreter-form");
  if (interp) {
    interp.addEventListener("submit", function (e) {
      e.preventDefault();
      send("interpreter-request", null, { language: $("video-interpreter-language").value });
      system(t("video.interpreter.requested"));
    });
  }
  $("video-chat-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var input = $("video-chat-text");
    var text = input.value.trim();
    if (!text) {
      return;
    }
    send("chat", null, { text: text });
    line(t("video.chat.me"), text, "me");
    input.value = "";
  });

  // The visit page -------------------------------------------------------------

  // On the visit page the citizen joins the call's signalling at once,
  // while the ticket still waits: the operator who calls it joins and
  // offers, so the call starts the moment they arrive. Meanwhile the page
  // polls the ticket for the place in the queue and the estimate.
  var visit = $("video-visit");
  function waiting() {
    return visit && visit.getAttribute("data-status") === "waiting";
  }
  function watchTicket() {
    var timer = 0;
    var poll = function () {
      fetch(visit.getAttribute("data-poll"), { headers: { Accept: "application/json" } }).then(function (res) {
        return res.ok ? res.json() : null;
      }).then(function (tk) {
        if (!tk || state.ended) {
          return;
        }
        visit.setAttribute("data-status", tk.status);
        $("video-wait-status").textContent = t("hall.status." + tk.status);
        $("video-wait-ahead").textContent = tk.ahead !== undefined ? String(tk.ahead) : "—";
        $("video-wait-estimate").textContent = tk.estimated_wait_seconds !== undefined ?
          t("video.wait.minutes", Math.ceil(tk.estimated_wait_seconds / 60)) : t("video.wait.unknown");
        if (tk.status !== "waiting" && tk.status !== "parked") {
          clearInterval(timer);
        }
      }).catch(function () {});
    };
    timer = setInterval(poll, 10000);
  }
  // operatorJoined marks the visit as called when the operator is in.
  function operatorJoined() {
    if (!visit) {
      return;
    }
    var op = Object.keys(state.participants).some(function (id) {
      return state.participants[id].role === "operator" && state.peers[id];
    });
    if (op && waiting()) {
      visit.setAttribute("data-status", "called");
      $("video-wait-status").textContent = t("hall.status.called");
    }
  }

  setInterval(function () {
    if (!state.ended) {
      sample();
    }
  }, 2000);
  // The idle video desk: the camera is on before the call, and call-next
  // goes through the API and opens the call in place (no page to load, no
  // camera to start: the call sets up at once). Should the API refuse
  // (nobody waiting, not signed in at the counter), the form posts as
  // without the script and the page says why.
  function idleDesk() {
    getMedia().then(function () {
      if (!state.started) {
        say("video.status.idle");
      }
    });
    var form = $("video-call-next-form");
    if (!form) {
      return;
    }
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      $("video-call-next").disabled = true;
      fetch(form.getAttribute("data-api"), { method: "POST", credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (res) {
          if (!res.ok) {
            throw new Error("call-next: " + res.status);
          }
          return res.json();
        })
        .then(function (b) {
          var tk = b.ticket || b;
          ticket = String(tk.id);
          infoURL = "/api/v1/video/calls/" + encodeURIComponent(ticket) + query;
          root.setAttribute("data-ticket", ticket);
          root.setAttribute("data-status", tk.status);
          root.setAttribute("data-service", tk.service_code);
          $("console-ticket-number").textContent = tk.number;
          $("video-desk-service").textContent = tk.service_code;
          $("video-desk-status").textContent = t("hall.status." + tk.status);
          $("video-call-title").textContent = t("video.call.title", tk.number);
          var idle = $("video-desk-idle");
          if (idle) {
            idle.hidden = true;
          }
          $("video-desk").hidden = false;
          start();
        })
        .catch(function () {
          form.submit();
        });
    });
  }

  if (visit) {
    watchTicket();
  }
  if (role === "operator" && (!ticket || ticket === "0")) {
    idleDesk();
  } else {
    start();
  }

  // For tests and for support: the call's state and byte counters.
  window.dostVideo = {
    state: function () {
      var connected = Object.keys(state.peers).filter(function (id) {
        return state.peers[id].connected;
      });
      return { me: state.me, status: state.status.replace("video.status.", ""), connected: connected,
        connectedAt: state.connectedAt, marks: state.marks, loadedAt: loadedAt, ended: state.ended, audioOnly: state.audioOnly, quality: state.quality,
        participants: Object.keys(state.participants).map(function (id) {
          return state.participants[id];
        }) };
    },
    // bytes sums every peer's inbound bytesReceived and outbound bytesSent
    // (getStats).
    bytes: function () {
      var ids = Object.keys(state.peers);
      return Promise.all(ids.map(function (id) {
        return state.peers[id].pc.getStats().then(function (stats) {
          var b = { id: id, received: 0, sent: 0 };
          stats.forEach(function (r) {
            if (r.type === "inbound-rtp") {
              b.received += r.bytesReceived || 0;
            } else if (r.type === "outbound-rtp") {
              b.sent += r.bytesSent || 0;
            }
          });
          return b;
        });
      }));
    }
  };
}());
