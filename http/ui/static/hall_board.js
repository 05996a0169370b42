// dost display board: follows the centre's board event stream
// (server-sent events), shows the last calls, plays a short chime made
// with WebAudio and announces each call with the browser's speech
// synthesis in the ticket's language. Nothing leaves the browser.
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board) {
    return;
  }
  var list = document.getElementById("board-calls");
  var status = document.getElementById("board-status");
  var soundButton = document.getElementById("board-sound");
  var keep = 8;
  var audio = null;
  var seen = {};
  var voices = { az: "az-AZ", en: "en-GB", ru: "ru-RU" };

  function key(e) {
    return e.ticket_id + ":" + e.kind + ":" + Math.floor(Date.parse(e.at) / 1000);
  }

  function row(e) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-ticket", String(e.ticket_id));
    var number = document.createElement("td");
    number.className = "board-number";
    number.textContent = e.number;
    var counter = document.createElement("td");
    counter.className = "board-counter";
    counter.textContent = String(e.counter);
    tr.append(number, counter);
    return tr;
  }

  function show(items) {
    seen = {};
    list.replaceChildren();
    items.forEach(function (e) {
      seen[key(e)] = true;
      list.append(row(e));
    });
  }

  // chime plays two soft tones, like a hall's gong.
  function chime() {
    if (!audio) {
      return;
    }
    var now = audio.currentTime;
    [[659.25, 0], [523.25, 0.35]].forEach(function (tone) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.0001, now + tone[1]);
      gain.gain.exponentialRampToValueAtTime(0.4, now + tone[1] + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + tone[1] + 0.9);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + tone[1]);
      osc.stop(now + tone[1] + 1);
    });
  }

  // say announces "Ticket P 42, counter 3" in the ticket's language.
  function say(e) {
    if (!audio || !("speechSynthesis" in window)) {
      return;
    }
    var lang = voices[e.language] ? e.language : "az";
    var pattern = board.getAttribute("data-say-" + lang) || "%s, %s";
    var spoken = e.number.replace(/^([A-Z])-0*(\d+)$/, "$1 $2");
    var text = pattern.replace("%s", spoken).replace("%s", String(e.counter));
    var u = new SpeechSynthesisUtterance(text);
    u.lang = voices[lang];
    u.rate = 0.9;
    window.setTimeout(function () { window.speechSynthesis.speak(u); }, 1200);
  }

  function call(e) {
    var k = key(e);
    if (seen[k]) {
      return;
    }
    seen[k] = true;
    var tr = row(e);
    tr.className = "fresh";
    list.prepend(tr);
    while (list.children.length > keep) {
      list.lastElementChild.remove();
    }
    chime();
    say(e);
  }

  // Browsers play sound only after a gesture: a member of staff turns it
  // on once when the board is set up (and it goes full screen).
  soundButton.addEventListener("click", function () {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (Ctx && !audio) {
      audio = new Ctx();
    }
    chime();
    soundButton.hidden = true;
    if (document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(function () {});
    }
  });

  var source = new EventSource(board.getAttribute("data-events"));
  source.addEventListener("snapshot", function (ev) {
    show(JSON.parse(ev.data).items || []);
  });
  source.addEventListener("call", function (ev) {
    call(JSON.parse(ev.data));
  });
  source.addEventListener("open", function () {
    status.textContent = status.getAttribute("data-live");
  });
  source.addEventListener("error", function () {
    status.textContent = status.getAttribute("data-offline");
  });
})();
