/* flask_jwtauth's browser helper: the session as a page sees it, kept in step across tabs.
 * getSession(), signIn(provider, options), signOut(options), update(data); a "session"
 * event on every change and an "end" event when a session ends while the page is open
 * (expiry, a sign-out in another tab, revocation). No dependencies; it talks to the
 * blueprint's own JSON endpoints (<prefix>/session, /csrf, /sign-in/<id>, /sign-out).
 * Options come from its script tag's data-* attributes (jwtauth_script_tag() writes them)
 * or from jwtauth.configure({...}). See docs/guides/browser-helper.md. */
(function () {
  "use strict";
  var tag = document.currentScript;
  var data = (tag && tag.dataset) || {};
  var base = data.base || (tag && tag.src ? new URL(tag.src).pathname : "/auth/x")
    .replace(/\/[^/]*$/, "");
  var options = {
    base: base,
    signInUrl: data.signIn || base + "/sign-in",
    onEnd: data.onEnd || "redirect", // "redirect", "event", or a function(detail)
    refetchOnFocus: data.refetchOnFocus !== "false",
    refetchOnOnline: data.refetchOnOnline !== "false",
    refetchInterval: +(data.refetchInterval || 0) // seconds; 0: never
  };
  var api = new EventTarget();
  var session; // undefined: not known yet; null: no session
  var skew = +(data.now || 0) ? +data.now - Date.now() : 0; // server clock minus ours, ms
  var token = null; // the CSRF token, fetched once per session
  var pending = null;
  var expiryTimer = 0;
  var intervalTimer = 0;
  var me = Math.random().toString(36).slice(2);
  var KEY = "jwtauth.message";
  var DAY = 86400000;
  var channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("jwtauth") : null;

  function call(method, path, body, headers) {
    var init = { method: method, credentials: "same-origin", cache: "no-store",
      headers: Object.assign({ Accept: "application/json" }, headers) };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(options.base + path, init).then(function (r) {
      // The Date header is whole seconds behind: the expiry check runs late, never early.
      var date = Date.parse(r.headers.get("Date") || "");
      if (!isNaN(date)) skew = date - Date.now();
      return r.json().catch(function () { return null; }).then(function (json) {
        return { ok: r.ok, status: r.status, json: json };
      });
    });
  }

  function csrf(fresh) {
    if (token && !fresh) return Promise.resolve(token);
    return call("GET", "/csrf").then(function (r) {
      token = (r.json && r.json.csrfToken) || null;
      return token;
    });
  }

  // A POST with the CSRF token; a token gone stale (the session changed) is fetched again once.
  function posting(path, body, retried) {
    return csrf(retried).then(function (t) {
      var sent = Object.assign({ csrfToken: t }, body);
      return call("POST", path, sent, { "X-CSRFToken": t });
    }).then(function (r) {
      if (!retried && r.json && r.json.error === "CSRF") return posting(path, body, true);
      return r;
    });
  }

  function refresh(reason, quiet, fresh) {
    if (pending && !fresh) return pending;
    pending = call("GET", "/session").then(function (r) {
      pending = null;
      if (r.ok) set(r.json, reason, quiet);
      return session; // 503 (store or upstream down): keep what was known
    }, function () {
      pending = null; // offline: keep what was known
      return session;
    });
    return pending;
  }

  function same(a, b) {
    function strip(s) { return s && JSON.stringify(Object.assign({}, s, { expires: 0 })); }
    return strip(a) === strip(b);
  }

  function set(next, reason, quiet) {
    var before = session;
    session = next || null;
    schedule();
    var first = before === undefined || (before && before.partial && session);
    if (!first && !before === !session && same(before, session)) return;
    if (!before || !session) token = null; // a new session has a new CSRF token
    if (!quiet && !first) tell("session");
    emit("session", { session: session, previous: first ? null : before, reason: reason });
    if (before && !session) end(before, reason);
  }

  function emit(type, detail) {
    var a = new CustomEvent(type, { detail: detail, cancelable: true });
    var b = new CustomEvent("jwtauth:" + type, { detail: detail, cancelable: true });
    api.dispatchEvent(a);
    document.dispatchEvent(b);
    return !(a.defaultPrevented || b.defaultPrevented);
  }

  // The session ended while the page was open: tell the page, then do what the app chose.
  function end(previous, reason) {
    if (reason !== "signout" && reason !== "signout-here") {
      var at = Date.parse(previous.expires);
      reason = !isNaN(at) && Date.now() + skew >= at - 1000 ? "expired" : "revoked";
    }
    var detail = { reason: reason, previous: previous };
    if (!emit("end", detail) || reason === "signout-here") return;
    if (typeof options.onEnd === "function") return options.onEnd(detail);
    if (options.onEnd === "redirect") {
      var here = location.pathname + location.search + location.hash;
      var glue = options.signInUrl.indexOf("?") < 0 ? "?" : "&";
      location.assign(options.signInUrl + glue + "callbackUrl=" + encodeURIComponent(here));
    }
  }

  // A check just after the session's end (the browser drops its cookie then).
  function schedule() {
    clearTimeout(expiryTimer);
    var at = session && Date.parse(session.expires);
    if (!at) return;
    var wait = at - (Date.now() + skew) + 250;
    expiryTimer = wait > DAY ? setTimeout(schedule, DAY)
      : setTimeout(function () { refresh("expiry"); }, Math.max(wait, 0));
  }

  // Tabs in step: BroadcastChannel, or a storage event where there is none.
  function tell(type) {
    var message = { type: type, from: me, at: Date.now() };
    if (channel) return channel.postMessage(message);
    try { localStorage.setItem(KEY, JSON.stringify(message)); } catch (e) { /* private mode */ }
  }

  function heard(message) {
    if (!message || message.from === me) return;
    refresh(message.type === "signout" ? "signout" : "message", true);
  }

  if (channel) channel.onmessage = function (e) { heard(e.data); };
  else window.addEventListener("storage", function (e) {
    if (e.key === KEY && e.newValue) try { heard(JSON.parse(e.newValue)); } catch (x) { /* */ }
  });

  function visible() {
    if (options.refetchOnFocus && document.visibilityState === "visible") refresh("focus");
  }
  document.addEventListener("visibilitychange", visible);
  window.addEventListener("focus", visible);
  window.addEventListener("pageshow", function (e) { if (e.persisted) refresh("focus"); });
  window.addEventListener("online", function () {
    if (options.refetchOnOnline) refresh("online");
  });

  function every() {
    clearInterval(intervalTimer);
    if (options.refetchInterval > 0) intervalTimer = setInterval(function () {
      if (navigator.onLine !== false) refresh("interval");
    }, options.refetchInterval * 1000);
  }

  api.configure = function (changes) {
    Object.assign(options, changes);
    every();
    return api;
  };
  api.getSession = function () { return refresh("fetch"); };
  Object.defineProperty(api, "session", { get: function () { return session; } });
  api.onSessionChange = function (callback) {
    function listener(e) { callback(e.detail.session, e.detail); }
    api.addEventListener("session", listener);
    return function () { api.removeEventListener("session", listener); };
  };

  // options: {callbackUrl, redirect: true, ...credentials}. Redirecting: to the answer's URL
  // (an OAuth provider's authorization page, or the callbackUrl once signed in).
  api.signIn = function (provider, opts) {
    opts = Object.assign({}, opts);
    var redirect = opts.redirect !== false;
    var callbackUrl = opts.callbackUrl || location.href;
    if (!provider) {
      location.assign(options.signInUrl + (options.signInUrl.indexOf("?") < 0 ? "?" : "&") +
        "callbackUrl=" + encodeURIComponent(callbackUrl));
      return Promise.resolve({ ok: true, status: 200, error: null, url: options.signInUrl });
    }
    delete opts.redirect;
    var body = Object.assign(opts, { callbackUrl: callbackUrl, json: "true" });
    return posting("/sign-in/" + encodeURIComponent(provider), body).then(function (r) {
      var j = r.json || {};
      var result = { ok: !!j.ok, status: r.status, error: j.error || null, url: j.url || null };
      if (!result.ok) return result;
      if (redirect && j.url) {
        tell("session");
        location.assign(j.url);
        return result;
      }
      tell("session");
      return refresh("signin", true, true).then(function () { return result; });
    });
  };

  // options: {callbackUrl (default: this page), redirect: true}.
  api.signOut = function (opts) {
    opts = opts || {};
    var body = { callbackUrl: opts.callbackUrl || location.href, json: "true" };
    return posting("/sign-out", body).then(function (r) {
      var j = r.json || {};
      if (!r.ok) return { ok: false, status: r.status, error: j.error || null, url: null };
      tell("signout");
      set(null, "signout-here", true);
      if (opts.redirect !== false) location.assign(j.url || body.callbackUrl);
      return { ok: true, status: r.status, error: null, url: j.url || null };
    });
  };

  // The jwt callback runs with trigger "update"; resolves with the new session (null: the
  // callback ended it, or the update was refused).
  api.update = function (changes) {
    return posting("/session", { data: changes === undefined ? {} : changes }).then(function (r) {
      if (!r.ok) return null;
      set(r.json, "update", true);
      tell("session");
      return session;
    });
  };

  window.jwtauth = api;
  every();
  if (data.expires) {
    // A page rendered by Flask already knows: no request until something asks.
    session = { expires: data.expires, partial: true };
    schedule();
  } else {
    refresh("load");
  }
})();
