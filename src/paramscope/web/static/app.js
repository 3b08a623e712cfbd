// paramscope web page: the state lives in the URL; every view calls the JSON API (the CLI's --json answers)
// and shows the numbers with units, their assumptions and sources, and the command line that prints them.
// No analysis here: only requests, layout and drawing. plotly.js is served by the app (no CDN).
"use strict";

const VIEWS = ["params", "memory", "perf", "plan", "compare", "train", "scale"];
const FIELDS = ["model", "models", "gpu", "count", "engine", "weights", "kv_dtype", "context", "batch", "prompt",
  "gen", "rate", "ttft", "tpot", "tokens", "mfu", "price_per_hour", "compute", "inference_tokens", "trace"];
const DEFAULTS = { view: "params", model: "llama-2-7b" };
const $ = (id) => document.getElementById(id);
let state = {};
let seq = 0; // the latest refresh wins
let plotlyReady = null;

// ------------------------------------------------------------------------------------------ formatting
const nf = new Intl.NumberFormat("en-US");
function int(x) { return x == null ? "-" : nf.format(x); }
function human(x) {
  if (x == null) return "-";
  const a = Math.abs(x);
  for (const [v, s] of [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "k"]]) if (a >= v) return (x / v).toFixed(2) + s;
  return String(x);
}
function gb(b) { return b == null ? "-" : (b / 1e9).toFixed(2) + " GB"; }
function gib(b) { return b == null ? "-" : (b / 2 ** 30).toFixed(2) + " GiB"; }
function ms(s) { return s == null ? "-" : (s * 1e3).toFixed(s < 0.01 ? 2 : 1) + " ms"; }
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const k of kids) if (k != null) e.append(k);
  return e;
}
// one number: value with its unit, and what it rests on (expand)
function figure(label, value, unit, testid, notes) {
  const d = el("div", { class: "figure" });
  d.append(el("div", { class: "label", text: label }));
  const v = el("div", { class: "value" });
  v.append(el("span", { class: "num", "data-testid": testid || "", text: value }));
  if (unit) v.append(el("span", { class: "unit", text: " " + unit }));
  d.append(v);
  if (notes && notes.length) {
    const det = el("details", { class: "notes" }, el("summary", { text: "assumptions and sources" }));
    const ul = el("ul");
    for (const n of notes) ul.append(el("li", { text: n }));
    det.append(ul);
    d.append(det);
  }
  return d;
}
function table(headers, rows, testid) {
  const t = el("table", testid ? { "data-testid": testid } : {});
  const tr = el("tr");
  for (const h of headers) tr.append(el("th", { scope: "col", text: h }));
  t.append(el("thead", {}, tr));
  const tb = el("tbody");
  for (const r of rows) {
    const row = el("tr");
    r.forEach((c) => row.append(el("td", { text: c == null ? "-" : String(c) })));
    tb.append(row);
  }
  t.append(tb);
  return el("div", { class: "scroll" }, t);
}
function notesBlock(title, items) {
  if (!items || !items.length) return null;
  const det = el("details", { class: "notes" }, el("summary", { text: title }));
  const ul = el("ul");
  for (const n of items) ul.append(el("li", { text: n }));
  det.append(ul);
  return det;
}

// ------------------------------------------------------------------------------------------ state <-> URL
function readUrl() {
  const q = new URLSearchParams(location.search);
  state = { ...DEFAULTS };
  for (const [k, v] of q) if (k === "view" || FIELDS.includes(k)) state[k] = v;
  if (!VIEWS.includes(state.view)) state.view = "params";
}
function writeUrl() {
  const q = new URLSearchParams();
  q.set("view", state.view);
  for (const k of FIELDS) if (state[k]) q.set(k, state[k]);
  history.replaceState(null, "", "?" + q.toString());
  $("permalink").href = location.href;
}
function fillForm() {
  for (const k of FIELDS) { const e = $(k); if (e) e.value = state[k] || ""; }
  for (const b of document.querySelectorAll("[role=tab]")) {
    const on = b.dataset.view === state.view;
    b.setAttribute("aria-selected", on ? "true" : "false");
    b.tabIndex = on ? 0 : -1;
  }
  document.body.dataset.view = state.view;
}
function pick(keys) {
  const o = {};
  for (const k of keys) if (state[k]) o[k] = state[k];
  return o;
}
const DEPLOY = ["gpu", "count", "engine", "weights", "kv_dtype", "context", "batch", "prompt", "gen"];

// ------------------------------------------------------------------------------------------ API
async function api(path, params) {
  const q = new URLSearchParams(params);
  const r = await fetch(`/api/${path}?${q}`, { headers: { Accept: "application/json" } });
  let d;
  try { d = await r.json(); } catch (e) { d = { error: `HTTP ${r.status}` }; }
  if (!r.ok) {
    let msg = d.error || (Array.isArray(d.detail) ? d.detail.map((x) => `${(x.loc || []).slice(-1)[0]}: ${x.msg}`)
      .join("; ") : `HTTP ${r.status}`);
    const err = new Error(msg);
    err.command = d.command;
    err.status = r.status;
    throw err;
  }
  return d;
}

function loadPlotly() {
  if (!plotlyReady) {
    plotlyReady = new Promise((resolve, reject) => {
      const s = el("script", { src: "/static/plotly.min.js" });
      s.onload = () => resolve(window.Plotly);
      s.onerror = () => reject(new Error("plotly.js did not load"));
      document.head.append(s);
    });
  }
  return plotlyReady;
}
async function chart(id, title, traces, layout) {
  const box = el("figure", { class: "chart" });
  const div = el("div", { id, role: "img", "aria-label": title });
  box.append(el("figcaption", { text: title }), div);
  $("charts").append(box);
  const Plotly = await loadPlotly();
  const base = { margin: { l: 60, r: 20, t: 10, b: 50 }, autosize: true, height: 320,
    font: { family: "system-ui, sans-serif", size: 12 }, legend: { orientation: "h", y: -0.25 } };
  await Plotly.newPlot(div, traces, { ...base, ...layout }, { responsive: true, displaylogo: false });
  div.dataset.rendered = "1";
}

// ------------------------------------------------------------------------------------------ views
const render = {
  async params() {
    const p = await api("params", { model: state.model, by_layer: "true", tensors: "true" });
    const commands = [p._cli.command.replace(" --by-layer --tensors", "")];
    const res = $("results");
    $("model-name").textContent = `${p.model} (${p.source}; ${p.architecture || ""})`;
    const pub = p.published ? [`published: ${p.published.total_params}` +
      (p.published.active_params ? `, active ${p.published.active_params}` : "") +
      (p.published.source ? ` (${p.published.source})` : "")] : [];
    const origin = [`source: ${p.origin}`, ...pub];
    const g = el("div", { class: "figures" });
    g.append(figure("total", int(p.total), "parameters", "params-total", origin),
      figure("active per token", int(p.active), "parameters", "params-active",
        ["all parameters one token touches, embeddings and head included (MoE: routed experts chosen per token)"]),
      figure("effective (if unshared)", int(p.effective), "parameters", "params-effective",
        ["parameters counted once per use: shared (tied, reused) tensors counted at each use"]),
      figure("non-embedding", int(p.non_embedding), "parameters", "params-nonemb"));
    res.append(g);
    // the page's own clock: ms from navigation start to the first exact number (benchmarks/bench_web_page.py)
    if (!performance.getEntriesByName("first-number").length) performance.mark("first-number");
    const rot = p.rule_of_thumb;
    if (rot) {
      res.append(el("p", { class: "rule", "data-testid": "rule-of-thumb",
        text: `rule of thumb 12 × L × d² = 12 × ${rot.n_layers} × ${rot.d_model}² = ${int(rot.estimate)} ` +
          `(${human(rot.estimate)}), ${(rot.relative_error * 100).toFixed(2)}% vs the exact ${int(rot.exact)}` }));
      const missed = Object.entries(rot.missed_terms || {}).filter(([, v]) => v)
        .map(([k, v]) => `${k.replace(/_/g, " ")}: ${v > 0 ? "+" : ""}${int(v)} parameters`);
      res.append(notesBlock("what the rule misses (exact − rule)", missed));
    }
    res.append(table(["role", "parameters", "share"], Object.entries(p.by_role)
      .map(([k, v]) => [k, int(v), (100 * v / p.total).toFixed(1) + " %"]), "by-role"));
    // treemap: role group -> tensor role -> layer (from the tensor list)
    const groups = p.role_groups || {};
    const ids = [], labels = [], parents = [], values = [];
    const add = (id, label, parent, value) => { ids.push(id); labels.push(label); parents.push(parent); values.push(value); };
    add("all", `${p.model}`, "", 0);
    const fine = {};
    for (const t of p.tensors || []) {
      if (t.tied_to || t.buffer) continue;
      const grp = groups[t.role] || "other";
      const fid = `f:${grp}:${t.role}`;
      if (!fine[fid]) fine[fid] = { grp, role: t.role, layers: {} };
      const m = /layers\.(\d+)\./.exec(t.name);
      const lk = m ? `layer ${m[1]}` : t.name;
      fine[fid].layers[lk] = (fine[fid].layers[lk] || 0) + t.params;
    }
    const seen = new Set();
    for (const [fid, f] of Object.entries(fine)) {
      if (!seen.has(f.grp)) { seen.add(f.grp); add("g:" + f.grp, f.grp, "all", 0); }
      add(fid, f.role, "g:" + f.grp, 0);
      for (const [lk, n] of Object.entries(f.layers)) add(`${fid}:${lk}`, lk, fid, n);
    }
    const layers = p.by_layer || [];
    chart("chart-treemap", "Parameters by role, tensor role and layer (click to zoom)", [{ type: "treemap", ids, labels,
      parents, values, branchvalues: "remainder", maxdepth: 3, hovertemplate: "%{label}<br>%{value:,} parameters<br>" +
        "%{percentRoot:.1%} of total<extra></extra>" }], { height: 420 });
    if (layers.length) {
      chart("chart-layers", "Parameters per layer", [{ type: "bar", x: layers.map((x) => `${x.stack}.${x.layer}`),
        y: layers.map((x) => x.params), hovertemplate: "%{x}: %{y:,} parameters<extra></extra>" }],
      { yaxis: { title: "parameters" } });
    }
    return commands;
  },

  async memory() {
    const m = await api("memory", { model: state.model, ...pick(DEPLOY) });
    const commands = [m._cli.command];
    const res = $("results");
    const o = m.options || {};
    res.append(el("p", { class: "head", text: `${m.model}: ${o.weights} weights, ${m.deployment.engine.name}, batch ` +
      `${int(o.batch)}, context ${int(o.context)}, KV ${m.parts.kv_cache.dtype}` }));
    const per = m.gpus > 1 ? " per GPU" : "";
    const cap = m.capacity;
    const g = el("div", { class: "figures" });
    g.append(figure("total" + per, gb(m.total_bytes), `(${gib(m.total_bytes)}; ${int(m.total_bytes)} bytes)`,
      "mem-total", [...(m.assumptions || []), ...(cap ? [cap.rule] : [])]),
    figure("weights", gb(m.weights_bytes), `(${m.parts.weights.bits_per_param.toFixed(3)} bits/param)`, "mem-weights",
      Object.entries(m.parts.weights.by_format || {}).map(([k, v]) => `${k}: ${int(v.params)} parameters`)),
    figure("KV cache + states", gb(m.kv_cache_bytes), `(${int(m.parts.kv_cache.per_sequence_bytes)} bytes per sequence)`,
      "mem-kv", m.parts.kv_cache.notes || []),
    figure("activations (peak)", gb(m.activation_bytes), "", "mem-act",
      [`${int(m.parts.activations.tokens)}-token prefill chunk, peak in ${m.parts.activations.dominant}`]),
    figure("overheads", gb(m.overhead_bytes), "", "mem-overhead",
      Object.entries(m.parts.overhead || {}).map(([k, v]) => `${k}: ${int(v)} bytes`)));
    res.append(g);
    const dep = m.deployment;
    res.append(notesBlock("deployment: layout, engine and its settings", [
      `layout: ${JSON.stringify(m.layout)}`, `engine: ${dep.engine.name} (${dep.engine.reason})`,
      `settings: ${JSON.stringify(dep.engine.settings)}`, ...(cap ? [`usable per GPU: ${gb(cap.usable_bytes)} of ` +
        `${gb(cap.total_bytes)}; ${cap.rule}`] : []), ...(m.warnings || []).map((w) => "warning: " + w)]));
    let fit = null;
    if (state.gpu) {
      fit = await api("fit", { model: state.model, ...pick(DEPLOY) });
      commands.push(fit._cli.command);
      const f = el("div", { class: "figures verdict " + (fit.fits ? "ok" : "no") });
      f.append(figure("verdict", fit.fits ? "fits" : "does NOT fit",
        `on ${fit.layout.gpus} × ${fit.hardware}`, "fit-verdict", fit.notes),
      figure("headroom per GPU", gb(fit.headroom_bytes), "", "fit-headroom"),
      figure("largest context", fit.max_context == null ? "none" : int(fit.max_context), "tokens", "fit-max-context",
        fit.context_limit ? [`the model's limit: ${int(fit.context_limit)} tokens`] : []),
      figure("largest batch", fit.max_batch == null ? "none" : int(fit.max_batch), "sequences", "fit-max-batch"),
      figure("fewest GPUs", fit.fewest_gpus == null ? "none found" : int(fit.fewest_gpus), "GPUs", "fit-fewest",
        fit.fewest_layout ? [JSON.stringify(fit.fewest_layout)] : []));
      res.append(f);
    }
    const parts = [["weights", m.weights_bytes], ["KV cache + states", m.kv_cache_bytes],
      ["activations", m.activation_bytes], ["overheads", m.overhead_bytes]];
    const gpuLabel = m.gpus > 1 ? `per GPU (${m.gpus} GPUs)` : (state.gpu || "needed");
    const traces = parts.map(([name, b]) => ({ type: "bar", orientation: "h", name, y: [gpuLabel], x: [b / 1e9],
      hovertemplate: `${name}: %{x:.2f} GB<extra></extra>` }));
    const shapes = [];
    if (cap) {
      for (const [x, dash, name] of [[cap.usable_bytes / 1e9, "dash", "usable"], [cap.total_bytes / 1e9, "solid", "capacity"]]) {
        shapes.push({ type: "line", x0: x, x1: x, yref: "paper", y0: 0, y1: 1, line: { dash, color: "#b00", width: 2 } });
        traces.push({ type: "scatter", mode: "markers", name: `${name} ${x.toFixed(2)} GB`, x: [x], y: [gpuLabel],
          marker: { symbol: "line-ns-open", size: 30, color: "#b00" } });
      }
    }
    chart("chart-memory", "Memory per GPU against its capacity (GB = 1e9 bytes)", traces,
      { barmode: "stack", shapes, height: 240, xaxis: { title: "GB" } });
    return commands;
  },

  async perf() {
    if (!state.gpu) throw new Error("Speed needs a hardware choice (Deployment → Hardware)");
    const base = { model: state.model, ...pick(DEPLOY) };
    delete base.batch;
    const fit = await api("fit", base);
    const commands = [];
    const top = Math.min(fit.max_batch || 1, 1024);
    const batches = [];
    for (let b = 1; b <= top; b *= 2) batches.push(b);
    if (top > batches[batches.length - 1]) batches.push(top);
    const asked = (state.batch || "1").split(",").map(Number).filter((b) => b >= 1 && b <= top);
    for (const b of asked) if (!batches.includes(b)) batches.push(b);
    batches.sort((a, b) => a - b);
    const p = await api("perf", { ...base, batch: batches.join(",") });
    commands.push(p._cli.command);
    const first = p.runs.find((r) => r.options.batch === (asked[0] || 1)) || p.runs[0];
    const res = $("results");
    const band = first.error_band || {};
    const bandText = (b) => b ? [`error band: ${JSON.stringify(b)}`] : [];
    const g = el("div", { class: "figures" });
    g.append(figure(`TTFT (batch ${first.options.batch})`, ms(first.ttft_s), "", "perf-ttft",
      [...first.assumptions, ...bandText(band.ttft)]),
    figure("TPOT", ms(first.tpot_s), "", "perf-tpot", bandText(band.tpot)),
    figure("decode", first.decode_tokens_per_s.toFixed(1), "tokens/s (all sequences)", "perf-decode",
      [`bound: ${first.bound}`, ...bandText(band.decode)]),
    figure("prefill", first.prefill_tokens_per_s.toFixed(0), "tokens/s", "perf-prefill", [`bound: ${first.bound_prefill}`]),
    figure("KV capacity", int(first.max_concurrent_sequences), `sequences of ${int(first.options.context)} tokens`,
      "perf-kvcap", [first.knee_batch ? `decode turns compute-bound at batch ~${first.knee_batch}` :
        "decode stays memory-bound at every batch shown"]));
    res.append(g);
    res.append(table(["batch", "TTFT ms", "TPOT ms", "decode tok/s", "prefill tok/s", "bound"], p.runs.map((r) =>
      [int(r.options.batch), (r.ttft_s * 1e3).toFixed(1), (r.tpot_s * 1e3).toFixed(2), r.decode_tokens_per_s.toFixed(1),
        r.prefill_tokens_per_s.toFixed(0), r.bound]), "perf-table"));
    const xb = p.runs.map((r) => r.options.batch);
    chart("chart-throughput", "Decode throughput vs batch (tokens/s, all sequences)", [{ type: "scatter",
      mode: "lines+markers", x: xb, y: p.runs.map((r) => r.decode_tokens_per_s), name: "decode tok/s" }],
    { xaxis: { type: "log", title: "batch (sequences)" }, yaxis: { title: "tokens/s" } });
    const slo = [];
    for (const [k, name] of [["ttft", "TTFT target"], ["tpot", "TPOT target"]]) {
      const v = parseFloat(state[k]);
      if (v > 0) slo.push({ type: "scatter", mode: "lines", name, x: [xb[0], xb[xb.length - 1]], y: [v, v],
        line: { dash: "dot" } });
    }
    chart("chart-latency", "Latency vs batch (ms)", [
      { type: "scatter", mode: "lines+markers", x: xb, y: p.runs.map((r) => r.ttft_s * 1e3), name: "TTFT" },
      { type: "scatter", mode: "lines+markers", x: xb, y: p.runs.map((r) => r.tpot_s * 1e3), name: "TPOT" }, ...slo],
    { xaxis: { type: "log", title: "batch (sequences)" }, yaxis: { type: "log", title: "ms" } });
    // roofline: the device's ceilings and each decode step (FLOPs / bytes per step, achieved FLOP/s)
    const hw = await api(`hardware/${encodeURIComponent(fit.hardware)}`, {});
    commands.push(hw._cli.command);
    const dt = first.parts.compute_dtype;
    const peak = (hw.peak_flops_per_s || {})[dt];
    const bw = hw.memory_bandwidth_bytes_per_s;
    const pts = p.runs.map((r) => ({ i: r.parts.decode_flops_per_step / r.parts.decode_bytes_per_step,
      f: r.parts.decode_flops_per_step / r.tpot_s, b: r.options.batch }));
    const traces = [{ type: "scatter", mode: "markers+text", name: "decode steps", x: pts.map((q) => q.i),
      y: pts.map((q) => q.f / 1e12), text: pts.map((q) => `b${q.b}`), textposition: "top center" }];
    if (peak && bw) {
      const xs = [0.1, peak / bw, Math.max(peak / bw * 100, ...pts.map((q) => q.i * 2))];
      traces.unshift({ type: "scatter", mode: "lines", name: `roofline (${dt} peak, ${(bw / 1e12).toFixed(2)} TB/s)`,
        x: xs, y: xs.map((x) => Math.min(peak, bw * x) / 1e12), line: { color: "#888" } });
    }
    chart("chart-roofline", `Roofline on ${hw.name} (per GPU)`, traces,
      { xaxis: { type: "log", title: "arithmetic intensity (FLOP/byte)" }, yaxis: { type: "log", title: "TFLOP/s" } });
    return commands;
  },

  async plan() {
    const q = { model: state.model, ...pick(["gpu", "weights", "kv_dtype", "prompt", "gen", "rate", "trace"]) };
    if (!q.rate) q.rate = "10";
    for (const k of ["ttft", "tpot"]) if (state[k]) q[k] = /^p/.test(state[k]) ? state[k] : `p90:${state[k]}ms`;
    const p = await api("plan", q);
    const res = $("results");
    const best = p.best;
    const g = el("div", { class: "figures" });
    if (best) {
      g.append(figure("best", best.family, "", "plan-best", p.assumptions),
        figure("cost", best.usd_per_hour.toFixed(2), "USD/hour", "plan-usd-hour"),
        figure("per million tokens", best.usd_per_million_tokens.toFixed(4), "USD", "plan-usd-mtok"),
        figure("GPUs", int(best.gpus_total), `(${best.replicas} replicas)`, "plan-gpus"));
    } else {
      g.append(figure("best", "none meets the objectives", "", "plan-best", p.assumptions));
    }
    res.append(g);
    const front = p.pareto || [];
    res.append(table(["candidate", "GPUs", "USD/h", "USD/Mtok", "TPOT ms", "TTFT p90 ms", "latency"], front.map((c) =>
      [c.family, c.gpus_total, c.usd_per_hour.toFixed(2), c.usd_per_million_tokens.toFixed(4), (c.tpot_s * 1e3).toFixed(1),
        c.ttft_p90_s == null ? "-" : (c.ttft_p90_s * 1e3).toFixed(0), c.latency]), "plan-pareto"));
    res.append(notesBlock(`rejected candidates (${(p.rejected || []).length})`,
      (p.rejected || []).slice(0, 50).map((r) => typeof r === "string" ? r : JSON.stringify(r))));
    chart("chart-pareto", "Pareto front: cost against time per output token", [{ type: "scatter", mode: "markers+lines",
      x: front.map((c) => c.usd_per_million_tokens), y: front.map((c) => c.tpot_s * 1e3), text: front.map((c) => c.family),
      hovertemplate: "%{text}<br>%{x:.4f} USD/Mtok<br>TPOT %{y:.1f} ms<extra></extra>", name: "Pareto front" }],
    { xaxis: { title: "USD per million tokens" }, yaxis: { title: "TPOT (ms)" } });
    return [p._cli.command];
  },

  async compare() {
    const models = state.models || [state.model, "mistral-7b"].join(",");
    if (!state.gpu) throw new Error("Compare needs a hardware choice (Deployment → Hardware)");
    const c = await api("compare", { models, ...pick(DEPLOY) });
    const res = $("results");
    res.append(table(["model", "total params", "active params", "GB per GPU", "fits", "TTFT ms", "TPOT ms",
      "USD/Mtok", "quality"], c.rows.map((r) => {
      const s = r.serving || {};
      return [r.model, int(r.total_params), int(r.active_params), gb(s.per_gpu_bytes), s.fits,
        s.ttft_s == null ? "-" : (s.ttft_s * 1e3).toFixed(1), s.tpot_s == null ? "-" : (s.tpot_s * 1e3).toFixed(2),
        s.usd_per_mtok == null ? "-" : s.usd_per_mtok.toFixed(3),
        r.quality && r.quality.value != null ? `${+r.quality.value.toFixed(2)} (${r.quality.benchmark})` : "-"];
    }), "compare-table"));
    res.append(notesBlock("sources", c.rows.flatMap((r) => [
      ...(r.quality ? [`${r.model} ${r.weights} quality: ${r.quality.reason || r.quality.assumption || r.quality.setting}; ${r.quality.source}`] : []),
      ...(r.serving && r.serving.price ? [`${r.model} price: ${r.serving.price.provider}, ${r.serving.price.source}`] : [])])));
    const names = c.rows.map((r) => r.model);
    chart("chart-compare", "Side by side", [
      { type: "bar", name: "total params (B)", x: names, y: c.rows.map((r) => r.total_params / 1e9) },
      { type: "bar", name: "GB per GPU", x: names, y: c.rows.map((r) => (r.serving || {}).per_gpu_bytes / 1e9) }],
    { barmode: "group" });
    return [c._cli.command];
  },

  async train() {
    if (!state.gpu) throw new Error("Training cost needs a hardware choice (Deployment → Hardware)");
    const t = await api("train", { model: state.model, tokens: state.tokens || "2T", gpu: state.gpu,
      count: state.count || "8", ...pick(["mfu", "price_per_hour"]) });
    const res = $("results");
    const g = el("div", { class: "figures" });
    g.append(figure("FLOPs", t.flops.toExponential(3), "FLOP", "train-flops", [t.formula]),
      figure("wall time", t.days.toFixed(1), `days on ${int(t.gpus)} GPUs`, "train-days",
        [`MFU ${(t.mfu * 100).toFixed(1)}% (${t.mfu_source}) of the dense ${t.dtype} peak`]),
      figure("GPU-hours", int(Math.round(t.gpu_hours)), "GPU-hours", "train-gpu-hours"),
      figure("cost", t.cost_usd == null ? "-" : int(Math.round(t.cost_usd)), "USD", "train-cost",
        t.price_per_hour_usd == null ? ["no price in the hardware record: give one"] : [`at ${t.price_per_hour_usd} USD/GPU-hour`]),
      figure("energy", t.energy_kwh == null ? "-" : (t.energy_kwh / 1000).toFixed(1), "MWh", "train-energy",
        t.tdp_w ? [`GPU-hours × ${t.tdp_w} W TDP × PUE ${t.pue} (GPUs only)`] : []));
    res.append(g);
    const m = t.memory_per_gpu;
    const parts = Object.entries(m).filter(([k, v]) => k.endsWith("_bytes") && typeof v === "number" &&
      !["total_bytes", "model_states_bytes", "memory_bytes"].includes(k));
    res.append(notesBlock("memory plan per GPU", [`layout: ${JSON.stringify(m.layout)}`, `fits: ${m.fits}`]));
    chart("chart-train-memory", "Training memory per GPU (GB)", parts.map(([k, v]) => ({ type: "bar", orientation: "h",
      name: k.replace(/_bytes$/, "").replace(/_/g, " "), y: ["per GPU"], x: [v / 1e9] })),
    { barmode: "stack", height: 240, xaxis: { title: "GB" }, shapes: [{ type: "line", x0: m.memory_bytes / 1e9,
      x1: m.memory_bytes / 1e9, yref: "paper", y0: 0, y1: 1, line: { color: "#b00", width: 2 } }] });
    return [t._cli.command];
  },

  async scale() {
    const s = await api("scale", { compute: state.compute || "5.76e23", curve: "true",
      ...pick(["inference_tokens"]) });
    const res = $("results");
    res.append(table(["law", "params N", "tokens D", "D/N", "loss"], s.optimum.map((o) =>
      [o.method, human(o.n_params), human(o.n_tokens), o.tokens_per_param.toFixed(1),
        o.loss == null ? "-" : o.loss.toFixed(3)]), "scale-table"));
    const best = s.optimum[0];
    const g = el("div", { class: "figures" });
    g.append(figure("compute-optimal size (Epoch AI fit)", human(best.n_params), "parameters", "scale-n", s.notes),
      figure("on", human(best.n_tokens), "tokens", "scale-d"));
    if (s.inference_adjusted) {
      const ia = s.inference_adjusted;
      g.append(figure("inference-adjusted size", human(ia.n_params), "parameters", "scale-ia",
        [`Sardana et al. 2023: ${(ia.savings_fraction * 100).toFixed(1)}% fewer lifetime FLOPs`]));
    }
    res.append(g);
    const pts = s.iso_flop || [];
    const fits = Object.keys((pts[0] || {}).loss || {});
    chart("chart-isoflop", `Loss along the iso-FLOP line C = ${s.compute_flops.toExponential(2)} (D = C / 6N)`,
      fits.map((f) => ({ type: "scatter", mode: "lines", name: f, x: pts.map((q) => q.n_params),
        y: pts.map((q) => q.loss[f]) })).concat([{ type: "scatter", mode: "markers", name: "optima",
        x: s.optimum.map((o) => o.n_params), y: s.optimum.map((o) => o.loss), text: s.optimum.map((o) => o.method),
        marker: { size: 9 } }]),
    { xaxis: { type: "log", title: "parameters N" }, yaxis: { title: "loss (nats/token)" } });
    return [s._cli.command, `# curve points: ${pts.length ? pts[0].command : ""} ... (one per N)`];
  },
};

// ------------------------------------------------------------------------------------------ refresh
async function refresh() {
  const mine = ++seq;
  writeUrl();
  fillForm();
  $("results").replaceChildren();
  $("charts").replaceChildren();
  $("error").hidden = true;
  $("command").value = "";
  document.body.dataset.state = "loading";
  try {
    const commands = await render[state.view]();
    if (mine !== seq) return;
    $("command").value = commands.join("\n");
    document.body.dataset.state = "ready";
  } catch (e) {
    if (mine !== seq) return;
    $("error").textContent = e.message;
    $("error").hidden = false;
    if (e.command) $("command").value = e.command;
    document.body.dataset.state = "error";
  }
}

// ------------------------------------------------------------------------------------------ uploads
function b64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
const MAX_HEADER = 48 * 2 ** 20;

// The length of a GGUF file's header: magic, version, counts, metadata, tensor index, padded to the alignment.
// Reads the file in growing slices; throws past MAX_HEADER bytes.
async function ggufHeaderLength(file) {
  let size = Math.min(file.size, 1 << 20);
  for (;;) {
    const buf = new DataView(await file.slice(0, size).arrayBuffer());
    try { return parseGguf(buf); } catch (e) {
      if (!(e instanceof RangeError) || size >= file.size) throw new Error(`not a readable GGUF header: ${e.message}`);
      if (size >= MAX_HEADER) throw new Error(`GGUF header over ${MAX_HEADER} bytes`);
      size = Math.min(file.size, size * 4, MAX_HEADER);
    }
  }
}
function parseGguf(v) {
  let o = 0;
  const u32 = () => { const x = v.getUint32(o, true); o += 4; return x; };
  const u64 = () => { const x = v.getBigUint64(o, true); o += 8; if (x > 2n ** 40n) throw new Error("count too large"); return Number(x); };
  const str = () => { const n = u64(); if (o + n > v.byteLength) throw new RangeError("short"); const s = new TextDecoder().decode(new Uint8Array(v.buffer, o, n)); o += n; return s; };
  const sizes = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
  const value = (t, depth) => {
    if (t in sizes) { const n = sizes[t]; if (o + n > v.byteLength) throw new RangeError("short");
      const x = n === 4 && t === 4 ? v.getUint32(o, true) : null; o += n; return x; }
    if (t === 8) return str();
    if (t === 9) {
      if (depth > 2) throw new Error("nested arrays");
      const it = u32(); const n = u64();
      if (it in sizes) { o += n * sizes[it]; if (o > v.byteLength) throw new RangeError("short"); return null; }
      for (let i = 0; i < n; i++) value(it, depth + 1);
      return null;
    }
    throw new Error(`unknown value type ${t}`);
  };
  if (u32() !== 0x46554747) throw new Error("no GGUF magic");
  const version = u32();
  if (version < 2) throw new Error(`GGUF version ${version} is not supported here`);
  const nT = u64(), nKV = u64();
  let align = 32;
  for (let i = 0; i < nKV; i++) {
    const k = str(); const t = u32(); const x = value(t, 0);
    if (k === "general.alignment" && x) align = x;
  }
  for (let i = 0; i < nT; i++) {
    str(); const nd = u32(); if (nd > 8) throw new Error("too many dimensions");
    o += nd * 8 + 4 + 8;
    if (o > v.byteLength) throw new RangeError("short");
  }
  return Math.min(Math.ceil(o / align) * align, v.byteLength);
}

async function upload(body) {
  const r = await fetch("/api/upload", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body) });
  const d = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(d.error || (d.detail ? JSON.stringify(d.detail) : `HTTP ${r.status}`));
  state.model = d.model;
  $("model-name").textContent = `uploaded: ${d.name}`;
  if (state.view === "compare" || state.view === "scale") state.view = "params";
  await refresh();
}
// One file's header as an upload part (safetensors: 8-byte length + JSON header; GGUF: up to its tensor index).
async function headerPart(file) {
  const name = file.name;
  if (name.endsWith(".safetensors.index.json")) {
    if (file.size > 16 * 2 ** 20) throw new Error(`${name}: over 16 MiB`);
    return { name, header_b64: b64(new Uint8Array(await file.arrayBuffer())) };
  }
  if (name.endsWith(".safetensors")) {
    const head = new DataView(await file.slice(0, 8).arrayBuffer());
    const n = Number(head.getBigUint64(0, true));
    if (!(n > 0 && 8 + n <= Math.min(file.size, MAX_HEADER))) throw new Error(`${name}: not a safetensors header (bad length)`);
    return { name, header_b64: b64(new Uint8Array(await file.slice(0, 8 + n).arrayBuffer())), size: file.size };
  }
  if (name.endsWith(".gguf")) {
    const n = await ggufHeaderLength(file);
    return { name, header_b64: b64(new Uint8Array(await file.slice(0, n).arrayBuffer())), size: file.size };
  }
  throw new Error(`${name}: expected .safetensors, .safetensors.index.json or .gguf`);
}
// Several files dropped together: the shards of a checkpoint (with its index and config.json) or a split GGUF.
async function useFiles(files) {
  if (files.length === 1) return useFile(files[0]);
  try {
    const config = files.find((f) => f.name === "config.json");
    const rest = files.filter((f) => f !== config);
    const kind = rest.every((f) => f.name.endsWith(".gguf")) ? "gguf" : "safetensors";
    const parts = [];
    for (const f of rest) parts.push(await headerPart(f));
    const body = { kind, parts };
    if (config) body.config = JSON.parse(await config.text());
    await upload(body);
  } catch (e) {
    $("error").textContent = e.message;
    $("error").hidden = false;
  }
}
async function useTrace(file) {
  try {
    if (file.size > 16 * 2 ** 20) throw new Error("trace over 16 MiB");
    const pairs = [];
    for (const line of (await file.text()).split(/\r?\n/)) {
      const f = line.trim().split(/[\s,;]+/);
      if (f.length < 2 || !/^\d+$/.test(f[0]) || !/^\d+$/.test(f[1])) continue; // a header or blank line
      pairs.push([Number(f[0]), Number(f[1])]);
    }
    const r = await fetch("/api/upload", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ kind: "trace", name: file.name, trace: pairs }) });
    const d = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(d.error || (d.detail ? JSON.stringify(d.detail) : `HTTP ${r.status}`));
    state.trace = d.model;
    $("trace-name").textContent = `${d.name}: ${pairs.length} requests`;
    await refresh();
  } catch (e) {
    $("error").textContent = `trace: ${e.message}`;
    $("error").hidden = false;
  }
}
async function useFile(file) {
  try {
    const name = file.name;
    if (name.endsWith(".json")) {
      if (file.size > 16 * 2 ** 20) throw new Error("config.json over 16 MiB");
      await upload({ kind: "config", name, config: JSON.parse(await file.text()) });
    } else if (name.endsWith(".safetensors")) {
      const head = new DataView(await file.slice(0, 8).arrayBuffer());
      const n = Number(head.getBigUint64(0, true));
      if (!(n > 0 && 8 + n <= Math.min(file.size, MAX_HEADER))) throw new Error("not a safetensors header (bad length)");
      const bytes = new Uint8Array(await file.slice(0, 8 + n).arrayBuffer());
      await upload({ kind: "safetensors", name, header_b64: b64(bytes), size: file.size });
    } else if (name.endsWith(".gguf")) {
      const n = await ggufHeaderLength(file);
      const bytes = new Uint8Array(await file.slice(0, n).arrayBuffer());
      await upload({ kind: "gguf", name, header_b64: b64(bytes), size: file.size });
    } else {
      throw new Error("expected a .safetensors, .gguf or .json file");
    }
  } catch (e) {
    $("error").textContent = e.message;
    $("error").hidden = false;
  }
}

// ------------------------------------------------------------------------------------------ wiring
let typing = null;
async function suggest(text) {
  try {
    const d = await api("models", { q: text });
    const list = $("model-list");
    list.replaceChildren(...d.models.slice(0, 40).map((m) => el("option", { value: m.id,
      label: `${m.name} — ${human(m.total)} parameters` })));
  } catch (e) { /* suggestions only */ }
}
async function hardwareOptions() {
  try {
    const d = await api("hardware", {});
    const sel = $("gpu");
    for (const h of d.hardware) sel.append(el("option", { value: h.id, text: `${h.id} (${(h.memory_bytes / 1e9).toFixed(0)} GB)` }));
    sel.value = state.gpu || "";
  } catch (e) { /* the list only */ }
}

function init() {
  readUrl();
  fillForm();
  refresh();
  hardwareOptions();
  suggest("");
  for (const b of document.querySelectorAll("[role=tab]")) {
    b.addEventListener("click", () => { state.view = b.dataset.view; refresh(); });
    b.addEventListener("keydown", (e) => {
      const i = VIEWS.indexOf(state.view);
      const j = e.key === "ArrowRight" ? (i + 1) % VIEWS.length : e.key === "ArrowLeft" ? (i + VIEWS.length - 1) % VIEWS.length : -1;
      if (j >= 0) { state.view = VIEWS[j]; refresh(); $("tab-" + state.view).focus(); }
    });
  }
  $("form").addEventListener("submit", (e) => { e.preventDefault(); });
  $("form").addEventListener("change", (e) => {
    const k = e.target.name;
    if (!FIELDS.includes(k)) return;
    state[k] = e.target.value.trim();
    refresh();
  });
  $("model").addEventListener("input", (e) => {
    clearTimeout(typing);
    typing = setTimeout(() => suggest(e.target.value), 120);
  });
  $("model").addEventListener("keydown", (e) => {
    if (e.key === "Enter") { state.model = e.target.value.trim(); refresh(); }
  });
  $("config-use").addEventListener("click", async () => {
    try { await upload({ kind: "config", name: "config.json", config: JSON.parse($("config-text").value) }); } catch (e) {
      $("error").textContent = `config.json: ${e.message}`;
      $("error").hidden = false;
    }
  });
  $("file").addEventListener("change", (e) => { if (e.target.files.length) useFiles([...e.target.files]); });
  $("trace-file").addEventListener("change", (e) => { if (e.target.files[0]) useTrace(e.target.files[0]); });
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length) useFiles([...e.dataTransfer.files]);
  });
  $("copy").addEventListener("click", async () => {
    const t = $("command").value;
    try { await navigator.clipboard.writeText(t); } catch (e) { $("command").select(); document.execCommand("copy"); }
    $("copy").textContent = "Copied";
    setTimeout(() => { $("copy").textContent = "Copy"; }, 1200);
  });
  window.addEventListener("popstate", () => { readUrl(); refresh(); });
}
document.addEventListener("DOMContentLoaded", init);
