// AImoji training map: hover loupe, hold-to-zoom, full screen, save the emoji under the pointer.
// Plain JS, no libraries, no network requests: it must work when opened straight from a file.
(function () {
  "use strict";

  const M = window.AIMOJI_MAP; // written by `aimoji-train map` into manifest.js
  const ZOOM = 3; // how much press-and-hold magnifies
  const HOLD_MS = 180; // a shorter press is a click (or half a double click), not a hold
  const TAP_SLOP_PX = 12; // a touch that moves further is a scroll, not a tap

  const stage = document.getElementById("stage");
  const frame = document.getElementById("map-frame");
  const map = document.getElementById("map");
  const loupe = document.getElementById("loupe");
  const loupeCanvas = loupe.querySelector("canvas");
  const caption = loupe.querySelector(".caption");
  const toast = document.getElementById("toast");

  const nativeW = M.per_row * M.cell_w;
  const nativeH = M.rows * M.cell_h;
  const images = M.atlases.map(() => null); // atlas index -> decoded <img>, once loaded
  let loaded = 0;
  let current = -1; // image under the mouse, or shown in the touch loupe
  let holdTimer = 0;
  let touchStart = null;
  let lastPointerType = "mouse";

  // ---- geometry -------------------------------------------------------------------------------

  function atlasOf(index) {
    for (let a = M.atlases.length - 1; a >= 0; a--) {
      if (index >= M.atlases[a].first_index) return a;
    }
    return 0;
  }

  // Where image `index` sits inside its atlas, in atlas pixels.
  function sourceRect(index) {
    const a = atlasOf(index);
    const local = index - M.atlases[a].first_index;
    return { atlas: a, x: (local % M.per_row) * M.cell_w, y: Math.floor(local / M.per_row) * M.cell_h };
  }

  // The image under a viewport point, or -1. The rect is read live, so zoom and full screen just work.
  function indexAt(x, y) {
    const r = map.getBoundingClientRect();
    if (x < r.left || y < r.top || x >= r.right || y >= r.bottom) return -1;
    const col = Math.min(M.per_row - 1, Math.floor(((x - r.left) / r.width) * M.per_row));
    const row = Math.min(M.rows - 1, Math.floor(((y - r.top) / r.height) * M.rows));
    const index = row * M.per_row + col;
    return index < M.count ? index : -1;
  }

  // Size the map to the space it has; when the atlas pixels are scaled up, scale by a whole number
  // of device pixels so every training pixel is an even, sharp square (phones and 4K screens alike).
  function layout() {
    const full = document.fullscreenElement === stage;
    const dpr = window.devicePixelRatio || 1;
    frame.style.width = "";
    let availCss = full ? Math.min(window.innerWidth, (window.innerHeight * nativeW) / nativeH) : frame.clientWidth;
    const availDev = availCss * dpr;
    const upscaled = availDev >= nativeW;
    const widthDev = upscaled ? Math.floor(availDev / nativeW) * nativeW : availDev;
    map.style.width = widthDev / dpr + "px";
    map.style.height = (widthDev / dpr) * (nativeH / nativeW) + "px";
    if (full) frame.style.width = widthDev / dpr + "px";
    map.classList.toggle("upscaled", upscaled);
  }

  // ---- atlases --------------------------------------------------------------------------------

  function addAtlas(a, uri) {
    const info = M.atlases[a];
    const img = new Image();
    img.alt = "";
    img.draggable = false;
    img.style.top = (info.first_row / M.rows) * 100 + "%";
    img.style.height = (info.rows / M.rows) * 100 + "%";
    img.dataset.atlas = String(a);
    map.appendChild(img);
    img.onload = () => {
      images[a] = img;
      loaded += 1;
      if (current >= 0 && atlasOf(current) === a) drawLoupe(current);
      if (loaded === M.atlases.length) document.body.dataset.ready = "true";
    };
    img.src = uri;
  }

  // ---- loupe ----------------------------------------------------------------------------------

  function label(index) {
    let text = "#" + (index + 1).toLocaleString("en") + " · step " + M.steps[index];
    if (M.epochs) text += " · epoch " + M.epochs[index];
    return text;
  }

  function drawLoupe(index) {
    const src = sourceRect(index);
    const cssPx = loupeCanvas.getBoundingClientRect().width || 192;
    // Whole-number scale so each training pixel becomes an exact block (no smoothing, no seams).
    const k = Math.max(1, Math.ceil((cssPx * (window.devicePixelRatio || 1)) / M.cell_w));
    if (loupeCanvas.width !== M.cell_w * k) loupeCanvas.width = M.cell_w * k;
    if (loupeCanvas.height !== M.cell_h * k) loupeCanvas.height = M.cell_h * k;
    const ctx = loupeCanvas.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = "#222";
    ctx.fillRect(0, 0, loupeCanvas.width, loupeCanvas.height);
    const img = images[src.atlas];
    if (img) ctx.drawImage(img, src.x, src.y, M.cell_w, M.cell_h, 0, 0, M.cell_w * k, M.cell_h * k);
    loupe.dataset.index = String(index);
    caption.textContent = label(index);
  }

  function placeLoupe(x, y) {
    const gap = 24;
    const w = loupe.offsetWidth;
    const h = loupe.offsetHeight;
    // Right and below the pointer, flipped when that would leave the window.
    const left = x + gap + w > window.innerWidth ? x - gap - w : x + gap;
    const top = y + gap + h > window.innerHeight ? y - gap - h : y + gap;
    loupe.style.left = Math.max(0, left) + "px";
    loupe.style.top = Math.max(0, top) + "px";
  }

  function showAt(index, x, y) {
    current = index;
    if (index < 0) {
      loupe.hidden = true;
      return;
    }
    loupe.classList.remove("touch");
    loupe.hidden = false;
    drawLoupe(index);
    placeLoupe(x, y);
  }

  function openTouchLoupe(index) {
    if (index < 0) return;
    current = index;
    loupe.classList.add("touch");
    loupe.hidden = false;
    drawLoupe(index);
  }

  function closeLoupe() {
    loupe.hidden = true;
    loupe.classList.remove("touch");
    current = -1;
  }

  // ---- saving ---------------------------------------------------------------------------------

  function fileName(index) {
    const run = String(M.run).replace(/[^A-Za-z0-9._-]+/g, "_");
    return run + "-emoji-" + String(index + 1).padStart(5, "0") + "-step-" + M.steps[index] + ".png";
  }

  function notify(text) {
    toast.textContent = text;
    toast.hidden = false;
    clearTimeout(notify.timer);
    notify.timer = setTimeout(() => (toast.hidden = true), 2200);
  }

  // Exact training pixels: copy the atlas cell 1:1 into a canvas of the image's own size.
  function save(index) {
    if (index < 0) {
      notify("Point at an emoji first");
      return;
    }
    const src = sourceRect(index);
    const img = images[src.atlas];
    if (!img) {
      notify("Still loading, try again in a moment");
      return;
    }
    const canvas = document.createElement("canvas");
    canvas.width = M.cell_w;
    canvas.height = M.cell_h;
    canvas.getContext("2d").drawImage(img, src.x, src.y, M.cell_w, M.cell_h, 0, 0, M.cell_w, M.cell_h);
    const name = fileName(index);
    canvas.toBlob((blob) => {
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = name;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      notify("Saved " + name);
    }, "image/png");
  }

  // ---- full screen and zoom -------------------------------------------------------------------

  function toggleFullscreen() {
    if (document.fullscreenElement) document.exitFullscreen();
    else if (stage.requestFullscreen) stage.requestFullscreen().catch(() => notify("Full screen is not allowed here"));
  }

  // Magnify around the point under the pointer; that point stays put while everything else grows.
  function zoomAt(x, y) {
    const r = map.getBoundingClientRect();
    map.style.transformOrigin = x - r.left + "px " + (y - r.top) + "px";
    map.style.transform = "scale(" + ZOOM + ")";
    map.classList.add("zoomed");
  }

  function unzoom() {
    clearTimeout(holdTimer);
    map.classList.remove("zoomed");
    map.style.transform = "";
  }

  // ---- events ---------------------------------------------------------------------------------

  map.addEventListener("pointermove", (e) => {
    lastPointerType = e.pointerType;
    if (e.pointerType !== "mouse") return;
    showAt(indexAt(e.clientX, e.clientY), e.clientX, e.clientY);
  });
  map.addEventListener("pointerleave", (e) => {
    if (e.pointerType === "mouse") showAt(-1, 0, 0);
    unzoom();
  });
  map.addEventListener("pointerdown", (e) => {
    lastPointerType = e.pointerType;
    if (e.pointerType === "mouse") {
      if (e.button !== 0) return;
      const x = e.clientX;
      const y = e.clientY;
      holdTimer = setTimeout(() => zoomAt(x, y), HOLD_MS);
    } else {
      touchStart = { x: e.clientX, y: e.clientY, t: e.timeStamp };
    }
  });
  window.addEventListener("pointerup", (e) => {
    if (e.pointerType === "mouse") {
      unzoom();
      return;
    }
    if (!touchStart) return;
    const moved = Math.hypot(e.clientX - touchStart.x, e.clientY - touchStart.y);
    if (moved <= TAP_SLOP_PX) openTouchLoupe(indexAt(e.clientX, e.clientY));
    touchStart = null;
  });
  window.addEventListener("pointercancel", () => (touchStart = null));
  map.addEventListener("contextmenu", (e) => {
    e.preventDefault();
    save(indexAt(e.clientX, e.clientY));
  });
  map.addEventListener("dblclick", (e) => {
    e.preventDefault();
    if (lastPointerType === "mouse") toggleFullscreen();
  });
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const key = e.key.toLowerCase();
    if (key === "f") toggleFullscreen();
    else if (key === "s") save(current);
    else if (key === "escape") closeLoupe();
    else if ((key === "arrowleft" || key === "arrowright") && loupe.classList.contains("touch")) {
      openTouchLoupe(Math.max(0, Math.min(M.count - 1, current + (key === "arrowleft" ? -1 : 1))));
    } else return;
    e.preventDefault();
  });
  loupe.addEventListener("click", (e) => {
    const action = e.target.dataset && e.target.dataset.action;
    if (action === "save") save(current);
    else if (action === "close") closeLoupe();
    else if (action === "prev") openTouchLoupe(Math.max(0, current - 1));
    else if (action === "next") openTouchLoupe(Math.min(M.count - 1, current + 1));
  });
  document.getElementById("fullscreen-button").addEventListener("click", toggleFullscreen);
  document.addEventListener("fullscreenchange", layout);
  window.addEventListener("resize", layout);
  layout();

  // The atlas scripts call AIMOJI.addAtlas; the rest is there for people poking at the page (and tests).
  window.AIMOJI = { addAtlas, indexAt, save, fileName, current: () => current };
})();
