// The phone simulator: follows the TwiML the hotline's real webhooks return, like `flask simulate
// call` does in the terminal. Every request goes through /simulator/relay, which signs it as Twilio
// would; nothing here decides anything about a call, it only plays the phones.
(function () {
  "use strict";
  var root = document.getElementById("simulator");
  if (!root) { return; }
  var T = JSON.parse(document.getElementById("sim-texts").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var ACCOUNT = "AC" + "0".repeat(32);
  var call = null;

  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, k) { return values[k]; });
  }
  function hex(n) {
    var bytes = new Uint8Array(n / 2);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  function setState(state) { root.setAttribute("data-state", state); }
  function status(text) { $("sim-status").textContent = text; }
  // `language` (optional): {code, dir, label} of a <Say> — its text gets lang and dir, the tag and voice follow.
  function log(who, text, cls, language) {
    var li = document.createElement("li");
    if (cls) { li.className = cls; }
    var b = document.createElement("strong");
    b.textContent = who + ": ";
    li.appendChild(b);
    if (language) {
      var said = document.createElement("bdi");
      said.textContent = text;
      said.setAttribute("lang", language.code);
      said.setAttribute("dir", language.dir);
      li.appendChild(said);
      var tag = document.createElement("span");
      tag.className = "sim-voice-tag muted";
      tag.textContent = " (" + language.label + ")";
      li.appendChild(tag);
    } else {
      li.appendChild(document.createTextNode(text));
    }
    var list = $("sim-log");
    list.appendChild(li);
    list.scrollTop = list.scrollHeight;  // only the log scrolls, never the page
  }

  // --- Talking to the app -------------------------------------------------------------------
  function relay(path, params) {
    return fetch(root.dataset.relayUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf },
      body: JSON.stringify({ path: path, params: params })
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok || data.status !== 200) { throw new Error(data.error || ("HTTP " + (data.status || r.status))); }
        return data;
      });
    });
  }
  function parse(text) {
    var doc = new DOMParser().parseFromString(text, "application/xml");
    return doc.documentElement;
  }
  function children(node, tag) {
    return Array.from(node.children).filter(function (c) { return !tag || c.tagName === tag; });
  }

  // --- One call -----------------------------------------------------------------------------
  // A caller's call to the hotline; or, with `placed` ({sid, to, url}), a call the hotline placed to a
  // coordinator's phone (a call-back): its own CallSid, from the hotline's number, "outbound-api".
  function Call(from, placed) {
    this.sid = placed ? placed.sid : "CA" + hex(32);
    this.from = from;
    this.to = placed ? placed.to : root.dataset.hotline;
    this.direction = placed ? "outbound-api" : "inbound";
    this.statusUrl = placed ? placed.url.replace(/\/$/, "") + "/status" : "/voice/status";
    this.ended = false;
    this.cancels = [];
  }
  Call.prototype.params = function () {
    return { CallSid: this.sid, From: this.from, To: this.to, Direction: this.direction,
             CallStatus: "in-progress", AccountSid: ACCOUNT };
  };
  Call.prototype.post = function (url, extra, leg) {
    var params = Object.assign({}, leg || this.params(), extra || {});
    if (!leg) { this.lastUrl = url; }
    return relay(url, params).then(function (data) { return parse(data.body); });
  };
  // Register what to stop when the caller hangs up; returns a function that unregisters it.
  Call.prototype.onCancel = function (fn) {
    var self = this;
    self.cancels.push(fn);
    return function () { self.cancels = self.cancels.filter(function (f) { return f !== fn; }); };
  };
  Call.prototype.hangup = function () {
    if (this.ended) { return; }
    this.ended = true;
    this.cancels.slice().forEach(function (fn) { fn(); });
    this.cancels = [];
  };

  // --- Speaking -----------------------------------------------------------------------------
  function voiceFor(lang) {
    if (!window.speechSynthesis) { return null; }
    var want = (lang || "de-DE").toLowerCase().replace("_", "-");
    var voices = window.speechSynthesis.getVoices();
    var norm = function (v) { return v.lang.toLowerCase().replace("_", "-"); };
    return voices.find(function (v) { return norm(v) === want; }) ||
           voices.find(function (v) { return norm(v).split("-")[0] === want.split("-")[0]; }) || null;
  }

  // The caller languages by <Say> language tag (settings VOICE_xx, LANGUAGE_xx): {code, dir, voice}.
  var voices = JSON.parse(root.dataset.voices || "{}");
  // Return how a <Say> is spoken: its language's code and direction, and "tag · voice" to show.
  function languageOf(node) {
    if (node.tagName !== "Say") { return null; }
    var tag = node.getAttribute("language") || "de-DE";
    var known = voices[tag];
    var code = known ? known.code : tag.split("-")[0].toLowerCase();
    var voice = node.getAttribute("voice") || (known ? known.voice : "");
    return { code: code, dir: known ? known.dir : "auto", tag: tag, label: voice ? tag + " · " + voice : tag };
  }

  // Show a <Say>/<Play> and speak it; resolves when done or when `skip` (a key, a hang-up) is called.
  function speak(node, target, who) {
    var text = node.tagName === "Play" ? T.recording + " " + node.textContent.trim() : node.textContent.trim();
    var language = languageOf(node);
    // The browser's speech wants a BCP 47 tag: Twilio's "arb" (Modern Standard Arabic) is spoken as "ar".
    var lang = language ? (language.tag.indexOf("-") > 0 ? language.tag : language.code) : "";
    target.textContent = text;
    if (language) {
      target.setAttribute("lang", language.code);
      target.setAttribute("dir", language.dir);
    } else {
      target.removeAttribute("lang");
      target.removeAttribute("dir");
    }
    if (target.id === "sim-prompt") { $("sim-prompt-voice").textContent = language ? language.label : ""; }
    log(who, text, "sim-said", language);
    return new Promise(function (resolve) {
      var done = false, timer = null, unregister = function () {};
      var finish = function () {
        if (done) { return; }
        done = true;
        clearTimeout(timer);
        unregister();
        speak.skip = null;
        resolve();
      };
      speak.skip = function () {
        if (window.speechSynthesis) { window.speechSynthesis.cancel(); }
        finish();
      };
      unregister = call ? call.onCancel(speak.skip) : unregister;
      var voice = node.tagName === "Say" && $("sim-voice").checked ? voiceFor(lang) : null;
      if (voice) {
        var u = new SpeechSynthesisUtterance(text);
        u.lang = lang;
        u.voice = voice;
        u.onend = finish;
        u.onerror = finish;
        timer = setTimeout(finish, 4000 + text.length * 120);  // a stuck synthesiser must not hang the call
        window.speechSynthesis.speak(u);
      } else {
        // No voice: leave a moment to read; any key or "Stille" cuts it short.
        timer = setTimeout(finish, Math.min(600 + text.length * 25, 6000));
      }
    });
  }
  speak.skip = null;

  // --- The verbs ----------------------------------------------------------------------------
  function follow(doc) {
    var verbs = children(doc);
    var i = 0;
    var next = function () {
      if (call.ended || i >= verbs.length) { return Promise.resolve(null); }  // end of document: hang up
      var verb = verbs[i++];
      switch (verb.tagName) {
        case "Say":
        case "Play":
          setState("speaking");
          status(T.speaking);
          return speak(verb, $("sim-prompt"), T.hotline).then(next);
        case "Pause":
          return sleep(1000 * parseInt(verb.getAttribute("length") || "1", 10)).then(next);
        case "Gather":
          return gather(verb).then(function (result) { return result === undefined ? next() : result; });
        case "Redirect":
          return call.post(verb.textContent.trim());
        case "Dial":
          return dial(verb);
        case "Record":
          return record(verb).then(function (result) { return result === undefined ? next() : result; });
        case "Hangup":
        case "Reject":
          return Promise.resolve(null);
        default:
          return next();
      }
    };
    return next();
  }

  var gathering = null;  // {key(k), silence()} while the hotline listens for the caller's keys

  function gather(verb) {
    var numDigits = parseInt(verb.getAttribute("numDigits") || "0", 10);
    var finishOnKey = verb.hasAttribute("finishOnKey") ? verb.getAttribute("finishOnKey") : "#";
    var timeout = parseInt(verb.getAttribute("timeout") || "5", 10);
    var onEmpty = verb.getAttribute("actionOnEmptyResult") === "true";
    var action = verb.getAttribute("action") || call.lastUrl;
    var digits = "", timer = null, barged = false, settle;
    var result = new Promise(function (r) { settle = r; });
    var state = {
      key: function (k) {
        barged = true;
        if (speak.skip) { speak.skip(); }
        if (finishOnKey && k === finishOnKey) { return done(); }
        digits += k;
        $("sim-digits").textContent = digits;
        if (numDigits && digits.length >= numDigits) { return done(); }
        arm();
      },
      silence: function () { if (speak.skip) { speak.skip(); } done(); }
    };
    function arm() { clearTimeout(timer); timer = setTimeout(done, timeout * 1000); }
    function done() {
      if (gathering !== state) { return; }
      gathering = null;
      clearTimeout(timer);
      unregister();
      setState("busy");
      $("sim-digits").textContent = "";
      settle(digits);
    }
    var unregister = call.onCancel(function () { done(); });
    gathering = state;
    $("sim-digits").textContent = "";
    setState("gather");
    status(T.listening);
    var prompts = children(verb).filter(function (c) { return c.tagName === "Say" || c.tagName === "Play"; });
    var chain = Promise.resolve();
    prompts.forEach(function (p) {
      chain = chain.then(function () { return barged || gathering !== state ? null : speak(p, $("sim-prompt"), T.hotline); });
    });
    chain.then(function () { if (gathering === state && !barged) { arm(); } });
    return result.then(function (keys) {
      if (call.ended) { return null; }
      log(T.you, keys ? keys : T.silence, "sim-pressed");
      if (!keys && !onEmpty) { return undefined; }
      status(T.dialing);
      return call.post(action, keys ? { Digits: keys } : {});
    });
  }

  function record(verb) {
    var box = $("sim-record");
    box.hidden = false;
    setState("record");
    status(T.record);
    $("sim-record-text").value = "";
    return new Promise(function (resolve) {
      var finish = function (text) {
        if (gathering !== state) { return; }
        gathering = null;
        unregister();
        box.hidden = true;
        resolve(text);
      };
      var state = {
        key: function (k) { if (k === (verb.getAttribute("finishOnKey") || "#")) { finish($("sim-record-text").value.trim()); } },
        silence: function () { finish(""); },
        done: function () { finish($("sim-record-text").value.trim()); }
      };
      var unregister = call.onCancel(function () { finish(null); });
      gathering = state;
      $("sim-record-text").focus();
    }).then(function (text) {
      setState("busy");
      if (text === null || call.ended) { return null; }
      if (!text) { log(T.you, T.silence, "sim-pressed"); return undefined; }  // no audio: Twilio goes on
      log(T.you, text, "sim-pressed");
      var rec = { RecordingSid: "RE" + hex(32), RecordingDuration: String(Math.floor(text.length / 5) + 1),
                  RecordingUrl: "https://api.twilio.com/simulated-recording" };
      var callback = verb.getAttribute("recordingStatusCallback") || "/voice/recording";
      return call.post(callback, Object.assign({ RecordingStatus: "completed" }, rec))
        .then(function () { log(T.hotline, T.record_sent); return call.post(verb.getAttribute("action") || call.lastUrl, rec); });
    });
  }

  // --- The coordinators' phones -------------------------------------------------------------
  function coordStatus(text) { $("sim-coord-status").textContent = text; }
  // Coordinators by phone (refreshed with the messages): a ringing phone shows its name, the number second.
  var coordinators = JSON.parse(root.dataset.coordinators || "{}");
  function who(number) { return coordinators[number] ? coordinators[number] + " (" + number + ")" : number; }

  // Ring the numbers until someone (or a mailbox) answers, nobody does, or the ring timeout ends.
  function ring(numbers, seconds) {
    setState("ringing");
    var box = $("sim-ring");
    box.textContent = "";
    var ringing = T.ringing + " " + numbers.map(function (n) { return who(n.textContent.trim()); }).join(", ");
    coordStatus(ringing);
    status(ringing);
    log(T.hotline, ringing, "sim-ringing");
    return new Promise(function (resolve) {
      var left = seconds, ticker = null, unregister = function () {};
      var finish = function (choice) {
        setState("busy");
        clearInterval(ticker);
        unregister();
        box.textContent = "";
        $("sim-ring-left").textContent = "";
        resolve(choice);
      };
      numbers.forEach(function (number) {
        var n = number.textContent.trim();
        var take = document.createElement("button");
        take.type = "button";
        take.textContent = T.answer + ": " + who(n);
        take.setAttribute("data-answer", n);
        take.addEventListener("click", function () { finish({ number: number, mailbox: false }); });
        var mailbox = document.createElement("button");
        mailbox.type = "button";
        mailbox.className = "secondary";
        mailbox.textContent = T.mailbox + ": " + who(n);
        mailbox.addEventListener("click", function () { finish({ number: number, mailbox: true }); });
        box.appendChild(take);
        box.appendChild(mailbox);
      });
      var nobody = document.createElement("button");
      nobody.type = "button";
      nobody.className = "secondary";
      nobody.id = "sim-nobody";
      nobody.textContent = T.nobody;
      nobody.addEventListener("click", function () { finish(null); });
      box.appendChild(nobody);
      var show = function () { $("sim-ring-left").textContent = fmt(T.ring_left, { s: left }); };
      show();
      ticker = setInterval(function () { left -= 1; show(); if (left <= 0) { finish(null); } }, 1000);
      unregister = call.onCancel(function () { finish(null); });
    });
  }

  // The coordinator hears the screening summary; resolves with the key she pressed ("" = none).
  function screen(gatherNode) {
    setState("screening");
    var keys = $("sim-screen-keys");
    var prompts = gatherNode ? children(gatherNode) : [];
    var timeout = parseInt((gatherNode && gatherNode.getAttribute("timeout")) || "5", 10);
    return new Promise(function (resolve) {
      var timer = null, unregister = function () {}, answered = false;
      var finish = function (key) {
        if (answered) { return; }
        answered = true;
        clearTimeout(timer);
        unregister();
        if (speak.skip) { speak.skip(); }
        keys.hidden = true;
        keys.querySelectorAll("button").forEach(function (b) { b.onclick = null; });
        resolve(key);
      };
      keys.hidden = false;
      keys.querySelectorAll("button").forEach(function (b) {
        b.onclick = function () { finish(b.getAttribute("data-screen")); };
      });
      unregister = call.onCancel(function () { finish(""); });
      var chain = Promise.resolve();
      prompts.forEach(function (p) {
        chain = chain.then(function () { return answered ? null : speak(p, $("sim-summary"), T.screening); });
      });
      chain.then(function () { if (!answered) { timer = setTimeout(function () { finish(""); }, timeout * 1000); } });
    });
  }

  function talk() {
    setState("talking");
    var end = $("sim-end-talk");
    end.hidden = false;
    return new Promise(function (resolve) {
      var unregister = function () {};
      var finish = function () { end.hidden = true; end.onclick = null; unregister(); resolve(); };
      end.onclick = finish;
      unregister = call.onCancel(finish);
    });
  }

  function dial(verb) {
    var numbers = children(verb, "Number");
    var action = verb.getAttribute("action") || call.lastUrl;
    var seconds = parseInt(verb.getAttribute("timeout") || "30", 10);
    if (!numbers.length) { return call.post(action, { DialCallStatus: "failed", DialBridged: "false" }); }
    return ring(numbers, seconds).then(function (choice) {
      if (call.ended) { return null; }
      if (!choice) {
        log(T.hotline, T.nobody_log);
        coordStatus(T.nobody_log);
        return call.post(action, { DialCallStatus: "no-answer", DialBridged: "false" });
      }
      var number = choice.number;
      var to = number.textContent.trim();
      var legSid = "CA" + hex(32);
      var leg = { CallSid: legSid, ParentCallSid: call.sid, From: verb.getAttribute("callerId") || call.from, To: to,
                  Direction: "outbound-api", CallStatus: "in-progress", AccountSid: ACCOUNT };
      coordStatus(choice.mailbox ? T.mailbox_log : fmt(T.answered, { n: to }));
      log(T.hotline, choice.mailbox ? T.mailbox_log : fmt(T.answered, { n: to }));
      var bridged = false;
      // A family's leg (a call-back) has answering machine detection: Twilio asks its url with
      // AnsweredBy, and empty TwiML connects her. A coordinator's leg hears the screening instead.
      var family = number.hasAttribute("machineDetection");
      var answered = family
        ? call.post(number.getAttribute("url"), { AnsweredBy: choice.mailbox ? "machine_start" : "human" }, leg)
        : call.post(number.getAttribute("url"), {}, leg).then(function (screening) {
          var g = children(screening, "Gather")[0];
          var asked = choice.mailbox ? speakAll(g) .then(function () { return ""; }) : screen(g);
          return asked.then(function (key) {
            if (key) { log(to, key, "sim-pressed"); }
            return call.post(g ? g.getAttribute("action") : number.getAttribute("url"), key ? { Digits: key } : {}, leg);
          });
        });
      return answered.then(function (answer) {
        bridged = children(answer).length === 0;
        if (bridged) {
          var connected = family ? T.connected_family : T.connected;
          coordStatus(connected);
          status(connected);
          log(T.hotline, connected, "sim-ok");
          return talk();
        }
        coordStatus(T.not_taken);
        log(T.hotline, T.not_taken);
        var says = children(answer).filter(function (c) { return c.tagName === "Say"; });
        if (says.length) { $("sim-summary").textContent = says[0].textContent.trim(); }
        return null;
      }).then(function () {
        // The leg ends: its status callback, then the <Dial> action — also after the caller hung up.
        var callback = number.getAttribute("statusCallback") || (family ? null : "/voice/leg-status");
        return callback ? call.post(callback, { CallStatus: "completed" }, leg) : null;
      }).then(function () {
        return call.post(action, { DialCallStatus: "completed", DialBridged: bridged ? "true" : "false",
                                   DialCallSid: legSid });
      });
    });
  }

  // The mailbox "hears" the screening without pressing anything.
  function speakAll(gatherNode) {
    setState("speaking");
    var chain = Promise.resolve();
    (gatherNode ? children(gatherNode) : []).forEach(function (p) {
      chain = chain.then(function () { return speak(p, $("sim-summary"), T.screening); });
    });
    return chain;
  }

  // --- Running a call -----------------------------------------------------------------------
  function loop(doc) {
    if (!doc || call.ended) { return Promise.resolve(); }
    return follow(doc).then(loop);
  }

  function startCall(from, placed) {
    call = new Call(from, placed);
    var current = call;
    $("sim-log").textContent = "";
    $("sim-summary").textContent = "";
    $("sim-prompt").textContent = "";
    $("sim-prompt-voice").textContent = "";
    $("sim-call").disabled = true;
    $("sim-hangup").disabled = false;
    setState("busy");
    status(placed ? T.callback_ringing : T.dialing);
    log(placed ? who(placed.to) : T.you, placed ? T.callback_ringing : T.dialing);
    var first = placed ? call.post(placed.url, { AnsweredBy: "human" }) : call.post("/voice/incoming");
    first.then(loop).catch(function (err) {
      log(T.hotline, fmt(T.error, { e: err.message }), "sim-error");
    }).then(function () {
      var wasHungUp = current.ended;
      current.hangup();
      if (speak.skip) { speak.skip(); }
      return current.post(current.statusUrl, { CallStatus: "completed" }).catch(function () {}).then(function () {
        return wasHungUp;
      });
    }).then(function () {
      status(T.ended);
      coordStatus(T.no_coordinator);
      log(T.hotline, T.ended, "sim-ended");
      $("sim-call").disabled = false;
      $("sim-hangup").disabled = true;
      $("sim-record").hidden = true;
      $("sim-screen-keys").hidden = true;
      $("sim-end-talk").hidden = true;
      $("sim-ring").textContent = "";
      setState("ended");
      refreshMessages();
    });
  }

  $("sim-call-form").addEventListener("submit", function (e) {
    e.preventDefault();
    if (call && !call.ended) { return; }
    startCall($("sim-from").value.trim());
  });
  $("sim-hangup").addEventListener("click", function () { if (call) { call.hangup(); } });
  document.querySelectorAll(".sim-key").forEach(function (b) {
    b.addEventListener("click", function () { pressKey(b.getAttribute("data-key")); });
  });
  function pressKey(k) {
    if (gathering) { gathering.key(k); } else if (call && !call.ended) { log(T.you, fmt(T.ignored, { k: k })); }
  }
  $("sim-silence").addEventListener("click", function () {
    if (gathering) { gathering.silence(); } else if (speak.skip) { speak.skip(); }
  });
  $("sim-record-done").addEventListener("click", function () { if (gathering && gathering.done) { gathering.done(); } });
  document.addEventListener("keydown", function (e) {
    // Typing digits on the keyboard presses the keypad, unless the focus is in a text field.
    var t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.isContentEditable)) { return; }
    if (/^[0-9*#]$/.test(e.key) && gathering && gathering.key) { e.preventDefault(); pressKey(e.key); }
  });

  // --- The SMS phones -----------------------------------------------------------------------
  var lastMessages = null;

  function sendSms(from, body) {
    return relay("/sms/incoming", { MessageSid: "SM" + hex(32), AccountSid: ACCOUNT, From: from,
                                    To: root.dataset.hotline, Body: body, NumMedia: "0" })
      .then(refreshMessages);
  }

  $("sim-sms-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var body = $("sim-sms-body");
    sendSms($("sim-sms-from").value.trim(), body.value.trim()).then(function () { body.value = ""; });
  });

  function phoneCard(phone) {
    var id = "sim-phone-" + phone.number.replace(/\W/g, "");
    var card = document.getElementById(id);
    if (card) { return card; }
    card = document.createElement("article");
    card.id = id;
    card.className = "sim-phone-card";
    card.setAttribute("data-number", phone.number);
    var h = document.createElement("h3");
    card.appendChild(h);
    var quick = document.createElement("div");
    quick.className = "sim-quick";
    card.appendChild(quick);
    var form = document.createElement("form");
    form.className = "sim-row sim-reply";
    var field = document.createElement("div");
    field.className = "sim-field sim-grow";
    var label = document.createElement("label");
    label.setAttribute("for", id + "-body");
    label.textContent = T.reply + " " + phone.number;
    var input = document.createElement("input");
    input.id = id + "-body";
    input.autocomplete = "off";
    input.required = true;
    field.appendChild(label);
    field.appendChild(input);
    var send = document.createElement("button");
    send.type = "submit";
    send.textContent = T.send;
    form.appendChild(field);
    form.appendChild(send);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      sendSms(phone.number, input.value.trim()).then(function () { input.value = ""; });
    });
    card.appendChild(form);
    var list = document.createElement("ol");
    list.className = "sim-messages";
    list.tabIndex = 0;  // it scrolls when long: keyboard users must reach it
    list.setAttribute("aria-label", T.messages_of + " " + phone.number);
    card.appendChild(list);
    return card;
  }

  function renderPhones(phones) {
    var box = $("sim-phones");
    if (!phones.length) { return; }
    var empty = box.querySelector("p.muted");
    if (empty) { empty.remove(); }
    var datalist = $("sim-numbers");
    datalist.textContent = "";
    phones.forEach(function (phone, index) {
      var card = phoneCard(phone);
      card.querySelector("h3").textContent = phone.number + (phone.label ? " · " + phone.label : "");
      var list = card.querySelector(".sim-messages");
      list.textContent = "";
      phone.messages.forEach(function (m) {
        var li = document.createElement("li");
        li.className = "sim-msg " + (m.direction === "in" ? "sim-msg-in" : "sim-msg-out") + " sim-" + m.status;
        li.setAttribute("data-status", m.status);
        var meta = document.createElement("span");
        meta.className = "sim-meta";
        meta.textContent = (m.channel === "call" ? T.call : (m.direction === "in" ? T.from_hotline : T.to_hotline)) +
          " · " + m.at + " · " + m.status_label;
        var body = document.createElement("span");
        body.className = "sim-body";
        body.textContent = m.body;
        li.appendChild(meta);
        li.appendChild(body);
        list.appendChild(li);
      });
      var quick = card.querySelector(".sim-quick");
      quick.textContent = "";
      var placed = phone.messages.find(function (m) { return m.callback; });
      if (placed) {  // the hotline calls this coordinator's phone: a call-back to answer
        var take = document.createElement("button");
        take.type = "button";
        take.setAttribute("data-callback", placed.callback.sid);
        take.textContent = T.take_callback;
        take.disabled = !!(call && !call.ended);
        take.addEventListener("click", function () {
          if (call && !call.ended) { return; }
          startCall(root.dataset.hotline, { sid: placed.callback.sid, to: phone.number, url: placed.callback.url });
        });
        quick.appendChild(take);
      }
      var offer = phone.messages.find(function (m) { return m.code; });
      if (offer) {
        var yes = document.createElement("button");
        yes.type = "button";
        yes.className = "secondary";
        yes.setAttribute("data-reply", "JA " + offer.code);
        yes.textContent = fmt(T.accept, { code: offer.code });
        yes.addEventListener("click", function () { sendSms(phone.number, "JA " + offer.code); });
        quick.appendChild(yes);
      }
      if (box.children[index] !== card) { box.insertBefore(card, box.children[index] || null); }
      var option = document.createElement("option");
      option.value = phone.number;
      option.label = phone.label;
      datalist.appendChild(option);
    });
  }

  function refreshMessages() {
    return fetch(root.dataset.messagesUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (text) {
        if (text === null || text === lastMessages) { return; }
        lastMessages = text;
        var data = JSON.parse(text);
        coordinators = data.coordinators || coordinators;
        renderPhones(data.phones);
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }

  // --- Several callers at once (a strike morning) ---------------------------------------------
  // Each further caller walks the menu by herself (EXTRA_KEYS), then stays on the line: in the
  // queue she hears her place on every turn; a ringing coordinator is played with her row's buttons.
  var EXTRA_KEYS = ["1", "1", "1", "3#", "30159", "2", "1"];
  var extras = 0;

  function addExtra() {
    extras += 1;
    var from = "+49151" + String(20000000 + extras * 1111 + Math.floor(Math.random() * 1000));
    var c = new Call(from);
    var row = document.createElement("li");
    row.setAttribute("data-extra", String(extras));
    var name = document.createElement("strong");
    name.textContent = fmt(T.extra_caller, { n: extras }) + " (" + from + "): ";
    var state = document.createElement("span");
    state.className = "sim-extra-state";
    var buttons = document.createElement("span");
    buttons.className = "sim-buttons";
    var hang = document.createElement("button");
    hang.type = "button";
    hang.className = "danger";
    hang.textContent = T.hang_up;
    row.appendChild(name);
    row.appendChild(state);
    row.appendChild(buttons);
    row.appendChild(hang);
    $("sim-extras").appendChild(row);
    var show = function (text) { state.textContent = text; };
    var keys = EXTRA_KEYS.slice();
    var choose = function (labels) {  // offer buttons; resolves with the index chosen (-1: nobody)
      buttons.textContent = "";
      return new Promise(function (resolve) {
        var unregister = c.onCancel(function () { buttons.textContent = ""; resolve(-1); });
        labels.forEach(function (label, i) {
          var b = document.createElement("button");
          b.type = "button";
          if (i === labels.length - 1 && labels.length > 1) { b.className = "secondary"; }
          b.textContent = label;
          b.addEventListener("click", function () { buttons.textContent = ""; unregister(); resolve(i); });
          buttons.appendChild(b);
        });
      });
    };
    var ringExtra = function (dialNode) {
      var numbers = children(dialNode, "Number");
      var action = dialNode.getAttribute("action");
      show(T.ringing + " " + numbers.map(function (n) { return who(n.textContent.trim()); }).join(", "));
      var labels = numbers.map(function (n) { return T.answer + ": " + who(n.textContent.trim()); }).concat([T.nobody]);
      return choose(labels).then(function (i) {
        if (c.ended) { return null; }
        if (i < 0 || i >= numbers.length) { return c.post(action, { DialCallStatus: "no-answer", DialBridged: "false" }); }
        var number = numbers[i];
        var legSid = "CA" + hex(32);
        var leg = { CallSid: legSid, ParentCallSid: c.sid, From: c.from, To: number.textContent.trim(),
                    Direction: "outbound-api", CallStatus: "in-progress", AccountSid: ACCOUNT };
        return c.post(number.getAttribute("url"), {}, leg).then(function (screening) {
          var g = children(screening, "Gather")[0];
          return c.post(g ? g.getAttribute("action") : number.getAttribute("url"), { Digits: "1" }, leg);
        }).then(function () {
          show(T.connected);
          return choose([T.end_talk]);
        }).then(function () {
          return c.post(number.getAttribute("statusCallback") || "/voice/leg-status", { CallStatus: "completed" }, leg);
        }).then(function () {
          return c.post(action, { DialCallStatus: "completed", DialBridged: "true", DialCallSid: legSid });
        });
      });
    };
    var step = function (doc) {
      if (!doc || c.ended) { return null; }
      var verbs = children(doc);
      for (var i = 0; i < verbs.length; i++) {
        var v = verbs[i];
        if (v.tagName === "Say") { show(v.textContent.trim()); }
        if (v.tagName === "Gather") {
          var says = children(v, "Say").map(function (said) { return said.textContent.trim(); });
          if (says.length) { show(says.join(" ")); }
          var k = keys.length ? keys.shift() : "";
          var action = v.getAttribute("action");
          return sleep(k ? 200 : 1500).then(function () { return c.ended ? null : c.post(action, k ? { Digits: k.replace("#", "") } : {}); }).then(step);
        }
        if (v.tagName === "Redirect") {
          var url = v.textContent.trim();
          return sleep(1000).then(function () { return c.ended ? null : c.post(url); }).then(step);
        }
        if (v.tagName === "Dial") { return ringExtra(v).then(step); }
        if (v.tagName === "Record" || v.tagName === "Hangup" || v.tagName === "Reject") { return null; }
      }
      return null;
    };
    var end = function () {
      if (row.getAttribute("data-state") === "ended") { return; }
      var was = c.ended;
      c.hangup();
      row.setAttribute("data-state", "ended");
      buttons.textContent = "";
      hang.disabled = true;
      show(T.ended);
      return was ? null : c.post("/voice/status", { CallStatus: "completed" }).catch(function () {});
    };
    hang.addEventListener("click", function () { c.post("/voice/status", { CallStatus: "completed" }).catch(function () {}); c.hangup(); end(); });
    row.setAttribute("data-state", "calling");
    c.post("/voice/incoming").then(step).then(end, function (e) { show(fmt(T.error, { e: e.message })); end(); });
  }
  $("sim-extra-add").addEventListener("click", addExtra);

  (function poll() { refreshMessages().finally(function () { setTimeout(poll, 2000); }); })();
  if (window.speechSynthesis) { window.speechSynthesis.getVoices(); }  // starts loading the voice list
})();
