// srkit serve: the page's logic. Plain JavaScript, no libraries: upload, poll the job, compare, download.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { file: null, models: {}, inputUrl: null, polling: null };

function show(id, visible) { $(id).hidden = !visible; }

function error(message) {
  $("error").textContent = message;
  show("error", Boolean(message));
}

async function detail(response) {
  try {
    const body = await response.json();
    return typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
  } catch (e) {
    return response.statusText;
  }
}

async function loadModels() {
  const response = await fetch("/api/models");
  const body = await response.json();
  for (const m of body.models) {
    state.models[m.name] = m;
    const option = document.createElement("option");
    option.value = m.name;
    option.textContent = m.name;
    $("model").append(option);
  }
  describeModel();
}

function describeModel() {
  const m = state.models[$("model").value];
  if (!m) return;
  const params = m.params ? `${(m.params / 1000).toFixed(1)}K parameters` : "";
  const scores = ["Set5 x4", "Set14 x4"].filter((k) => m.training[k]).map((k) => `${k} ${m.training[k]}`);
  $("model-info").textContent = [m.suits, m.arch + (params ? `, ${params}` : ""), scores.join(", ")]
    .filter(Boolean).join(" · ");
}

function choose(file) {
  if (!file) return;
  state.file = file;
  const size = file.size < 1024 ? `${file.size} bytes` : `${(file.size / 1024).toFixed(0)} KB`;
  $("drop-text").textContent = `${file.name} (${size}): press Upscale, or drop another`;
  $("go").disabled = false;
  error("");
}

function fact(list, term, value) {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = value;
  list.append(dt, dd);
}

function setSplit(value) {
  $("before").style.clipPath = `inset(0 ${100 - value}% 0 0)`;
  $("divider").style.left = `${value}%`;
}

function setZoom() {
  const zoom = $("zoom").value;
  const width = $("after").naturalWidth;
  $("stage").style.width = zoom === "fit" || !width ? "100%" : `${width * Number(zoom)}px`;
}

function finished(job) {
  const url = `/api/jobs/${job.id}/result`;
  show("progress-box", false);
  $("after").src = url;
  $("before").src = state.inputUrl;
  $("download").href = url;
  $("download").setAttribute("download", job.filename);
  const facts = $("facts");
  facts.replaceChildren();
  fact(facts, "Input", `${job.input.width} × ${job.input.height}`);
  fact(facts, "Output", `${job.output.width} × ${job.output.height} (x${job.scale})`);
  fact(facts, "Time", `${job.seconds.toFixed(2)} s on the server`);
  fact(facts, "Model", `${job.model}${job.tta ? " with TTA" : ""}: ${$("model-info").textContent}`);
  setSplit(Number($("slider").value));
  show("result", true);
  $("result").dataset.job = job.id;
}

async function poll(id) {
  const response = await fetch(`/api/jobs/${id}`);
  if (!response.ok) {
    error(await detail(response));
    show("progress-box", false);
    $("go").disabled = false;
    return;
  }
  const job = await response.json();
  const { done, total } = job.progress;
  $("progress").max = Math.max(total, 1);
  $("progress").value = done;
  $("status").textContent = job.state === "queued" ? "waiting in the queue…"
    : job.state === "running" ? `upscaling: ${done} of ${total || "?"} tiles` : job.state;
  if (job.state === "done") {
    $("go").disabled = false;
    finished(job);
  } else if (job.state === "failed") {
    $("go").disabled = false;
    show("progress-box", false);
    error(job.error);
  } else {
    state.polling = setTimeout(() => poll(id), 250);
  }
}

async function upscale(event) {
  event.preventDefault();
  if (!state.file) return;
  error("");
  clearTimeout(state.polling);
  $("go").disabled = true;
  show("result", false);
  show("progress-box", true);
  $("progress").removeAttribute("value");
  $("status").textContent = "uploading…";
  if (state.inputUrl) URL.revokeObjectURL(state.inputUrl);
  state.inputUrl = URL.createObjectURL(state.file);
  const query = new URLSearchParams({
    model: $("model").value, scale: $("scale").value, tta: $("tta").checked, name: state.file.name,
  });
  let response;
  try {
    response = await fetch(`/api/jobs?${query}`, { method: "POST", body: state.file });
  } catch (e) {
    response = null;
  }
  if (!response || response.status !== 202) {
    let message = response ? await detail(response) : "the server cannot be reached";
    if (response && response.status === 503) {
      message += ` (about ${response.headers.get("Retry-After")} s)`;
    }
    error(message);
    show("progress-box", false);
    $("go").disabled = false;
    return;
  }
  const job = await response.json();
  poll(job.id);
}

function init() {
  loadModels().catch(() => error("cannot load the model list"));
  $("model").addEventListener("change", describeModel);
  $("file").addEventListener("change", () => choose($("file").files[0]));
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    choose(e.dataTransfer.files[0]);
  });
  $("form").addEventListener("submit", upscale);
  $("slider").addEventListener("input", () => setSplit(Number($("slider").value)));
  $("zoom").addEventListener("change", setZoom);
  $("after").addEventListener("load", () => { show("no-preview", false); setZoom(); });
  $("after").addEventListener("error", () => { if ($("after").src) show("no-preview", true); });
}

document.addEventListener("DOMContentLoaded", init);
