// mockserver dashboard: plain JS, no build step, nothing from a CDN.
//
// Every panel is the control plane (/__mock/, control-plane.yaml) called with fetch(), as
// any client calls it: the bearer token (which, with --isolation token, picks the sandbox)
// and the admin token go in headers, never in a URL. Data from the server is only ever put
// in the page as text (textContent), never as HTML: the journal holds whatever any client
// sent. The journal is polled, which survives a server restart and any proxy in between.
"use strict";

(() => {
  const POLL_MS = 1000;
  const SLOW_EVERY = 5; // the other panels, which change only when someone acts, every 5 polls
  const JOURNAL_ROWS = 100; // the newest, each poll: bodies are up to 4 KiB each, so no more
  const DEFAULT_BEARER = "dashboard"; // any token does unless the server has --token
  const KEYS = { bearer: "mockserver.bearer", admin: "mockserver.admin" };

  const $ = (id) => document.getElementById(id);

  class AuthError extends Error {}

  // -- calling the control plane

  function tokens() {
    return {
      bearer: sessionStorage.getItem(KEYS.bearer) || "",
      admin: sessionStorage.getItem(KEYS.admin) || "",
    };
  }

  async function api(method, path, body) {
    const { bearer, admin } = tokens();
    const headers = { Authorization: `Bearer ${bearer || DEFAULT_BEARER}`, Accept: "application/json" };
    if (admin) headers["X-Mock-Admin"] = admin;
    const init = { method, headers, cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let answer;
    try {
      answer = await fetch(path, init);
    } catch (e) {
      alertBanner(`The server did not answer (${e.message}). Is it still running?`);
      throw new Error("no answer from the server");
    }
    const data = await readBody(answer);
    if (answer.status === 401) {
      throw new AuthError(alertBanner(
        `The server refused the bearer token (401): ${messageOf(data)} ` +
        "Enter the token the server was started with (serve --token) as the Bearer token above."));
    }
    if (answer.status === 403) {
      throw new AuthError(alertBanner(
        `The control plane needs the admin token (403): ${messageOf(data)} ` +
        "Enter it as the Admin token above."));
    }
    alertBanner("");
    if (!answer.ok) throw new Error(`${answer.status}: ${messageOf(data)}`);
    return data;
  }

  async function readBody(answer) {
    const text = await answer.text();
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch {
      return { message: text.slice(0, 300) };
    }
  }

  function messageOf(data) {
    if (!data || typeof data !== "object") return "";
    const fields = Object.entries(data.errors || {}).map(([name, problems]) => `${name}: ${[].concat(problems).join("; ")}`);
    return [data.message || ""].concat(fields).join(" ");
  }

  // -- showing things (always as text)

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (name === "className") node.className = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value);
    }
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? "")));
    return node;
  }

  function alertBanner(text) {
    const banner = $("auth-message");
    banner.textContent = text;
    banner.hidden = !text;
    return text;
  }

  function say(id, text, isError) {
    const line = $(id);
    line.textContent = text;
    line.classList.toggle("error", Boolean(isError));
  }

  function clearError(id) {
    if ($(id).classList.contains("error")) say(id, "");
  }

  // Runs an action from a button or form, its outcome on the panel's status line.
  async function act(statusId, action) {
    try {
      say(statusId, "…");
      say(statusId, (await action()) || "Done.");
    } catch (e) {
      say(statusId, e.message, true);
    }
  }

  // A refresh: quiet when it works, its error on the panel's status line when not.
  async function refresh(statusId, load) {
    try {
      await load();
      clearError(statusId);
    } catch (e) {
      say(statusId, e.message, true);
    }
  }

  function fillRows(tbody, rows) {
    tbody.replaceChildren(...rows);
  }

  function showDetail(pre, value, row) {
    const same = !pre.hidden && row.classList.contains("selected");
    for (const other of row.parentNode.querySelectorAll("tr.selected")) other.classList.remove("selected");
    pre.hidden = same;
    if (!same) {
      row.classList.add("selected");
      pre.textContent = JSON.stringify(value, null, 2);
    }
  }

  // -- server and sandboxes (GET /, which needs no token)

  async function loadServer() {
    const answer = await fetch("/", { headers: { Accept: "application/json" }, cache: "no-store" });
    if (!answer.ok) throw new Error(`GET /: ${answer.status}`);
    const about = await answer.json();
    const sandboxes = about.sandboxes || {};
    snapshotQuota = (sandboxes.quota || {}).snapshots ?? null;
    const facts = [["isolation", sandboxes.isolation]];
    if (sandboxes.isolation === "token") {
      const bearer = tokens().bearer;
      facts.push(["you see", bearer ? "the sandbox of the bearer token above" :
        `the sandbox of the token "${DEFAULT_BEARER}" (none entered above)`]);
      facts.push(["sandboxes", `${sandboxes.sandboxes} of at most ${sandboxes.max_sandboxes}`]);
      facts.push(["idle ones expire after", duration(sandboxes.idle_expiry_seconds)]);
      const quota = sandboxes.quota || {};
      facts.push(["quota: store", bytes(quota.store_bytes)]);
      facts.push(["quota: snapshots", quota.snapshots ?? "no limit"]);
      facts.push(["quota: snapshot bytes", bytes(quota.snapshot_bytes)]);
    } else {
      facts.push(["sandboxes", "one, shared by every token"]);
    }
    for (const [name, value] of Object.entries(about.limits || {})) facts.push([name.replaceAll("_", " "), value]);
    facts.push(["operations", about.operations]);
    $("server-facts").replaceChildren(...facts.flatMap(([name, value]) => [el("dt", null, name), el("dd", null, value)]));
  }

  function duration(seconds) {
    if (seconds >= 86400 && seconds % 3600 === 0) return `${seconds / 3600} h`;
    return seconds >= 3600 ? `${(seconds / 3600).toFixed(1)} h` : `${seconds} s`;
  }

  function bytes(count) {
    if (count === null || count === undefined) return "no limit";
    return count >= 1048576 ? `${(count / 1048576).toFixed(1)} MiB` : `${Math.round(count / 1024)} KiB`;
  }

  // -- journal

  const journal = { lastId: 0, filter: null };

  // Each poll asks only for what came after the newest row shown (`after`), which costs the
  // server next to nothing when nothing came. A full poll (every few) gets the newest
  // JOURNAL_ROWS again, to notice a journal emptied elsewhere (its ids start again from 1)
  // or a restarted server.
  async function pollJournal(full) {
    if ($("journal-paused").checked) return;
    const params = new URLSearchParams({ limit: String(JOURNAL_ROWS) });
    const form = new FormData($("journal-filter"));
    for (const name of ["method", "path", "status"]) {
      const value = String(form.get(name) || "").trim();
      if (value) params.set(name, value);
    }
    const filter = params.toString();
    const tbody = $("journal").tBodies[0];
    if (filter !== journal.filter) {
      startJournal();
      journal.filter = filter;
    }
    if (!full && journal.lastId) params.set("after", String(journal.lastId));
    const entries = await api("GET", `/__mock/requests?${params}`);
    if (full) {
      const shown = new Set([...tbody.rows].map((row) => row.dataset.key));
      const newest = entries.length ? entries[entries.length - 1].id : 0;
      if (newest < journal.lastId || entries.some((e) => e.id <= journal.lastId && !shown.has(entryKey(e)))) {
        startJournal(); // the ids were given again from 1: what is shown is another journal's
      } else {
        const kept = new Set(entries.map(entryKey));
        for (const row of [...tbody.rows]) if (!kept.has(row.dataset.key)) row.remove();
      }
    }
    for (const entry of entries) if (entry.id > journal.lastId) tbody.prepend(journalRow(entry));
    if (entries.length) journal.lastId = Math.max(journal.lastId, entries[entries.length - 1].id);
    while (tbody.rows.length > JOURNAL_ROWS) tbody.rows[tbody.rows.length - 1].remove();
  }

  function startJournal() {
    $("journal").tBodies[0].replaceChildren();
    $("journal-detail").hidden = true;
    journal.lastId = 0;
  }

  const entryKey = (entry) => `${entry.id} ${entry.time} ${entry.request.method} ${entry.request.path}`;

  function journalRow(entry) {
    const status = entry.response.status;
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(entry.request.query || {})) {
      for (const one of [].concat(value)) query.append(name, one);
    }
    const path = entry.request.path + (String(query) ? `?${query}` : "");
    const note = [entry.injected, ...(entry.warnings || [])].filter(Boolean).join("; ");
    const row = el("tr", { className: `clickable ${status ? `s${String(status)[0]}` : "dropped"}` },
      el("td", null, entry.id),
      el("td", null, entry.time),
      el("td", null, entry.request.method),
      el("td", { className: "path" }, path),
      el("td", { className: "code" }, status ?? "dropped"),
      el("td", null, Number(entry.duration_ms).toFixed(1)),
      el("td", null, note));
    row.dataset.key = entryKey(entry);
    row.addEventListener("click", () => showDetail($("journal-detail"), entry, row));
    return row;
  }

  // -- snapshots

  let snapshotQuota = null; // how many a sandbox may keep (--sandbox-max-snapshots), from GET /

  async function loadSnapshots() {
    const snapshots = await api("GET", "/__mock/snapshots");
    $("snapshots-count").textContent = `${snapshots.length} saved` +
      (snapshotQuota === null ? "." : `, of at most ${snapshotQuota} (--sandbox-max-snapshots).`);
    fillRows($("snapshots").tBodies[0], snapshots.map((snapshot) => {
      const name = snapshot.name;
      const records = Object.entries(snapshot.records).map(([table, count]) => `${table} ${count}`).join(", ");
      return el("tr", { "data-name": name },
        el("td", { className: "name" }, name),
        el("td", null, snapshot.created_at),
        el("td", null, records),
        el("td", null,
          el("button", { type: "button", onclick: () => restoreSnapshot(name) }, "Restore"), " ",
          el("button", { type: "button", onclick: () => deleteSnapshot(name) }, "Delete")));
    }));
  }

  const snapshotPath = (name) => `/__mock/snapshots/${encodeURIComponent(name)}`;

  function saveSnapshot(event) {
    event.preventDefault();
    const name = $("snapshot-name").value.trim();
    act("snapshots-status", async () => {
      const saved = await api("PUT", snapshotPath(name));
      await loadSnapshots();
      return `Saved the store as "${saved.name}".`;
    });
  }

  function restoreSnapshot(name) {
    act("snapshots-status", async () => {
      await api("POST", `${snapshotPath(name)}/restore`);
      await refreshPanels(); // the outbox is in the store
      return `The store is "${name}" again.`;
    });
  }

  function deleteSnapshot(name) {
    act("snapshots-status", async () => {
      await api("DELETE", snapshotPath(name));
      await loadSnapshots();
      return `Forgot "${name}".`;
    });
  }

  // -- clock

  async function loadClock() {
    showClock(await api("GET", "/__mock/clock"));
  }

  function showClock(clock) {
    $("clock-now").textContent = clock.now;
    $("clock-kind").textContent = !clock.virtual ? "(real time)" : clock.frozen ? "(virtual, frozen)" : "(virtual, running)";
  }

  function setClock(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    act("clock-status", async () => {
      showClock(await api("PUT", "/__mock/clock", { now: String(form.get("now")).trim(), frozen: form.has("frozen") }));
      return "Clock set.";
    });
  }

  function advanceClock(event) {
    event.preventDefault();
    const by = $("clock-advance-by").value.trim();
    act("clock-status", async () => {
      showClock(await api("PUT", "/__mock/clock", { advance: by }));
      return `Clock moved by ${by}.`;
    });
  }

  function realClock() {
    act("clock-status", async () => {
      await api("DELETE", "/__mock/clock");
      await loadClock();
      return "The clock reads real time.";
    });
  }

  // -- faults

  async function loadFaults() {
    const faults = await api("GET", "/__mock/faults");
    const latency = faults.server_latency_ms;
    $("faults-latency").textContent = latency ?
      `Server-wide latency (serve --latency): ${latency.min}–${latency.max} ms.` : "No server-wide latency.";
    fillRows($("faults").tBodies[0], faults.rules.map((rule, index) => el("tr", null,
      el("td", null, rule.method || "any"),
      el("td", null, rule.path),
      el("td", null, rule.latency_ms ? `${rule.latency_ms.min}–${rule.latency_ms.max}` : ""),
      el("td", null, rule.error_rate || ""),
      el("td", null, rule.statuses.join(", ")),
      el("td", null, rule.drop_rate || ""),
      el("td", null, el("button", { type: "button", onclick: () => removeFault(index) }, "Remove")))));
  }

  // A rule as GET shows it -> as PUT takes it (no nulls, no empty lists).
  function ruleInput(rule) {
    const input = { path: rule.path };
    if (rule.method) input.method = rule.method;
    if (rule.latency_ms) input.latency_ms = rule.latency_ms;
    if (rule.error_rate) input.error_rate = rule.error_rate;
    if (rule.statuses && rule.statuses.length) input.statuses = rule.statuses;
    if (rule.drop_rate) input.drop_rate = rule.drop_rate;
    return input;
  }

  function ruleFromForm(form) {
    const text = (name) => String(form.get(name) || "").trim();
    const number = (name) => {
      const value = Number(text(name));
      if (Number.isNaN(value)) throw new Error(`${name.replace("_", " ")}: must be a number`);
      return value;
    };
    const rule = { path: text("path") };
    if (text("method")) rule.method = text("method");
    if (text("latency_min")) {
      rule.latency_ms = { min: number("latency_min") };
      if (text("latency_max")) rule.latency_ms.max = number("latency_max");
    }
    if (text("error_rate")) rule.error_rate = number("error_rate");
    if (text("statuses")) {
      rule.statuses = text("statuses").split(/[\s,]+/).filter(Boolean).map((s) => {
        if (!/^\d{3}$/.test(s)) throw new Error(`statuses: "${s}" is not a status such as 503`);
        return Number(s);
      });
    }
    if (text("drop_rate")) rule.drop_rate = number("drop_rate");
    return rule;
  }

  function addFault(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    act("faults-status", async () => {
      const rule = ruleFromForm(form);
      const current = await api("GET", "/__mock/faults");
      await api("PUT", "/__mock/faults", { seed: current.seed, rules: [...current.rules.map(ruleInput), rule] });
      await loadFaults();
      return `Added a rule for ${rule.method || "any method"} ${rule.path}.`;
    });
  }

  function removeFault(index) {
    act("faults-status", async () => {
      const current = await api("GET", "/__mock/faults");
      const rules = current.rules.map(ruleInput).filter((_, i) => i !== index);
      await api("PUT", "/__mock/faults", { seed: current.seed, rules });
      await loadFaults();
      return "Removed the rule.";
    });
  }

  function clearFaults() {
    act("faults-status", async () => {
      await api("DELETE", "/__mock/faults");
      await loadFaults();
      return "No fault rules.";
    });
  }

  // -- outbox

  async function loadOutbox() {
    const messages = await api("GET", "/__mock/outbox");
    const pre = $("outbox-detail");
    fillRows($("outbox").tBodies[0], messages.slice().reverse().map((message) => {
      const row = el("tr", { className: "clickable" },
        el("td", null, message.id),
        el("td", null, message.sent_at),
        el("td", null, message.to.join(", ")),
        el("td", null, message.subject));
      row.addEventListener("click", () => showDetail(pre, message, row));
      return row;
    }));
    if (!messages.length) pre.hidden = true;
  }

  function clearOutbox() {
    act("outbox-status", async () => {
      await api("DELETE", "/__mock/outbox");
      await loadOutbox();
      return "The outbox is empty.";
    });
  }

  // -- the whole page

  function clearJournal() {
    act("journal-status", async () => {
      await api("DELETE", "/__mock/requests");
      startJournal();
      return "The journal is empty.";
    });
  }

  function resetServer() {
    if (!window.confirm("Reset this sandbox: the store back to the fixtures, journal emptied, clock real, no fault rules? (Snapshots are kept.)")) return;
    act("server-status", async () => {
      const done = await api("POST", "/__mock/reset");
      startJournal();
      await refreshPanels();
      return done.message;
    });
  }

  async function refreshPanels() {
    await refresh("server-status", loadServer); // first: the snapshots panel shows its quota
    await Promise.all([
      refresh("snapshots-status", loadSnapshots),
      refresh("clock-status", loadClock),
      refresh("faults-status", loadFaults),
      refresh("outbox-status", loadOutbox),
    ]);
  }

  function useTokens(event) {
    event.preventDefault();
    const bearer = $("bearer-token").value.trim();
    const admin = $("admin-token").value.trim();
    // A header value the browser refuses would look like a dead server; say what it is.
    for (const [name, value] of [["Bearer token", bearer], ["Admin token", admin]]) {
      if (!/^[\x21-\x7e]*$/.test(value)) {
        alertBanner(`${name}: only printable ASCII without spaces can go in a header.`);
        return;
      }
    }
    sessionStorage.setItem(KEYS.bearer, bearer);
    sessionStorage.setItem(KEYS.admin, admin);
    alertBanner("");
    journal.filter = null; // another token may be another sandbox: start the table again
    poll(true);
  }

  let ticks = 0;
  let timer = null;
  let running = false;
  let wantAll = false;

  // One poll at a time: a call while one runs only asks it to refresh every panel too.
  async function poll(all = false) {
    wantAll = wantAll || all;
    if (running) return;
    running = true;
    clearTimeout(timer);
    try {
      do {
        const everything = wantAll || ticks % SLOW_EVERY === 0;
        wantAll = false;
        if (!document.hidden) {
          await refresh("journal-status", () => pollJournal(everything));
          if (everything) await refreshPanels();
        }
      } while (wantAll);
    } finally {
      running = false;
      ticks += 1;
      timer = setTimeout(poll, POLL_MS);
    }
  }

  function start() {
    $("bearer-token").value = tokens().bearer;
    $("admin-token").value = tokens().admin;
    $("tokens").addEventListener("submit", useTokens);
    $("journal-clear").addEventListener("click", clearJournal);
    $("snapshot-save").addEventListener("submit", saveSnapshot);
    $("clock-set").addEventListener("submit", setClock);
    $("clock-advance").addEventListener("submit", advanceClock);
    $("clock-real").addEventListener("click", realClock);
    $("fault-add").addEventListener("submit", addFault);
    $("faults-clear").addEventListener("click", clearFaults);
    $("outbox-clear").addEventListener("click", clearOutbox);
    $("reset-server").addEventListener("click", resetServer);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(true); });
    poll();
  }

  start();
})();
