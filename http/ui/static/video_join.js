// dost video: joining a video queue (the portal's /my/video and a Smart
// DOST point's kiosk) and the interpreters' list of requests. The join
// form sends {centre, service, language} to POST /api/v1/video/tickets and
// opens the visit page with the ticket's token; the list follows
// GET /api/v1/video/interpretations?status=waiting and accepting a request
// opens its call. Texts come from the JSON of #video-msgs; no inline
// script (Content-Security-Policy).
(function () {
  "use strict";
  var msgs = {};
  var el = document.getElementById("video-msgs");
  try {
    msgs = el ? JSON.parse(el.textContent || "{}") : {};
  } catch (e) {
    msgs = {};
  }
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
  var status = document.getElementById("video-join-status");
  function say(text, bad) {
    if (status) {
      status.textContent = text;
      status.className = bad ? "alert" : "";
    }
  }

  // json sends a request and resolves to the JSON body; a failure rejects
  // with {status, body} (the body: an RFC 9457 problem).
  function json(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: body ? { "Content-Type": "application/json", Accept: "application/json" } : { Accept: "application/json" },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (res) {
      return res.json().catch(function () {
        return {};
      }).then(function (b) {
        if (!res.ok) {
          throw { status: res.status, body: b };
        }
        return b;
      });
    });
  }

  var form = document.getElementById("video-join-form");
  if (form && form.querySelector('input[name="service"]')) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var choice = form.querySelector('input[name="service"]:checked');
      var button = document.getElementById("video-join-submit");
      if (!choice) {
        return;
      }
      button.disabled = true;
      say(t("video.join.working"));
      var lang = document.getElementById("video-join-language").value;
      json("POST", form.getAttribute("data-api"), { centre: choice.getAttribute("data-centre"), service: choice.value, language: lang })
        .then(function (b) {
          var tk = b.ticket && typeof b.ticket === "object" ? b.ticket : b;
          var id = tk.id !== undefined ? tk.id : b.ticket;
          var token = b.token || tk.token;
          location.assign("/video/tickets/" + encodeURIComponent(id) + "?token=" + encodeURIComponent(token) +
            "&lang=" + encodeURIComponent(form.getAttribute("data-lang") || lang));
        })
        .catch(function (err) {
          button.disabled = false;
          say(err && err.status === 429 ? t("video.join.error.rate_limited") : t("video.join.error"), true);
        });
    });
  }

  var list = document.getElementById("video-requests");
  if (list) {
    var none = document.getElementById("video-requests-none");
    var busy = false;
    var render = function (items) {
      list.replaceChildren();
      items.forEach(function (it) {
        var ticket = it.ticket_id !== undefined ? it.ticket_id : (it.ticket && typeof it.ticket === "object" ? it.ticket.id : it.ticket);
        var li = document.createElement("li");
        li.className = "card video-request";
        li.id = "video-request-" + it.id;
        var p = document.createElement("p");
        p.textContent = t("video.interpretations.ticket", it.number || (it.ticket && it.ticket.number) || ticket) + " · " +
          t("video.interpretations.language", it.language || "");
        var b = document.createElement("button");
        b.type = "button";
        b.id = "video-accept-" + it.id;
        b.textContent = t("video.interpretations.accept");
        b.addEventListener("click", function () {
          b.disabled = true;
          json("POST", "/api/v1/video/interpretations/" + encodeURIComponent(it.id) + "/accept").then(function (r) {
            var tk = r.ticket_id !== undefined ? r.ticket_id : (r.ticket && typeof r.ticket === "object" ? r.ticket.id : r.ticket);
            location.assign("/video/calls/" + encodeURIComponent(tk !== undefined ? tk : ticket));
          }).catch(function () {
            b.disabled = false;
            say(t("video.interpretations.error"), true);
            refresh();
          });
        });
        li.append(p, b);
        list.append(li);
      });
      none.hidden = items.length > 0;
    };
    var refresh = function () {
      if (busy) {
        return;
      }
      busy = true;
      json("GET", list.getAttribute("data-api")).then(function (b) {
        render(Array.isArray(b) ? b : (b.items || b.interpretations || []));
      }).catch(function () {
        say(t("video.interpretations.error"), true);
      }).finally(function () {
        busy = false;
      });
    };
    refresh();
    setInterval(refresh, 3000);
  }
}());
