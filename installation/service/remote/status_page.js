// The status page: reads /status.json every second and /thumbnail.png a few times a second; control
// buttons POST /control with the token typed in (kept in sessionStorage, sent only as a header).
"use strict";
const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "aimoji-control-token";

function duration(s) {
  s = Math.floor(s);
  const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
  return (d ? d + "d " : "") + String(h).padStart(2, "0") + ":" + String(m).padStart(2, "0") + ":" +
    String(s % 60).padStart(2, "0");
}

function fill(list, items) {
  list.replaceChildren(...items.map((text) => {
    const li = document.createElement("li");
    li.textContent = text;
    return li;
  }));
}

// Times in the state are the venue's local ISO times ("2026-12-05T23:00:00+01:00"): shown as written there,
// with the zone's name once, so a phone in another zone reads the venue's clock.
function venueTime(iso) {
  if (!iso) return "none";
  const [day, time] = iso.split("T");
  return day + " " + time.slice(0, 5);
}

function describeOverride(kind, o) {
  let value = o.value;
  if (kind === "blackout") value = value.fade_s ? "(fade " + value.fade_s + " s)" : "";
  else if (kind === "freeze") value = "";
  else if (kind === "cue") value = "'" + value + "'";
  const until = o.until ? " until " + venueTime(o.until).slice(11) : "";
  return (kind + " " + value).trim() + " by " + o.by + until;
}

// One word for the badge: what a visitor sees, then what health says.
function badge(st) {
  const pl = st.player;
  if (st.phase === "unhealthy" || st.phase === "starting") return st.phase;
  if (pl.overrides.blackout) return "blackout";
  if (pl.overrides.freeze) return "frozen";
  if (pl.activity === "closed") return "closed";
  return st.phase === "degraded" ? "degraded" : pl.activity;
}

let playlist = "";
function show(st) {
  const pl = st.player, frames = pl.frames;
  const title = pl.show.startsWith("AImoji") ? pl.show : "AImoji — " + pl.show;
  $("title").textContent = title;
  const word = badge(st);
  document.title = title + ": " + word;
  $("state").textContent = word;
  $("state").className = word;
  fill($("why"), st.problems.concat(st.degraded));
  $("model").textContent = pl.model || "–";
  $("scene").textContent = pl.scene ? pl.scene + (pl.scene_index ? " (" + pl.scene_index + " of " +
    pl.playlist.length + ")" : "") + (pl.mood ? ", " + pl.mood : "") : "–";
  $("fps").textContent = frames.last_monotonic != null ?
    frames.fps.toFixed(1) + " (target " + frames.target_fps + ")" : "–";
  $("dropped").textContent = frames.dropped + " of " + frames.shown + " frames";
  $("uptime").textContent = duration(pl.uptime_s);
  $("next").textContent = venueTime(pl.next_change);
  $("zone").textContent = pl.timezone;
  $("clock").textContent = pl.clock ? pl.clock.line : "not looked at yet";
  $("pending").textContent = pl.pending ? "'" + pl.pending.show + "' at " + venueTime(pl.pending.at).slice(11) +
    (pl.pending.cue ? " (cued by " + pl.pending.cue.by + ")" : "") : "none";
  const held = Object.entries(pl.overrides).map(([k, o]) => describeOverride(k, o));
  $("overrides").textContent = held.length ? held.join("; ") : "none";
  fill($("errors"), st.errors.slice(-5).reverse().map((e) =>
    e.at.replace("T", " ").slice(0, 16) + " UTC " + e.level + ": " + e.message + (e.count > 1 ? " (x" + e.count + ")" : "")));
  const scenes = pl.playlist.join(",");
  if (scenes !== playlist) {
    playlist = scenes;
    $("scene-choice").replaceChildren(...pl.playlist.map((kind, i) => {
      const o = document.createElement("option");
      o.value = String(i + 1);
      o.textContent = (i + 1) + ": " + kind;
      return o;
    }));
  }
  document.body.dataset.ready = "true";
}

async function poll() {
  try {
    const r = await fetch("/status.json", {cache: "no-store"});
    show(await r.json());
  } catch (e) {
    $("state").textContent = "unreachable";
    $("state").className = "unreachable";
  }
  setTimeout(poll, 1000);
}

let shown = null;
async function thumbnail() {
  try {
    const r = await fetch("/thumbnail.png", {cache: "no-store"});
    if (r.status === 200) {
      const url = URL.createObjectURL(await r.blob());
      $("thumbnail").src = url;
      if (shown) URL.revokeObjectURL(shown);
      shown = url;
      $("picture").classList.remove("none");
    } else {
      $("picture").classList.add("none");
    }
  } catch (e) {
    $("picture").classList.add("none");
  }
  setTimeout(thumbnail, 300);
}

async function send(action, args) {
  const token = $("token").value.trim();
  const out = $("result");
  try {
    const r = await fetch("/control", {
      method: "POST", cache: "no-store",
      headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token},
      body: JSON.stringify({action: action, args: args}),
    });
    const answer = await r.json();
    out.className = r.ok ? "good" : "bad";
    out.textContent = r.ok ? "sent: " + action + " " + JSON.stringify(args) : "refused: " + answer.error;
  } catch (e) {
    out.className = "bad";
    out.textContent = "not sent: " + e;
  }
}

$("token").value = sessionStorage.getItem(TOKEN_KEY) || "";
$("token").addEventListener("input", () => sessionStorage.setItem(TOKEN_KEY, $("token").value.trim()));
for (const b of document.querySelectorAll("button[data-action]")) {
  b.addEventListener("click", () => send(b.dataset.action, JSON.parse(b.dataset.args || "[]")));
}
$("scene-go").addEventListener("click", () => send("scene", [Number($("scene-choice").value)]));
$("mood-go").addEventListener("click", () => send("mood", [$("mood-choice").value]));
setInterval(() => { $("timeline").src = "/timeline.svg?" + Date.now(); }, 60000);
poll();
thumbnail();
