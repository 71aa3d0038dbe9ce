// The page of `shendu serve`: pick a model, give it an input (a drawing, an image, a text,
// numbers or an audio clip) and see its prediction live. Plain JavaScript, no build step and
// nothing fetched from elsewhere: it talks to this service's /v1 API only.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const TOKEN_KEY = "shendu.token";
  const MODEL_KEY = "shendu.model";
  const RECENT_MAX = 10;
  const DRAW_EVERY_MS = 150;   // live predictions while drawing
  const TYPE_DEBOUNCE_MS = 300; // live predictions while typing
  const EXPLAIN = 50;          // attended tokens asked of text models with attention
  const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4",
                   "#42d4f4", "#f032e6", "#bfef45", "#fabed4", "#469990"];

  const state = {
    models: [],
    model: null,        // the chosen model's description (GET /v1/models)
    token: localStorage.getItem(TOKEN_KEY) || "",
    generation: 0,      // bumped when the input is cleared or the model changes: late answers are dropped
    drawn: false,       // the canvas holds strokes
    upload: null,       // {dataUrl, image, name}: the uploaded image, when it is the input
    audio: null,        // {dataUrl, name}
    recent: [],
  };

  // ---------------------------------------------------------------- API calls

  async function api(method, path, body, modelName) {
    const headers = {};
    if (state.token) headers.Authorization = "Bearer " + state.token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const started = performance.now();
    let response;
    try {
      response = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
    } catch (exc) {
      const clientMs = performance.now() - started;
      addRecent({model: modelName, status: "failed", clientMs});
      return {ok: false, status: 0, data: {error: "could not reach the service (" + exc.message + ")"}};
    }
    let data;
    const text = await response.text();
    try {
      data = JSON.parse(text);
    } catch (exc) {
      data = {error: text.slice(0, 300) || response.statusText};
    }
    const clientMs = performance.now() - started;
    addRecent({model: modelName, status: response.status, clientMs,
               serverMs: data && typeof data.latency_ms === "number" ? data.latency_ms : null,
               batch: data && typeof data.batch_size === "number" ? data.batch_size : null});
    if (response.status === 401) askToken(data && data.error);
    return {ok: response.ok, status: response.status, data, clientMs};
  }

  function addRecent(entry) {
    entry.at = new Date();
    state.recent.unshift(entry);
    state.recent.length = Math.min(state.recent.length, RECENT_MAX);
    const body = $("recent");
    body.textContent = "";
    for (const r of state.recent) {
      const row = document.createElement("tr");
      const ok = typeof r.status === "number" && r.status < 400;
      row.className = ok ? "ok" : "failed";
      row.title = r.at.toLocaleTimeString();
      cells(row, [r.model || "(models list)", String(r.status), ms(r.clientMs),
                  r.serverMs == null ? "—" : ms(r.serverMs), r.batch == null ? "—" : String(r.batch)]);
      body.appendChild(row);
    }
  }

  function cells(row, values) {
    values.forEach((value, i) => {
      const cell = document.createElement("td");
      cell.textContent = value;
      cell.className = ["r-model", "r-status", "r-client", "r-server", "r-batch"][i];
      row.appendChild(cell);
    });
  }

  const ms = (value) => (value < 10 ? value.toFixed(1) : Math.round(value).toString()) + " ms";

  // ---------------------------------------------------------------- errors and the token

  function showError(message) {
    const box = $("error");
    box.textContent = message;
    box.hidden = false;
  }

  function clearError() {
    $("error").hidden = true;
    $("error").textContent = "";
  }

  function errorOf(result) {
    const message = result.data && result.data.error ? result.data.error : JSON.stringify(result.data);
    return result.status ? result.status + ": " + message : message;
  }

  function askToken(why) {
    $("token-box").hidden = false;
    $("token-why").textContent = state.token ? "The service refused this token." : "This service needs a token.";
    if (why) $("token-why").title = why;
    $("token").focus();
  }

  $("token-box").addEventListener("submit", (event) => {
    event.preventDefault();
    state.token = $("token").value.trim();
    if (state.token) localStorage.setItem(TOKEN_KEY, state.token);
    else localStorage.removeItem(TOKEN_KEY);
    $("token-box").hidden = true;
    clearError();
    if (state.models.length) predictSoon(0);
    else loadModels();
  });

  $("token-show").addEventListener("click", () => {
    $("token").value = state.token;
    $("token-box").hidden = !$("token-box").hidden;
  });

  // ---------------------------------------------------------------- models

  async function loadModels() {
    $("model-info").textContent = "loading the models…";
    const result = await api("GET", "/v1/models");
    if (result.status === 503) {  // still loading: ask again shortly
      $("model-info").textContent = "the models are loading…";
      setTimeout(loadModels, 1000);
      return;
    }
    if (!result.ok) {
      $("model-info").textContent = "";
      if (result.status !== 401) showError(errorOf(result));
      else showError(errorOf(result) + " Enter the token above.");
      return;
    }
    clearError();
    state.models = result.data.models;
    const select = $("model");
    select.textContent = "";
    for (const m of state.models) {
      const option = document.createElement("option");
      option.value = m.name;
      const metric = headlineMetric(m);
      option.textContent = m.name + " — " + m.task + (metric ? " · " + metric : "");
      select.appendChild(option);
    }
    select.disabled = state.models.length === 0;
    const wanted = new URLSearchParams(location.search).get("model") || localStorage.getItem(MODEL_KEY);
    const chosen = state.models.find((m) => m.name === wanted) || state.models[0];
    if (chosen) {
      select.value = chosen.name;
      chooseModel(chosen.name);
    } else {
      $("model-info").textContent = "this service serves no model";
    }
  }

  // the test metric a model is best described by, as text ("accuracy 98.9%")
  function headlineMetric(model) {
    const metrics = model.metrics || {};
    const order = [["test_accuracy", "accuracy", true], ["test_acc", "accuracy", true], ["test_map_50", "mAP@0.5", true],
                   ["test_f1", "F1", true], ["test_rmse", "RMSE", false], ["test_mae", "MAE", false],
                   ["test_cer", "CER", true], ["test_wer", "WER", true]];
    for (const [key, name, percent] of order) {
      if (typeof metrics[key] === "number") return name + " " + formatMetric(metrics[key], percent);
    }
    const key = Object.keys(metrics).find((k) => k.startsWith("test_") && typeof metrics[k] === "number");
    return key ? key.slice(5) + " " + formatMetric(metrics[key], false) : "";
  }

  function formatMetric(value, percent) {
    if (percent && value >= 0 && value <= 1) return (100 * value).toFixed(1) + "%";
    return Math.abs(value) >= 100 ? value.toFixed(1) : value.toPrecision(4);
  }

  $("model").addEventListener("change", (event) => chooseModel(event.target.value));

  function chooseModel(name) {
    const model = state.models.find((m) => m.name === name);
    if (!model) return;
    state.model = model;
    state.generation += 1;
    localStorage.setItem(MODEL_KEY, name);
    const metric = headlineMetric(model);
    const info = [model.recipe, model.task, metric ? "test " + metric : "",
                  model.num_parameters ? model.num_parameters.toLocaleString() + " parameters" : "",
                  model.labels && model.labels.length ? model.labels.length + " classes" : ""];
    $("model-info").textContent = info.filter(Boolean).join(" · ");
    document.body.dataset.task = model.task;
    document.body.dataset.field = model.input_field;
    const field = model.input_field;
    const detector = model.task === "object-detection";
    $("image-input").hidden = field !== "image";
    $("text-input").hidden = field !== "text";
    $("numbers-input").hidden = field !== "numbers";
    $("audio-input").hidden = field !== "audio";
    $("caption-row").hidden = model.input_kind !== "multimodal";
    $("threshold-row").hidden = !detector;
    $("use-canvas").hidden = true;
    $("input-title").textContent = {image: detector ? "Image (draw digits or upload a picture)" : "Draw or upload an image",
                                    text: "Text", numbers: "Numbers", audio: "Audio"}[field] || "Input";
    if (field === "numbers") $("numbers-hint").textContent = numbersHint(model);
    clearError();
    clearOutput();
    if (hasInput()) predictSoon(0);
  }

  function numbersHint(model) {
    const input = model.input || {};
    if (model.input_kind === "series") {
      return "A history, oldest first" + (input.lookback ? " (the last " + input.lookback + " values are read)" : "") + ".";
    }
    return input.features ? model.input_kind + " of " + input.features + " features." : "";
  }

  // ---------------------------------------------------------------- predictions

  // one request in flight at most; an input that changes meanwhile is predicted right after
  const runner = {busy: false, again: false, timer: null};

  function predictSoon(delay) {
    clearTimeout(runner.timer);
    runner.timer = setTimeout(predictNow, delay);
  }

  function predictNow() {
    if (runner.busy) {
      runner.again = true;
      return;
    }
    runner.busy = true;
    predict().finally(() => {
      runner.busy = false;
      if (runner.again) {
        runner.again = false;
        predictNow();
      }
    });
  }

  function hasInput() {
    const model = state.model;
    if (!model) return false;
    switch (model.input_field) {
      case "image": return state.drawn || state.upload !== null;
      case "text": return $("text").value.trim() !== "";
      case "numbers": return $("numbers").value.trim() !== "";
      case "audio": return state.audio !== null;
      default: return false;
    }
  }

  function requestBody(model) {
    const body = {};
    const options = model.options || [];
    if (model.input_field === "image") {
      body.image = state.upload ? state.upload.dataUrl : $("canvas").toDataURL("image/png");
      if (model.input_kind === "multimodal") body.caption = $("caption").value || " ";
    } else if (model.input_field === "text") {
      body.text = $("text").value;
    } else if (model.input_field === "numbers") {
      const parts = $("numbers").value.split(/[\s,;]+/).filter((p) => p !== "");
      const numbers = parts.map(Number);
      const bad = parts.find((p, i) => !Number.isFinite(numbers[i]));
      if (bad !== undefined) throw new Error(JSON.stringify(bad) + " is not a number; separate numbers with commas.");
      body.numbers = numbers;
    } else if (model.input_field === "audio") {
      body.audio = state.audio.dataUrl;
    }
    if (options.includes("top_k") && model.labels && model.labels.length) {
      body.top_k = Math.min(1000, Math.max(1, model.labels.length));
    }
    if (options.includes("explain") && model.attention) body.explain = EXPLAIN;
    if (options.includes("score_threshold")) body.score_threshold = Number($("threshold").value);
    return body;
  }

  async function predict() {
    const model = state.model;
    if (!model || !hasInput()) return;
    const generation = state.generation;
    let body;
    try {
      body = requestBody(model);
    } catch (exc) {
      showError(exc.message);
      return;
    }
    // what the answer is drawn over: the text or the image as they were when sent
    const sent = {text: body.text, image: model.input_field === "image" ? await sourceImage() : null};
    const result = await api("POST", "/v1/models/" + encodeURIComponent(model.name) + "/predict", body, model.name);
    if (generation !== state.generation || model !== state.model) return;  // cleared or switched meanwhile
    if (!result.ok) {
      showError(errorOf(result));
      return;
    }
    clearError();
    render(model, result.data.predictions[0], sent);
    $("timing").textContent = "server " + ms(result.data.latency_ms) + " · round trip " + ms(result.clientMs) +
                              " · batch of " + result.data.batch_size;
    $("raw").textContent = JSON.stringify(result.data, null, 2);
  }

  function clearOutput() {
    for (const id of ["result", "bars", "detections", "box-count", "forecast", "timing", "raw", "highlight"]) {
      $(id).textContent = "";
    }
    $("highlight").hidden = true;
    $("forecast").hidden = true;
    $("detect-output").hidden = true;
    document.body.removeAttribute("data-boxes");
  }

  function render(model, prediction, sent) {
    clearOutput();
    if (!prediction) return;
    if (model.task === "object-detection") {
      renderDetections(prediction, sent.image);
    } else if (prediction.top) {
      renderClasses(model, prediction);
    } else if (model.task === "text-classification") {
      renderText(model, prediction, sent.text);
    } else if (prediction.forecast) {
      renderForecast(prediction);
    } else if (prediction.transcript !== undefined) {
      setResult(prediction.transcript || "(nothing heard)", prediction.greedy ? "greedy: " + prediction.greedy : "");
    } else {
      setResult("done", "");
    }
  }

  function setResult(main, detail) {
    const result = $("result");
    result.textContent = "";
    const big = document.createElement("span");
    big.className = "answer";
    big.id = "answer";
    big.textContent = main;
    result.appendChild(big);
    if (detail) {
      const small = document.createElement("span");
      small.className = "detail";
      small.textContent = detail;
      result.appendChild(small);
    }
  }

  // class probabilities as horizontal bars, in the model's label order (they do not jump around
  // while drawing), the predicted class marked
  function renderBars(labels, probabilities, best) {
    const bars = $("bars");
    bars.textContent = "";
    for (const label of labels) {
      const p = probabilities[label] || 0;
      const bar = document.createElement("div");
      bar.className = "bar" + (label === best ? " best" : "");
      bar.dataset.label = label;
      bar.dataset.probability = String(p);
      const name = document.createElement("span");
      name.className = "bar-label";
      name.textContent = label;
      const track = document.createElement("span");
      track.className = "bar-track";
      const fill = document.createElement("span");
      fill.className = "bar-fill";
      fill.style.width = (100 * p).toFixed(1) + "%";
      track.appendChild(fill);
      const value = document.createElement("span");
      value.className = "bar-value";
      value.textContent = (100 * p).toFixed(1) + "%";
      bar.append(name, track, value);
      bars.appendChild(bar);
    }
  }

  function renderClasses(model, prediction) {
    const probabilities = {};
    for (const item of prediction.top) probabilities[item.label] = item.probability;
    const best = prediction.top[0];
    const labels = model.labels && model.labels.length ? model.labels : prediction.top.map((t) => t.label);
    setResult(best.label, (100 * best.probability).toFixed(1) + "% sure");
    renderBars(labels, probabilities, best.label);
    const notes = [];
    if (prediction.image_only) notes.push("image alone: " + prediction.image_only.label);
    if (prediction.text_only) notes.push("caption alone: " + prediction.text_only.label);
    if (notes.length) $("result").lastChild.textContent += " · " + notes.join(" · ");
  }

  function renderText(model, prediction, text) {
    const label = prediction.sentiment !== undefined ? prediction.sentiment : prediction.label;
    setResult(label, (100 * prediction.confidence).toFixed(1) + "% sure");
    $("answer").classList.add("label-" + String(label).toLowerCase().replace(/[^a-z0-9]+/g, "-"));
    const labels = model.labels && model.labels.length ? model.labels : Object.keys(prediction.probabilities);
    renderBars(labels, prediction.probabilities, label);
    if (prediction.attention && text) highlight(text, prediction.attention);
  }

  // the text's words, each with a background as opaque as the model's attention to it
  // (tokens matched to words case- and accent-insensitively, as the tokenizer normalises)
  function highlight(text, attention) {
    const fold = (s) => s.toLowerCase().normalize("NFD").replace(/\p{M}/gu, "");
    const weights = new Map();
    let top = 0;
    for (const {token, weight} of attention) {
      const key = fold(token);
      weights.set(key, Math.max(weights.get(key) || 0, weight));
      top = Math.max(top, weight);
    }
    const box = $("highlight");
    box.textContent = "";
    const pieces = /(\s+)|(\p{Script=Han})|([\p{L}\p{N}\p{M}]+)|([^\s])/gsu;
    let match;
    let marked = 0;
    while ((match = pieces.exec(text)) !== null) {
      const piece = match[0];
      const weight = match[1] ? 0 : weights.get(fold(piece)) || 0;
      if (weight > 0 && top > 0) {
        const span = document.createElement("span");
        span.className = "attended";
        span.textContent = piece;
        span.title = "attention " + weight.toFixed(4);
        span.dataset.weight = String(weight);
        span.style.backgroundColor = "rgba(255, 166, 0, " + (weight / top).toFixed(3) + ")";
        box.appendChild(span);
        marked += 1;
      } else {
        box.appendChild(document.createTextNode(piece));
      }
    }
    box.hidden = false;
    box.dataset.marked = String(marked);
  }

  function renderForecast(prediction) {
    setResult("next " + prediction.horizon + ": " + prediction.forecast.map((v) => formatMetric(v, false)).join(", "),
              "from the last " + prediction.history_used + " values");
    const history = $("numbers").value.split(/[\s,;]+/).filter(Boolean).map(Number)
      .slice(-prediction.history_used);
    const values = history.concat(prediction.forecast);
    if (values.length < 2) return;
    const width = 320, height = 120, low = Math.min(...values), high = Math.max(...values);
    const x = (i) => (i / (values.length - 1)) * (width - 8) + 4;
    const y = (v) => height - 4 - ((v - low) / (high - low || 1)) * (height - 8);
    const points = (list, offset) => list.map((v, i) => x(i + offset).toFixed(1) + "," + y(v).toFixed(1)).join(" ");
    const svgNS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(svgNS, "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("class", "chart");
    const past = document.createElementNS(svgNS, "polyline");
    past.setAttribute("points", points(history, 0));
    past.setAttribute("class", "past");
    const future = document.createElementNS(svgNS, "polyline");
    future.setAttribute("points", points(history.slice(-1).concat(prediction.forecast), Math.max(0, history.length - 1)));
    future.setAttribute("class", "future");
    svg.append(past, future);
    $("forecast").appendChild(svg);
    $("forecast").hidden = false;
  }

  // ---------------------------------------------------------------- detections

  function renderDetections(prediction, image) {
    const found = prediction.detections || [];
    const threshold = thresholdText();
    setResult(found.length === 1 ? "1 box" : found.length + " boxes", "score ≥ " + threshold);
    $("detect-output").hidden = false;
    document.body.dataset.boxes = String(found.length);
    $("box-count").textContent = found.length ? "" : "no boxes at score ≥ " + threshold +
      "; lower the threshold to see weaker ones.";
    const list = $("detections");
    for (const d of found) {
      const item = document.createElement("li");
      item.className = "detection";
      item.dataset.label = d.label;
      item.dataset.score = String(d.score);
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.backgroundColor = colour(d.label);
      item.append(swatch, document.createTextNode(d.label + " · " + d.score.toFixed(3) + " · [" +
                                                  d.box.map((v) => Math.round(v)).join(", ") + "]"));
      list.appendChild(item);
    }
    drawBoxes(image, found);
  }

  function colour(label) {
    const labels = (state.model && state.model.labels) || [];
    const index = labels.indexOf(label);
    return PALETTE[(index >= 0 ? index : label.length) % PALETTE.length];
  }

  function drawBoxes(image, found) {
    const canvas = $("boxes");
    if (!image) return;
    const side = 420;
    const scale = Math.min(side / image.width, side / image.height);
    canvas.width = Math.max(1, Math.round(image.width * scale));
    canvas.height = Math.max(1, Math.round(image.height * scale));
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = scale < 1;
    ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
    ctx.lineWidth = 2;
    ctx.font = "bold 13px system-ui, sans-serif";
    ctx.textBaseline = "top";
    for (const d of found) {
      const [x1, y1, x2, y2] = d.box.map((v) => v * scale);
      ctx.strokeStyle = colour(d.label);
      ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
      const text = d.label + " " + d.score.toFixed(d.score < 0.1 ? 3 : 2);
      const w = ctx.measureText(text).width + 6;
      const top = y1 >= 17 ? y1 - 17 : y1;
      ctx.fillStyle = colour(d.label);
      ctx.fillRect(x1, top, w, 17);
      ctx.fillStyle = "#000";
      ctx.fillText(text, x1 + 3, top + 2);
    }
  }

  // the image that was sent, as something drawImage takes (a copy of the canvas, or the upload)
  function sourceImage() {
    if (state.upload) return Promise.resolve(state.upload.image);
    const copy = document.createElement("canvas");
    copy.width = $("canvas").width;
    copy.height = $("canvas").height;
    copy.getContext("2d").drawImage($("canvas"), 0, 0);
    return Promise.resolve(copy);
  }

  // 0.50, 0.05; 0.095 (set finer than the slider's hundredths)
  function thresholdText() {
    const value = Number($("threshold").value);
    return Math.abs(100 * value - Math.round(100 * value)) < 1e-6 ? value.toFixed(2) : value.toFixed(3);
  }

  $("threshold").addEventListener("input", () => {
    $("threshold-value").textContent = thresholdText();
    predictSoon(DRAW_EVERY_MS);
  });

  // ---------------------------------------------------------------- the drawing canvas

  const canvas = $("canvas");
  const ctx = canvas.getContext("2d");
  let stroke = null;       // the last point of the stroke being drawn
  let lastSent = 0;

  function blank() {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  }

  function point(event) {
    const rect = canvas.getBoundingClientRect();
    return {x: (event.clientX - rect.left) * (canvas.width / rect.width),
            y: (event.clientY - rect.top) * (canvas.height / rect.height)};
  }

  function startStroke(event) {
    if (state.upload) {  // drawing over an uploaded picture: the canvas (with it) becomes the input
      state.upload = null;
      $("use-canvas").hidden = true;
    }
    stroke = point(event);
    ctx.strokeStyle = "#fff";
    ctx.fillStyle = "#fff";
    ctx.lineWidth = Math.round(canvas.width / 14);
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.arc(stroke.x, stroke.y, ctx.lineWidth / 2, 0, 2 * Math.PI);
    ctx.fill();
    state.drawn = true;
  }

  function continueStroke(event) {
    if (!stroke) return;
    const next = point(event);
    ctx.beginPath();
    ctx.moveTo(stroke.x, stroke.y);
    ctx.lineTo(next.x, next.y);
    ctx.stroke();
    stroke = next;
    const now = performance.now();
    if (now - lastSent >= DRAW_EVERY_MS) {
      lastSent = now;
      predictSoon(0);
    }
  }

  function endStroke() {
    if (!stroke) return;
    stroke = null;
    lastSent = performance.now();
    predictSoon(0);
  }

  if (window.PointerEvent) {  // mouse, touch and pen alike
    canvas.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      startStroke(event);
    });
    canvas.addEventListener("pointermove", (event) => {
      const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
      for (const e of events.length ? events : [event]) continueStroke(e);
    });
    canvas.addEventListener("pointerup", endStroke);
    canvas.addEventListener("pointercancel", endStroke);
  } else {  // older browsers: mouse and touch events
    canvas.addEventListener("mousedown", (event) => startStroke(event));
    window.addEventListener("mousemove", (event) => continueStroke(event));
    window.addEventListener("mouseup", endStroke);
    const first = (handler) => (event) => {
      event.preventDefault();
      handler(event.changedTouches[0]);
    };
    canvas.addEventListener("touchstart", first(startStroke), {passive: false});
    canvas.addEventListener("touchmove", first(continueStroke), {passive: false});
    canvas.addEventListener("touchend", first(endStroke), {passive: false});
  }

  $("clear").addEventListener("click", () => {
    blank();
    state.drawn = false;
    state.upload = null;
    state.generation += 1;
    $("upload").value = "";
    $("use-canvas").hidden = true;
    clearError();
    clearOutput();
  });

  $("use-canvas").addEventListener("click", () => {
    state.upload = null;
    $("use-canvas").hidden = true;
    state.generation += 1;
    clearOutput();
    if (hasInput()) predictSoon(0);
  });

  // ---------------------------------------------------------------- uploads

  function readFile(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
  }

  function loadImage(url) {
    return new Promise((resolve, reject) => {
      const image = new Image();
      image.onload = () => resolve(image);
      image.onerror = () => reject(new Error("the browser cannot show this file as an image"));
      image.src = url;
    });
  }

  async function useImageFile(file) {
    if (!file) return;
    let dataUrl, image;
    try {
      dataUrl = await readFile(file);
      image = await loadImage(dataUrl);
    } catch (exc) {
      // the service says best what is wrong with the file: send it anyway
      dataUrl = dataUrl || "";
      image = null;
      if (!dataUrl) {
        showError(file.name + ": " + exc.message);
        return;
      }
    }
    state.upload = {dataUrl, image, name: file.name};
    state.generation += 1;
    blank();
    if (image) {  // shown on the canvas, fitted; the file itself is what is sent
      const scale = Math.min(canvas.width / image.width, canvas.height / image.height);
      const w = image.width * scale, h = image.height * scale;
      ctx.drawImage(image, (canvas.width - w) / 2, (canvas.height - h) / 2, w, h);
    }
    state.drawn = false;
    $("use-canvas").hidden = false;
    clearOutput();
    predictSoon(0);
  }

  $("upload").addEventListener("change", (event) => useImageFile(event.target.files[0]));
  canvas.addEventListener("dragover", (event) => event.preventDefault());
  canvas.addEventListener("drop", (event) => {
    event.preventDefault();
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) useImageFile(file);
  });

  $("audio").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    state.audio = {dataUrl: await readFile(file), name: file.name};
    state.generation += 1;
    clearOutput();
    predictSoon(0);
  });

  // ---------------------------------------------------------------- text and numbers

  $("text").addEventListener("input", () => {
    if (!hasInput()) {
      state.generation += 1;
      clearOutput();
      return;
    }
    predictSoon(TYPE_DEBOUNCE_MS);
  });
  $("caption").addEventListener("input", () => { if (hasInput()) predictSoon(TYPE_DEBOUNCE_MS); });
  $("numbers").addEventListener("input", () => { if (hasInput()) predictSoon(TYPE_DEBOUNCE_MS); });
  $("numbers").addEventListener("keydown", (event) => { if (event.key === "Enter") predictSoon(0); });
  $("predict").addEventListener("click", () => predictSoon(0));

  // ---------------------------------------------------------------- start

  blank();
  loadModels();
})();
