// The hotkey video coder (a Streamlit custom components v2 component; Python side: ../coder.py).
//
// The protocol is in observe/coding/recording.py; the browser side:
// - a capture-phase `keydown` listener on `window` binds `KeyboardEvent.code` + Shift (physical
//   keys, DOMAIN §1) and stops the event, which also shields Streamlit's own one-key shortcuts
//   while coding; a key typed into a text field (also one inside this component's shadow root,
//   found through `composedPath()`) passes through untouched;
// - each cue is stamped with `video.currentTime` (or the live clock) at the keypress and put into
//   the outbox with (client id, sequence number); the outbox is posted at once to the outbox route
//   (`POST /api/outbox/<observation>`, observe/ui/outbox_routes.py, with the signed token in
//   `data.post`), whose answer acknowledges it without a Streamlit rerun; if the route cannot be
//   reached, the component's `outbox` trigger carries it and the acknowledgement comes in
//   `data.ack`. Unacknowledged items are re-sent every 250 ms (1.5 s after a database failure);
//   cue and annotation items are also kept in `localStorage` so a closed tab or a dropped
//   connection sends them on the next visit (undo and redo are not: replaying them later would
//   undo something else);
// - the `sync` trigger (after acknowledgements, once the keys pause) reruns the page's fragment so
//   its event list catches up, and reports the furthest video position reached (DOMAIN §9.3);
// - the live timeline (one lane per subject × channel, the playhead in the middle) and the current
//   state of every channel are drawn here from `data.timeline`, so they follow the video frame by
//   frame without a round trip to the server;
// - a keypress is drawn at once (issue 16: waiting for the server's round trip made observers press
//   again): the state rules of observe/model.py `plan_cue` are replayed here on the lane for every
//   item still in the outbox, drawn as *pending*, and the list of the last keys shows each one
//   pending → saved (acknowledged by the store) or failed (red, with the server's reason; it stays
//   in the outbox: a database failure is sent again, a refusal stays until it is dismissed).

const RATES = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2];
const WINDOWS = [30, 60, 300, 0];           // seconds of timeline shown; 0 = the whole session
const LANE_H = 13, AXIS_H = 16, LABEL_W = 170;   // compact: video, lanes and last keys fit 1440×900
const FLUSH_MS = 1500;                      // re-send after a database failure
// A trigger set while Streamlit is still running the previous rerun can be lost (measured: one
// key of two reached Python; the rest waited for the re-send), so the outbox goes again soon.
const RETRY_MS = 250;
const PLAY_DRAW_MS = 95;                    // a running timeline and clock: at most ten redraws a second
const MARKS = 6;                           // keypresses listed with their pending / saved / failed status
const REACHED_MS = 5000;                    // the furthest position reached is reported at most this often
// The `sync` trigger (a fragment rerun that refreshes the page's event list) waits for a pause in
// the keys, or this long at most: a rerun's work in the page costs frames while coding, and the
// server a page run per coder (8 coders keying steadily on one server, videos paused: every 5 s
// the median acknowledgement was 6.2× one coder's, every 20 s 1.06×). The keys' own marks never wait.
const SYNC_IDLE_MS = 800, SYNC_MAX_MS = 20000;
// A click elsewhere on the page makes Streamlit rerun it, and that run refreshes the event list
// anyway; a sync trigger sent right after the click would be merged into the same rerun request
// and could cost the click its button press (seen: "Finish observation…" not opening). So no sync
// for a while after a click outside the coder.
const SYNC_AFTER_CLICK_MS = 2000;

function newId() {  // crypto.randomUUID needs a secure context; a team server may be plain http
  const b = new Uint8Array(12); crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
function fmt(t) {
  if (!isFinite(t)) t = 0;
  const m = Math.floor(t / 60), s = t - 60 * m;
  return `${m}:${s.toFixed(3).padStart(6, '0')}`;
}
function isTyping(e) {
  const el = (e.composedPath && e.composedPath()[0]) || e.target;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}
function storageKey(obs, client) { return `observe.outbox.${obs}.${client}`; }
function clockKey(obs) { return `observe.clock.${obs}`; }
function load(key) { try { return JSON.parse(localStorage.getItem(key) || 'null'); } catch (_) { return null; } }
function save(key, value) {
  try { if (value === null) localStorage.removeItem(key); else localStorage.setItem(key, JSON.stringify(value)); }
  catch (_) { /* private mode or full: the in-memory outbox still works */ }
}

// -- pure lane rules (exported for tests/ui/test_coder_web.py, which checks them against plan_cue) --
// whole milliseconds, as observe.model.ms stores them: toFixed rounds the double's exact value, like
// Python's round (only an exact tie, such as 0.0625 s, may differ: the stored value then wins on ack)
function ms(t) { return Number(Number(t).toFixed(3)); }

function firstAtOrAfter(events, t) {   // binary search on start
  let lo = 0, hi = events.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (events[mid][3] < t) lo = mid + 1; else hi = mid; }
  return lo;
}

function lastStateBefore(events, cues, i) {  // states never overlap in a lane: only the last one can reach on
  for (let j = i - 1; j >= 0; j--) if (cues[events[j][2]][2] === 'state') return j;
  return -1;
}

// observe/model.py plan_cue, on one lane: a point is inserted; a state key ends the state that is
// on (the same key: only that), and the new state runs up to the next state coded later
export function applyCue(events, it, ci, cues) {
  const t = ms(it.t);
  const out = events.slice();
  const row = [`p${it.client}:${it.seq}`, -1, ci, t, null, it];
  if (cues[ci][2] !== 'state') { out.splice(firstAtOrAfter(out, t), 0, row); return out; }
  const j = lastStateBefore(out, cues, firstAtOrAfter(out, t + 1e-9));
  let on = null;
  if (j >= 0 && (out[j][4] === null || t < out[j][4])) {
    on = out[j];
    if (on[3] === t) out.splice(j, 1); else out[j] = [on[0], on[1], on[2], on[3], t, it];
    if (on[2] === ci) return out;
  }
  let end = null;
  for (let k = firstAtOrAfter(out, t + 1e-9); k < out.length; k++) if (cues[out[k][2]][2] === 'state') { end = out[k][3]; break; }
  if (on && on[4] !== null && end === null) end = on[4];
  row[4] = end;
  out.splice(firstAtOrAfter(out, t), 0, row);
  return out;
}

export default function ({ data, parentElement, setTriggerValue }) {
  const $ = (sel) => parentElement.querySelector(sel);
  const root = $('.coder');
  const video = $('video'), canvas = $('canvas.tl');
  const d = data || {};
  const T = d.text || {};
  const obs = String(d.obs || '0');

  // -- state kept across data updates (the element persists while the mount key is stable) --
  if (!root.__s) {
    root.__s = { client: newId(), seq: 0, outbox: [], swapped: false, rate: 1, win: 60,
                 shownError: null, seekN: null, dirty: true, mods: {}, outboxVer: 0, overlay: new Map(),
                 marks: [], coded: [], undone: [], keyAt: new Map(), drawLat: [], ackLat: [],
                 reached: 0, reachedSent: 0, cells: new Map() };
    root.__s.latencies = root.__s.ackLat;  // keydown → acknowledged and drawn (the benchmark reads both)
    // items a closed tab or a lost connection left behind for this observation: send them again
    try {
      for (let i = 0; i < localStorage.length; i++) {
        const k = localStorage.key(i);
        if (k && k.startsWith(`observe.outbox.${obs}.`)) root.__s.outbox.push(...(load(k) || []));
      }
    } catch (_) { /* no storage */ }
    root.__s.clock = load(clockKey(obs)) || { acc: 0, since: null };
  }
  const S = root.__s;
  S.renders = (S.renders || 0) + 1;
  if (S.cleanup) S.cleanup();   // the previous run's listeners, redraws and timer (see the end)
  S.data = d;
  S.dirty = true;
  S.root = root;
  window.__observeCoder = S;   // read by the browser tests and the benchmark

  // -- drawing: a change (a key, a zoom, a seek) is drawn in the next frame; time running on its
  // own (a playing video, the live clock) every PLAY_DRAW_MS, with one of the video's own frames
  // (requestVideoFrameCallback) so the two are composited together. Nothing runs while nothing
  // changes: a frame loop at the screen's rate and a redraw at the video's 25 frames a second
  // each cost the browser a commit a frame (together two thirds of a playing page's CPU).
  let raf = 0, vfc = 0, tick = 0;
  function redraw() {
    S.dirty = true;
    if (!raf) raf = requestAnimationFrame(() => { raf = 0; if (S.dirty) draw(); });
  }
  function running() { return live ? clockRunning() : !video.paused; }
  function follow() {   // (re)starts the running redraws; they stop once time stops
    clearTimeout(tick); tick = 0;
    if (vfc) { video.cancelVideoFrameCallback(vfc); vfc = 0; }
    if (!running()) return;
    tick = setTimeout(() => {
      tick = 0;
      // no frames to follow: the live clock, an old browser, a recording without a picture
      if (live || !('requestVideoFrameCallback' in video) || !video.videoWidth) { redraw(); follow(); return; }
      vfc = video.requestVideoFrameCallback(() => { vfc = 0; draw(); follow(); });
    }, PLAY_DRAW_MS);
  }
  // where each cue is drawn: "subject|cue" → [lane index, cue index]
  S.where = {};
  for (const b of Object.values(d.bindings || {})) S.where[b[0] + '|' + b[1]] = [b[3], b[4]];
  if (!S.marksRestored) {  // what an earlier visit left unsaved is listed too
    S.marksRestored = true;
    for (const i of S.outbox) S.marks.push({ key: `${i.client}:${i.seq}`, seq: i.seq, text: describe(i) });
    S.marksToRender = true;
  }

  // -- acknowledgements: what the store has is saved; what it refused stays, red, with the reason --
  // They come from the outbox route's answer at once (flush), or, on the fallback path, in
  // `data.ack` / `data.failed` on the rerun after the trigger (applied only when they change).
  function settle(ack, failedNow, via) {   // failedNow: "client:seq" → [reason, will be sent again]
    const before = new Set(S.outbox.map((i) => i.client));
    const saved = [];
    const kept = [];
    for (const i of S.outbox) {
      const f = failedNow[`${i.client}:${i.seq}`];
      const acked = i.seq <= (ack[i.client] || 0);
      if (i.final) kept.push(i);
      else if (acked && f && !f[1]) { i.final = true; i.failed = f[0]; kept.push(i); }
      else if (acked) saved.push(i);
      else { i.failed = f && f[1] ? f[0] : null; kept.push(i); }
    }
    S.outbox = kept;
    S.outboxVer += 1;
    redraw();
    persist(before);
    // keydown → acknowledged by the store → shown as saved (the frame that shows it)
    for (const i of saved) {
      const key = `${i.client}:${i.seq}`;
      const mark = S.marks.find((m) => m.key === key);
      if (mark && mark.node) mark.node.dataset.via = via;   // 'route' or 'rerun' (the tests read it)
      const at = S.keyAt.get(key);
      if (at !== undefined) { S.keyAt.delete(key); requestAnimationFrame(() => S.ackLat.push(performance.now() - at)); }
    }
    return saved;
  }
  const ackSig = JSON.stringify([d.ack || {}, d.failed || {}]);
  if (S.ackSig !== ackSig) { S.ackSig = ackSig; settle(d.ack || {}, d.failed || {}, 'rerun'); }

  function persist(clients) {
    const by = {};
    for (const i of S.outbox) if (i.op === 'cue' || i.op === 'annotate') (by[i.client] = by[i.client] || []).push(i);
    for (const c of new Set([...clients, S.client])) save(storageKey(obs, c), by[c] && by[c].length ? by[c] : null);
  }
  function describe(i) {   // one line for the list of the last keys
    const who = (d.subjects && d.subjects[i.subject]) || i.subject;
    const cue = Object.values(d.bindings || {}).find((b) => b[0] === i.subject && b[1] === i.cue);
    const label = cue ? cue[2] : i.cue;
    if (i.op === 'undo') return T.undo || 'Undo';
    if (i.op === 'redo') return T.redo || 'Redo';
    if (i.op === 'annotate') return `✎ ${who} · ${label} @ ${fmt(i.t)}`;
    return `${who} · ${label} @ ${fmt(i.t)}`;
  }

  // -- mode, source, labels --
  const live = d.mode === 'live';
  root.classList.toggle('mode-live', live);
  if (!live && d.src && video.dataset.src !== d.src) { video.dataset.src = d.src; video.src = d.src; }
  if (!live && !d.src) { video.removeAttribute('src'); video.dataset.src = ''; }
  $('.sheetbtn').textContent = T.sheet_button || 'Keys (Esc)';
  $('.start').textContent = clockRunning() ? (T.pause || 'Pause') : (S.clock.acc > 0 ? (T.resume || 'Resume') : (T.start || 'Start'));
  $('.reset').textContent = T.reset || 'Reset';
  $('.comment').placeholder = T.comment_placeholder || '';
  $('.markshead').textContent = T.marks || '';
  const sheetSig = JSON.stringify([d.sheet, d.transport, d.subjects, T.sheet_title, T.state_end]);
  if (S.sheetSig !== sheetSig) { S.sheetSig = sheetSig; renderSheet(); }   // not on every acknowledgement
  renderZoom();

  // -- time --
  function clockRunning() { return S.clock.since !== null; }
  function clockNow() { return S.clock.acc + (S.clock.since !== null ? (Date.now() - S.clock.since) / 1000 : 0); }
  function now_t() { return live ? clockNow() : video.currentTime; }
  function duration() {
    if (live) return d.duration || Math.max(clockNow(), 60);
    return (isFinite(video.duration) && video.duration) || d.duration || 60;
  }
  function toggleClock() {
    if (clockRunning()) S.clock = { acc: clockNow(), since: null };
    else S.clock = { acc: S.clock.acc, since: Date.now() };
    save(clockKey(obs), S.clock);
    $('.start').textContent = clockRunning() ? (T.pause || 'Pause') : (T.resume || 'Resume');
    redraw();
    follow();
  }

  // -- seeking asked by Python (a click in the event list) --
  if (d.seek && d.seek.n !== S.seekN) {
    S.seekN = d.seek.n;
    if (!live && S.seekN !== undefined) { video.currentTime = Math.max(0, d.seek.t); }
  }

  // -- messages --
  let msgTimer = null;
  function say(text, error = false) {
    const el = $('.msg'); el.textContent = text; el.classList.toggle('error', error);
    clearTimeout(msgTimer);
    if (!error) msgTimer = setTimeout(() => { if (el.textContent === text) el.textContent = ''; }, 4000);
  }
  if (d.errors && d.errors.id !== S.shownError) { S.shownError = d.errors.id; if (d.errors.text) say(d.errors.text, true); }
  video.onerror = () => {
    const code = video.error ? video.error.code : 0;
    say(code === 4 ? (T.video_unplayable || 'This video cannot be played.') : (T.video_missing || 'The video cannot be loaded.'), true);
  };

  // -- the outbox --
  // Posted to the outbox route (observe/ui/outbox_routes.py), one request at a time: the answer
  // acknowledges at once, without a Streamlit rerun. If the route cannot be reached (or refuses
  // the token: signed out, restarted server), the component's trigger carries the outbox instead
  // for a while, as before the route existed.
  const post = d.post || null;
  function waiting() { return S.outbox.filter((i) => !i.final); }
  function flush() {
    // a refused item (final) is not sent again: it waits in the list until it is dismissed
    const items = waiting();
    const reached = S.reached > S.reachedSent + 1 ? S.reached : null;
    if (!items.length && reached === null) return;
    S.lastFlush = performance.now();
    if (!post || performance.now() < (S.routeDownUntil || 0)) { viaTrigger(items); return; }
    if (S.inflight) { S.again = true; return; }
    S.inflight = true; S.again = false;
    const body = JSON.stringify({ token: post.token, items, lang: d.lang || 'en', have: [S.feed ?? null, S.rev ?? -1], reached });
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 8000);
    // keepalive: a key pressed just before the tab closes still reaches the store (64 kB limit)
    fetch(post.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body,
                      keepalive: body.length < 60000, signal: abort.signal, credentials: 'same-origin' })
      .then(async (r) => {
        const answer = await r.json().catch(() => ({}));
        if (r.ok) { if (reached !== null) S.reachedSent = Math.max(S.reachedSent, reached); S.onAnswer(answer); }
        else if (r.status === 503) S.onTrouble(answer.error || '');
        else S.onRouteDown(items);
      })
      .catch(() => S.onRouteDown(items))
      .finally(() => { clearTimeout(timer); S.inflight = false; if (S.again) S.flushNow(); });
  }
  function viaTrigger(items) {   // the fallback: a trigger and a rerun; `have` tells Python which events we hold
    if (items.length) setTriggerValue('outbox', { items, at: Date.now(), t: now_t(), have: [S.epoch ?? null, S.rev ?? -1] });
    else S.syncDue = true;   // only the position to report: the sync trigger carries it
  }
  S.flushNow = flush;
  // Closing the tab: what is still waiting goes once more with keepalive, which outlives the page
  // (what it cannot carry is still in localStorage for the next visit).
  S.onLeave = () => {
    const items = waiting();
    if (!post || !items.length) return;
    const body = JSON.stringify({ token: post.token, items, lang: d.lang || 'en', reached: S.reached || null });
    if (body.length < 60000) fetch(post.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body, keepalive: true }).catch(() => {});
  };
  if (!S.leaveBound) { S.leaveBound = true; window.addEventListener('pagehide', () => S.onLeave()); }
  S.onAnswer = (answer) => {
    const saved = settle(answer.acks || {}, answer.failed || {}, 'route');
    if (!applyEntries(answer.feed, answer.delta)) S.behind = true;
    if (answer.errors && answer.errors.length) say(answer.errors.join(' '), true);
    if (saved.length || S.behind) S.syncDue = true;
    paintMarks(); updateSaved(); draw();
  };
  S.onTrouble = (reason) => {   // the database did not answer: nothing stored, sent again later
    for (const i of waiting()) i.failed = reason || 'not saved';
    S.outboxVer += 1; redraw();
    paintMarks(); updateSaved();
  };
  S.onRouteDown = (items) => { S.routeDownUntil = performance.now() + 10000; viaTrigger(items); };
  // A keypress: into the outbox, drawn at once (list, timeline, state table), then sent.
  function push(item, keyAt) {
    S.seq += 1;
    const full = Object.assign({ client: S.client, seq: S.seq }, item);
    const key = `${full.client}:${full.seq}`;
    S.outbox.push(full);
    S.outboxVer += 1;
    addMark({ key, seq: full.seq, text: describe(full) });
    if (keyAt !== undefined) { S.keyAt.set(key, keyAt); S.lastKey = performance.now(); }
    updateSaved();
    draw();   // at once, in the keydown handler
    if (keyAt !== undefined) requestAnimationFrame(() => S.drawLat.push(performance.now() - keyAt));
    flush();
    persist([]);
    return full;
  }
  function updateSaved() {
    const el = $('.saved');
    const n = S.outbox.filter((i) => !i.final).length;
    const failed = S.outbox.filter((i) => i.failed).length;
    el.textContent = n ? (T.pending || '{n} not saved yet').replace('{n}', n) : (T.saved || 'All saved');
    el.classList.toggle('pending', n > 0 || failed > 0);
    root.dataset.pending = String(n);
    root.dataset.failed = String(failed);
  }
  updateSaved();

  // -- the last keys, each pending → saved, or failed (red, with the reason) --
  // One node per key, added at the top as the key is pressed; a status change repaints its node
  // only (rebuilding the list on every key and every answer cost frames: issue 16).
  function markStatus(m, byKey) {
    const i = byKey.get(m.key);
    if (!i) return ['saved', '', false];
    return i.failed ? ['failed', i.failed, !!i.final] : ['pending', '', false];
  }
  function outboxByKey() { return new Map(S.outbox.map((x) => [`${x.client}:${x.seq}`, x])); }
  function markNode(m) {
    const li = document.createElement('li');
    li.dataset.key = m.key; li.dataset.seq = String(m.seq);
    const what = document.createElement('span'); what.className = 'what'; what.textContent = m.text;
    const st = document.createElement('span'); st.className = 'st';
    li.append(what, ' ', st);
    m.node = li;
    return li;
  }
  function paintMark(m, byKey) {
    const li = m.node;
    if (!li) return;
    const [status, why, final] = markStatus(m, byKey);
    const sig = status + '|' + why + '|' + final;
    if (li.__sig === sig) return;
    li.__sig = sig;
    li.className = `mark ${status}`;
    li.dataset.status = status;
    li.querySelector('.st').textContent = status === 'failed' ? (T.mark_failed || 'not saved: {reason}').replace('{reason}', why)
      : status === 'pending' ? (T.mark_pending || 'pending') : (T.mark_saved || 'saved');
    const button = li.querySelector('button.dismiss');
    if (final && !button) {
      const b = document.createElement('button'); b.type = 'button'; b.className = 'dismiss'; b.title = T.dismiss || ''; b.textContent = '×';
      li.appendChild(b);
    } else if (!final && button) button.remove();
  }
  function paintMarks() {
    const byKey = outboxByKey();
    for (const m of S.marks.slice(-MARKS)) paintMark(m, byKey);
  }
  function addMark(m) {
    S.marks.push(m);
    if (S.marks.length > 50) S.marks.shift();
    const list = $('.marks');
    list.prepend(markNode(m));
    paintMark(m, outboxByKey());
    while (list.children.length > MARKS) list.lastElementChild.remove();
  }
  function renderMarks() {   // the whole list: on the first mount and after a dismissal
    const list = $('.marks');
    list.replaceChildren(...S.marks.slice(-MARKS).reverse().map(markNode));
    paintMarks();
  }
  $('.marks').onclick = (ev) => {
    const b = ev.target.closest && ev.target.closest('button.dismiss');
    if (!b) return;
    const key = b.parentElement.dataset.key;
    S.outbox = S.outbox.filter((x) => `${x.client}:${x.seq}` !== key);
    S.marks = S.marks.filter((m) => m.key !== key);
    S.outboxVer += 1;
    persist([]); updateSaved(); renderMarks(); focusCoder();
  };
  function focusCoder() { root.focus({ preventScroll: true }); }

  // -- layer indicator --
  function renderLayer() {
    const el = $('.layer');
    const [plain, shifted] = S.swapped ? ['counselor', 'client'] : ['client', 'counselor'];
    const name = (s) => (d.subjects && d.subjects[s]) || s;
    el.textContent = (T.layer || 'Keys: {plain} · Shift: {shift}').replace('{plain}', name(plain)).replace('{shift}', name(shifted));
    el.classList.toggle('swapped', S.swapped);
    root.dataset.swapped = S.swapped ? '1' : '0';
  }
  renderLayer();

  // -- the cheat-sheet (Esc or the button) --
  function renderSheet() {
    const rows = d.sheet || [];
    const subj = d.subjects || {};
    const names = Object.keys(subj);
    const head = `<tr><th>${esc(T.cue || '')}</th>` + names.map((s) => `<th>${esc(subj[s])}</th>`).join('') + '</tr>';
    let html = `<h4>${esc(T.sheet_title || 'Hotkeys')}</h4><div class="cols">`;
    let group = null;
    for (const r of rows) {
      if (r[0] !== group) {
        if (group !== null) html += '</table>';
        group = r[0];
        html += `<table><tr class="group"><td colspan="${1 + names.length}">${esc(group)}</td></tr>` + head;
      }
      html += `<tr><td>${esc(r[1])}</td>`;
      for (let i = 0; i < names.length; i++) html += `<td>${r[2 + i] ? '<kbd>' + esc(r[2 + i]) + '</kbd>' : ''}</td>`;
      html += '</tr>';
    }
    if (group !== null) html += '</table>';
    html += `<table class="keys"><tr class="group"><td colspan="2">${esc(T.sheet_transport || '')}</td></tr>`;
    for (const [k, v] of (d.transport || [])) html += `<tr><td><kbd>${esc(k)}</kbd></td><td>${esc(v)}</td></tr>`;
    html += '</table></div>';
    if (T.state_end) html += `<p class="hint" data-testid="coder-sheet-state-end">${esc(T.state_end)}</p>`;
    $('.sheet').innerHTML = html;
  }
  function esc(s) { return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c])); }
  function toggleSheet(force) {
    const el = $('.sheet'); el.hidden = force === undefined ? !el.hidden : !force;
  }

  function renderZoom() {
    const z = $('.zoom');
    z.innerHTML = '';
    const label = document.createElement('span'); label.textContent = T.window || ''; z.appendChild(label);
    for (const w of WINDOWS) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = w === 0 ? (T.whole || 'all') : (w < 60 ? `${w} s` : `${w / 60} min`);
      b.classList.toggle('on', S.win === w);
      b.onclick = () => { S.win = w; redraw(); renderZoom(); };
      z.appendChild(b);
    }
  }

  // -- annotation of the last coded event (Enter): modifiers and a comment, the video keeps playing --
  // The note goes to the event it is typed for: the last keypress that is still coded (an undone
  // one is skipped, also one undone with the button), fixed when the note opens.
  function isCoded(m) {
    const w = S.where[m.subject + '|' + m.cue];
    if (!w) return false;
    const t = ms(m.t);
    return laneEvents(w[0]).some((e) => e[2] === w[1] && (e[3] === t || e[4] === t));
  }
  function noteTarget() {
    for (let j = S.coded.length - 1; j >= 0; j--) if (isCoded(S.coded[j])) return S.coded[j];
    return null;
  }
  function openNote() {
    S.noteFor = noteTarget();
    if (!S.noteFor) { say(T.nothing_to_annotate || 'Code a cue first.'); return; }
    const note = $('.note');
    note.hidden = false;
    $('.notewhat').textContent = `${S.noteFor.label} @ ${fmt(S.noteFor.t)}`;
    S.mods = {};
    const box = $('.mods'); box.innerHTML = '';
    for (const m of (d.modifiers || [])) {
      const lab = document.createElement('span'); lab.textContent = m.label; box.appendChild(lab);
      for (const v of m.values) {
        const b = document.createElement('button'); b.type = 'button'; b.textContent = v;
        b.onclick = () => { S.mods[m.code] = S.mods[m.code] === v ? undefined : v; for (const o of b.parentElement.querySelectorAll(`[data-m="${m.code}"]`)) o.classList.toggle('on', S.mods[m.code] === o.textContent); };
        b.dataset.m = m.code; box.appendChild(b);
      }
    }
    const input = $('.comment'); input.value = ''; input.focus();
  }
  function closeNote() { $('.note').hidden = true; focusCoder(); }
  function submitNote() {
    const m = S.noteFor;
    if (!m) return closeNote();
    const mods = {}; for (const [k, v] of Object.entries(S.mods)) if (v !== undefined) mods[k] = v;
    push({ op: 'annotate', subject: m.subject, cue: m.cue, t: m.t, modifiers: mods, comment: $('.comment').value });
    closeNote();
    say(T.annotated || 'Saved.');
  }
  $('.comment').onkeydown = (e) => {
    e.stopPropagation();   // keep Streamlit's own shortcuts away from typing here
    if (e.key === 'Enter') { e.preventDefault(); submitNote(); }
    if (e.key === 'Escape') { e.preventDefault(); closeNote(); }
  };
  $('.noteok').onclick = submitNote;
  $('.sheetbtn').onclick = () => toggleSheet();
  $('.start').onclick = toggleClock;
  $('.reset').onclick = () => { if (!clockRunning()) { S.clock = { acc: 0, since: null }; save(clockKey(obs), S.clock); $('.start').textContent = T.start || 'Start'; redraw(); } };

  // -- keys --
  function setRate(step) {
    let i = RATES.indexOf(S.rate); if (i < 0) i = 3;
    i = Math.min(RATES.length - 1, Math.max(0, i + step));
    S.rate = RATES[i]; video.playbackRate = S.rate;
    $('.speed').textContent = `${S.rate}×`;
  }
  function seekBy(dt) {
    if (live) return;
    video.currentTime = Math.min(duration(), Math.max(0, video.currentTime + dt));
    redraw();
  }
  function deepActive() {
    let a = document.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    return a;
  }
  function onKey(e) {
    const code = e.code;
    const stop = () => { e.preventDefault(); e.stopImmediatePropagation(); };
    // Esc from any widget (a select box, a text field, a button) gives the keys back to the coder;
    // the note's own field handles its Esc (it closes the note)
    const active = deepActive();
    if (code === 'Escape' && active && active !== document.body && active !== root && !root.contains(active)) {
      stop(); if (active.blur) active.blur(); focusCoder(); return;
    }
    if (isTyping(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (code === 'Space') { stop(); if (e.repeat) return; if (live) toggleClock(); else if (video.paused) video.play(); else video.pause(); return; }
    if (code === 'ArrowLeft' || code === 'ArrowRight') {
      stop(); const sign = code === 'ArrowLeft' ? -1 : 1;
      if (e.shiftKey) { video.pause(); seekBy(sign / (d.fps || 25)); } else seekBy(5 * sign);
      return;
    }
    if (code === 'ArrowUp' || code === 'ArrowDown') { stop(); setRate(code === 'ArrowUp' ? 1 : -1); return; }
    if (e.repeat) { if (code.startsWith('Key') || code.startsWith('Digit')) stop(); return; }
    if (code === 'Backspace') {
      stop();
      const [from, to] = e.shiftKey ? [S.undone, S.coded] : [S.coded, S.undone];
      if (from.length) to.push(from.pop());
      push({ op: e.shiftKey ? 'redo' : 'undo' });
      say(e.shiftKey ? (T.redo || 'Redo') : (T.undo || 'Undo'));
      return;
    }
    if (code === 'Backquote') { stop(); S.swapped = !S.swapped; renderLayer(); return; }
    if (code === 'Enter') { stop(); openNote(); return; }
    if (code === 'Escape') { stop(); if (!$('.note').hidden) closeNote(); else toggleSheet(); return; }
    const shift = e.shiftKey !== S.swapped;
    const b = (d.bindings || {})[code + (shift ? '+S' : '')];
    if (!b) {
      if (/^(Key|Digit)|^(Minus|Equal|BracketLeft|BracketRight|Semicolon|Quote|Comma|Period|Slash|Backslash)$/.test(code)) {
        stop(); say((T.no_cue || 'No cue on this key.').replace('{key}', (e.shiftKey ? 'Shift+' : '') + e.key), true);
      }
      return;
    }
    stop();
    if (!live && !d.src) { say(T.no_video || 'Attach a video or switch to live mode first.', true); return; }
    const t = now_t();
    const [subject, cue, label] = b;
    if (t > S.reached) S.reached = t;
    S.coded.push({ subject, cue, t, label });
    if (S.coded.length > 200) S.coded.shift();
    S.undone = [];
    push({ op: 'cue', subject, cue, t }, e.timeStamp);
  }
  window.addEventListener('keydown', onKey, true);
  const onPointer = (e) => { if (!root.contains(e.target)) S.lastPointer = performance.now(); };
  window.addEventListener('pointerdown', onPointer, true);

  // -- the live timeline --
  // The events: every one on a new epoch, then only the changes logged since the revision we have.
  // Kept per lane (a Map by id, sorted lazily), so a change costs the size of its lane, not of the session.
  function laneCount() { return ((d.timeline && d.timeline.lanes) || []).length; }
  function resetLanes() {
    S.laneMaps = Array.from({ length: laneCount() }, () => new Map());
    S.laneSorted = S.laneMaps.map(() => null);
    for (const r of S.rows.values()) if (S.laneMaps[r[1]]) S.laneMaps[r[1]].set(r[0], r);
  }
  function put(r) {
    const old = S.rows.get(r[0]);
    if (old && S.laneMaps[old[1]]) { S.laneMaps[old[1]].delete(r[0]); S.laneSorted[old[1]] = null; }
    S.rows.set(r[0], r);
    if (S.laneMaps[r[1]]) { S.laneMaps[r[1]].set(r[0], r); S.laneSorted[r[1]] = null; }
  }
  function drop(id) {
    const old = S.rows.get(id);
    if (!old) return;
    S.rows.delete(id);
    if (S.laneMaps[old[1]]) { S.laneMaps[old[1]].delete(id); S.laneSorted[old[1]] = null; }
  }
  // Every entry is a revision of the observation's change feed (observe/ui/coder_feed.py), from
  // the rerun's data or from the outbox route's answer, whichever comes first: each is applied
  // once and in order; a gap (entries this coder never saw) waits for the next rerun.
  function applyEntries(feed, delta) {
    if (!S.rows || feed !== S.feed) return false;
    if (S.laneMaps.length !== laneCount()) resetLanes();
    for (const [rev, ups, dels] of delta || []) {
      if (rev <= S.rev) continue;
      if (rev !== S.rev + 1) return false;
      for (const id of dels) drop(id);
      for (const r of ups) put(r);
      S.rev = rev;
    }
    redraw();
    return true;
  }
  function catchUp() {
    const tl = d.timeline;
    if (!tl) return;
    if (tl.full) {
      // rows the route brought after this copy was made come again with the next rerun
      if (S.feed === tl.feed && (S.rev ?? -1) > tl.rev) { S.behind = true; S.syncDue = true; }
      S.rows = new Map(tl.full.map((r) => [r[0], r])); S.epoch = tl.epoch; S.feed = tl.feed; S.rev = tl.rev; resetLanes();
    } else if (tl.epoch === S.epoch && S.rows) {
      if (!applyEntries(tl.feed, tl.delta)) { S.behind = true; S.syncDue = true; }
      else S.behind = false;
    }
  }
  function storedLane(i) {
    if (!S.laneMaps || !S.laneMaps[i]) return [];
    if (!S.laneSorted[i]) S.laneSorted[i] = Array.from(S.laneMaps[i].values()).sort((a, b) => a[3] - b[3]);
    return S.laneSorted[i];
  }
  function pendingLanes() {   // lane index → [[outbox item, cue index]] of the cues not stored yet
    if (S.plVer === S.outboxVer && S.plWhere === S.where) return S.pl;
    const by = new Map();
    for (const it of S.outbox) {
      if (it.op !== 'cue' || it.final) continue;
      const w = S.where[it.subject + '|' + it.cue];
      if (!w) continue;
      if (!by.has(w[0])) by.set(w[0], []);
      by.get(w[0]).push([it, w[1]]);
    }
    S.pl = by; S.plVer = S.outboxVer; S.plWhere = S.where;
    return by;
  }
  // A lane as drawn: the stored events with the keys still in the outbox applied on top
  // (rows [id, lane, cue, start, end, outbox item]: the item marks what is not stored yet).
  function laneEvents(i) {
    const stored = storedLane(i);
    const pending = pendingLanes().get(i);
    if (!pending) return stored;
    const hit = S.overlay.get(i);
    if (hit && hit.ver === S.outboxVer && hit.stored === stored) return hit.events;
    const cues = lanesOf().cues;
    let events = stored;
    for (const [it, ci] of pending) events = applyCue(events, it, ci, cues);
    S.overlay.set(i, { ver: S.outboxVer, stored, events });
    return events;
  }
  function lanesOf() { return d.timeline || { lanes: [], cues: [], subjects: [] }; }
  function stateAt(events, cues, t) {   // the running state of a lane at t
    const j = lastStateBefore(events, cues, firstAtOrAfter(events, t + 1e-9));
    if (j < 0) return null;
    const ev = events[j];
    return ev[4] === null || t < ev[4] ? ev : null;
  }
  function draw() {
    S.draws = (S.draws || 0) + 1;   // read by the browser tests
    S.dirty = false;
    const tl = lanesOf();
    const width = canvas.clientWidth || 600;
    const height = AXIS_H + LANE_H * tl.lanes.length + 4;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr); canvas.height = Math.round(height * dpr); canvas.style.height = height + 'px';
    }
    const g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, height);
    const t = now_t(), dur = duration();
    if (t > S.reached) S.reached = t;   // the furthest position reached (DOMAIN §9.3: E's default)
    const span = S.win === 0 ? Math.max(dur, 1) : S.win;
    const t0 = S.win === 0 ? 0 : t - span / 2;
    const plotW = Math.max(50, width - LABEL_W);
    const x = (s) => LABEL_W + ((s - t0) / span) * plotW;
    // axis
    g.font = '11px sans-serif'; g.fillStyle = '#555'; g.textBaseline = 'middle';
    const step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800].find((s) => plotW / (span / s) >= 60) || 3600;
    for (let s = Math.ceil(t0 / step) * step; s <= t0 + span; s += step) {
      if (s < 0) continue;
      g.fillRect(x(s), AXIS_H - 4, 1, 4); g.fillText(fmt(s).replace(/\.000$/, ''), x(s) + 2, AXIS_H / 2);
    }
    const sIndex = Object.fromEntries((tl.subjects || []).map((s, i) => [s, i]));
    const current = [];
    let prevSubject = null;
    tl.lanes.forEach((lane, i) => {
      const y = AXIS_H + i * LANE_H;
      if (i % 2 === 0) { g.fillStyle = '#F6F7F9'; g.fillRect(0, y, width, LANE_H); }
      if (lane.subject !== prevSubject) { g.fillStyle = '#444'; g.fillRect(0, y, width, 1); prevSubject = lane.subject; }
      const events = laneEvents(i);
      const si = sIndex[lane.subject] ?? 0;
      const on = stateAt(events, tl.cues, t);
      const mark = on && on[5] ? (on[5].failed ? 'failed' : 'pending') : '';
      current.push([lane, on ? tl.cues[on[2]][1] : '—', on ? tl.cues[on[2]][3 + si] : '', mark]);
      g.fillStyle = '#262730'; g.font = '11px sans-serif';
      g.fillText(lane.label.slice(0, 30), 4, y + LANE_H / 2);
      g.save(); g.beginPath(); g.rect(LABEL_W, y, plotW, LANE_H); g.clip();
      const from = firstAtOrAfter(events, t0), back = lastStateBefore(events, tl.cues, from);
      for (let k = back >= 0 ? back : from; k < events.length; k++) {
        const ev = events[k];
        if (ev[3] > t0 + span) break;
        const cue = tl.cues[ev[2]];
        g.fillStyle = tl.colours[cue[3 + si]] || tl.colours.na;  // observe.charts.VALENCE_COLOURS
        // not stored yet: paler (pending) or red (the write failed)
        g.globalAlpha = ev[5] && !ev[5].failed ? 0.5 : 1;
        if (ev[5] && ev[5].failed) g.fillStyle = '#B00020';
        if (cue[2] === 'point') {
          const px = x(ev[3]); if (px < LABEL_W - 4 || px > width + 4) continue;
          g.beginPath(); g.moveTo(px, y + 2); g.lineTo(px + 4, y + LANE_H / 2); g.lineTo(px, y + LANE_H - 2); g.lineTo(px - 4, y + LANE_H / 2); g.fill();
        } else {
          const end = ev[4] === null ? Math.max(t, ev[3] + span / 200) : ev[4];
          const a = x(ev[3]), b = x(end); if (b < LABEL_W || a > width) continue;
          g.fillRect(a, y + 3, Math.max(1.5, b - a - 1), LANE_H - 6);
        }
      }
      g.globalAlpha = 1;
      g.restore();
    });
    renderStates(tl, current);
    // playhead
    g.fillStyle = '#B00020'; g.fillRect(x(t) - 1, AXIS_H - 6, 2, height - AXIS_H + 6);
    const clock = fmt(t);
    $('.clock').textContent = clock; $('.bigclock').textContent = clock;
    root.dataset.t = t.toFixed(3);
  }
  // the current state of every channel, one column per person (only exhaustive-looking lanes: states)
  // The table is built once per set of lanes; a keypress or a new state repaints only its cell.
  function renderStates(tl, current) {
    if (S.statesTl !== tl) {
      S.statesTl = tl;
      const key = JSON.stringify([tl.subjects, tl.lanes.map((l) => [l.subject, l.channel, l.channel_label]), d.subjects, T.state_now]);
      if (S.statesKey !== key || !$('.states table')) { S.statesKey = key; buildStates(tl); }
    }
    for (const [lane, label, cls, mark] of current) {
      const td = S.cells.get(lane.subject + '-' + lane.channel);
      if (!td) continue;
      const sig = label + '|' + cls + '|' + mark;
      if (td.__sig === sig) continue;
      td.__sig = sig;
      if (label === '—') { td.className = ''; td.textContent = ''; td.style.borderLeftColor = ''; td.dataset.status = 'none'; continue; }
      td.className = `v ${cls} ${mark}`.trim();
      td.style.borderLeftColor = tl.colours[cls] || tl.colours.na;
      td.dataset.status = mark || 'saved';
      td.textContent = label;
    }
  }
  function buildStates(tl) {
    const subjects = tl.subjects || [];
    const names = d.subjects || {};
    const table = document.createElement('table');
    const head = table.insertRow();
    const corner = document.createElement('th'); corner.textContent = T.state_now || ''; head.appendChild(corner);
    for (const s of subjects) { const th = document.createElement('th'); th.textContent = names[s] || s; head.appendChild(th); }
    S.cells = new Map();
    const seen = new Set();
    for (const lane of tl.lanes) {
      if (seen.has(lane.channel) || lane.channel === 'POINT') continue;  // points have no state
      seen.add(lane.channel);
      const row = table.insertRow();
      row.insertCell().textContent = lane.channel_label;
      for (const s of subjects) {
        const td = row.insertCell();
        td.dataset.lane = `${s}-${lane.channel}`;
        td.dataset.status = 'none';
        S.cells.set(`${s}-${lane.channel}`, td);
      }
    }
    $('.states').replaceChildren(table);
  }
  const onVideo = () => { redraw(); follow(); };
  const VIDEO_EVENTS = ['play', 'pause', 'seeking', 'seeked', 'loadedmetadata', 'ratechange'];
  for (const type of VIDEO_EVENTS) video.addEventListener(type, onVideo);
  const resized = new ResizeObserver(() => redraw());
  resized.observe(canvas);
  catchUp();
  draw();
  if (S.marksToRender || !$('.marks').children.length) { S.marksToRender = false; renderMarks(); } else paintMarks();
  updateSaved();
  follow();
  root.dataset.ready = '1';
  root.dataset.drawn = String(S.rows ? S.rows.size : 0);

  // Safety net: anything still unacknowledged is re-sent (Python drops what it has stored); the
  // position reached is reported now and then; and once the keys pause (or every few seconds)
  // the `sync` trigger reruns the page's fragment, so its event list catches up with the store.
  const timer = setInterval(() => {
    const now = performance.now();
    const left = waiting();
    if (left.length && !S.inflight) {
      const wait = left.every((i) => i.failed) ? FLUSH_MS : RETRY_MS;
      if (now - (S.lastFlush || 0) >= wait) flush();
    } else if (!left.length && !S.inflight && S.reached > S.reachedSent + 1 && now - (S.lastFlush || 0) >= REACHED_MS) flush();
    const idle = now - (S.lastKey || 0) >= SYNC_IDLE_MS;
    const clicked = now - (S.lastPointer || -Infinity) < SYNC_AFTER_CLICK_MS;
    if (S.syncDue && !clicked && !S.inflight && !left.some((i) => !i.failed) && (idle || now - (S.lastSync || 0) >= SYNC_MAX_MS)) {
      S.syncDue = false; S.lastSync = now;
      // the position goes here only if the route has not taken it (the route down)
      const reached = S.reached > S.reachedSent + 1 ? S.reached : null;
      setTriggerValue('sync', { have: [S.epoch ?? null, S.rev ?? -1], reached, n: (S.syncs = (S.syncs || 0) + 1) });
    }
  }, RETRY_MS);
  if (S.outbox.length && !S.flushedRestored) { S.flushedRestored = true; setTimeout(flush, 50); }
  // Streamlit calls this function again on every change of `data` but the cleanup only on
  // unmount: each run first undoes the previous run's listeners, redraws and timer, or they
  // pile up (a stale closure then answers the keys, and each chain of redraws draws again).
  function cleanup() {
    if (S.cleanup !== cleanup) return;
    S.cleanup = null;
    S.cleanups = (S.cleanups || 0) + 1;
    window.removeEventListener('keydown', onKey, true);
    window.removeEventListener('pointerdown', onPointer, true);
    clearInterval(timer);
    cancelAnimationFrame(raf);
    clearTimeout(tick);
    if (vfc) video.cancelVideoFrameCallback(vfc);
    for (const type of VIDEO_EVENTS) video.removeEventListener(type, onVideo);
    resized.disconnect();
  }
  S.cleanup = cleanup;
  return cleanup;
}
