// The site's SPARQL page: Oxigraph (WebAssembly) over the build's graph, in the browser.
// Saved queries bind their parameters as `kg query` does (kg/savedqueries.py): a VALUES block
// opening the query's WHERE group, holding the terms in N-Triples form, headings and papers
// looked up in the graph first. Everything from the graph reaches the page as text only.
"use strict";

(function () {
  const data = window.kgQueryData;
  const XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer";
  const RESULTS_JSON = "application/sparql-results+json";
  const $ = (id) => document.getElementById(id);
  const state = { store: null, query: null, lastText: null, lastJson: null };
  const prefixLines = Object.entries(data.prefixes).map(([p, iri]) => `PREFIX ${p}: <${iri}>`);
  const prefixText = prefixLines.join("\n") + "\n";

  class QueryError extends Error {}

  function bytesOf(base64) {
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(base64);
    const text = atob(base64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }

  // kg publish gzips the wasm and the graph; the browser inflates them (no request is made). The wasm
  // goes to the engine as a Response so that it is compiled while it is inflated.
  function gunzip(base64, type) {
    const stream = new Blob([bytesOf(base64)]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream, { headers: { "Content-Type": type } });
  }

  // A port of where_group_start (kg/savedqueries.py): the offset just inside the `{` opening the
  // top-level WHERE group, skipping comments, strings and IRIs.
  const TOKENS = new RegExp([
    String.raw`(?<comment>#[^\n]*)`,
    String.raw`(?<string>"""(?:[^"\\]|\\.|"(?!""))*"""|'''(?:[^'\\]|\\.|'(?!''))*'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')`,
    String.raw`(?<iri><[^<>"{}|^${"`"}\\\x00-\x20]*>)`,
    String.raw`(?<variable>[?$]\w+)`,
    String.raw`(?<word>[A-Za-z_][\w\-.]*(?::[\w\-.%]*)?|:[\w\-.%]*)`,
    String.raw`(?<open>\{)`,
    String.raw`(?<close>\})`,
    String.raw`(?<other>[\s\S])`,
  ].join("|"), "g");

  function whereGroupStart(text) {
    let depth = 0, afterWhere = false, firstOpen = null;
    for (const token of text.matchAll(TOKENS)) {
      const kind = Object.keys(token.groups).find((k) => token.groups[k] !== undefined);
      const end = token.index + token[0].length;
      if (kind === "open") {
        if (depth === 0) {
          if (afterWhere) return end;
          if (firstOpen === null) firstOpen = end;
        }
        depth += 1;
      } else if (kind === "close") {
        depth -= 1;
      } else if (kind === "word" && depth === 0 && token[0].toUpperCase() === "WHERE") {
        afterWhere = true;
      }
    }
    if (firstOpen === null) throw new QueryError("the query has no { ... } group to bind parameters in");
    return firstOpen;
  }

  function withValues(text, bindings) {
    const names = Object.keys(bindings);
    if (!names.length) return text;
    const at = whereGroupStart(text);
    const vars = names.map((n) => "?" + n).join(" ");
    const terms = names.map((n) => bindings[n]).join(" ");
    return `${text.slice(0, at)} VALUES (${vars}) { (${terms}) }${text.slice(at)}`;
  }

  function explain(error) {
    const message = String(error && error.message ? error.message : error);
    const m = /at (\d+):(\d+)/.exec(message);
    if (!m) return message;
    const line = Number(m[1]) - prefixLines.length;   // the page adds the prefix lines above the query
    return message.replace(m[0], `at line ${line}, column ${m[2]}`);
  }

  function select(text, format) {
    try {
      return state.store.query(prefixText + text, { use_default_graph_as_union: true, results_format: format });
    } catch (error) {
      throw new QueryError(explain(error));
    }
  }

  function integerValue(param, value) {
    const low = param.low, high = param.high;
    const expected = low !== null && high !== null ? `an integer from ${low} to ${high}`
      : low !== null ? `an integer of at least ${low}` : high !== null ? `an integer of at most ${high}` : "an integer";
    if (!/^\s*[-+]?\d+\s*$/.test(value)) throw new QueryError(`parameter ${param.name}: expected ${expected}, got ${JSON.stringify(value)}`);
    const number = parseInt(value, 10);
    if ((low !== null && number < low) || (high !== null && number > high)) {
      throw new QueryError(`parameter ${param.name}: expected ${expected}, got ${number}`);
    }
    return number;
  }

  function findOne(param, value) {
    const ref = value.trim().replace(/^</, "").replace(/>$/, "");
    if (!ref) throw new QueryError(`parameter ${param.name}: expected a ${param.kind}, got nothing`);
    const lookup = withValues(data.lookups[param.kind], { ref: oxigraph.literal(ref).toString() });
    const rows = JSON.parse(select(lookup, RESULTS_JSON)).results.bindings;
    const exact = rows.filter((r) => r.exact.value === "true");
    const matches = new Map((exact.length ? exact : rows).map((r) => [r.found.value, r.label.value]));
    if (matches.size === 1) return oxigraph.namedNode([...matches.keys()][0]).toString();
    if (!matches.size) throw new QueryError(`parameter ${param.name}: no ${param.kind} in the graph matches ${JSON.stringify(value)}`);
    const shown = [...matches].sort().slice(0, 10).map(([iri, label]) => `  ${iri}  ${label}`).join("\n");
    throw new QueryError(`parameter ${param.name}: ${JSON.stringify(value)} matches ${matches.size} ${param.kind}s; ` +
                         `give one of these IRIs (or more words):\n${shown}`);
  }

  function termFor(param, value) {
    if (param.kind === "string") {
      if (!value) throw new QueryError(`parameter ${param.name}: expected some text, got nothing`);
      return oxigraph.literal(value).toString();
    }
    if (param.kind === "integer") {
      return oxigraph.literal(String(integerValue(param, value)), oxigraph.namedNode(XSD_INTEGER)).toString();
    }
    return findOne(param, value);
  }

  function boundText() {
    const text = $("editor").value;
    if (!state.query) return text;
    const bindings = {};
    for (const param of state.query.params) {
      const value = $("param-" + param.name).value;
      if (!value.trim() && param.default === null) {
        throw new QueryError(`parameter ${param.name} is required: ${param.description}`);
      }
      bindings[param.name] = termFor(param, value.trim() ? value : param.default);
    }
    return withValues(text, bindings);
  }

  function shortIri(iri) {
    for (const [prefix, base] of Object.entries(data.prefixes)) {
      if (iri.startsWith(base) && /^[\w.\-]*$/.test(iri.slice(base.length))) return `${prefix}:${iri.slice(base.length)}`;
    }
    return iri;
  }

  function cell(term) {
    const td = document.createElement("td");
    if (!term) return td;
    if (term.type === "uri") {
      const page = data.pages[term.value];
      const node = document.createElement(page ? "a" : "span");
      if (page) node.href = page;
      node.className = "iri";
      node.title = term.value;
      node.textContent = shortIri(term.value);
      td.append(node);
    } else if (term.type === "bnode") {
      td.textContent = "_:" + term.value;
    } else {
      td.textContent = term.value;
    }
    return td;
  }

  function showTable(json) {
    const box = $("results");
    box.replaceChildren();
    if (json.boolean !== undefined) {
      const p = document.createElement("p");
      p.className = "boolean";
      p.textContent = String(json.boolean);
      box.append(p);
      return "answer: " + json.boolean;
    }
    const table = document.createElement("table");
    const head = table.createTHead().insertRow();
    for (const name of json.head.vars) {
      const th = document.createElement("th");
      th.textContent = name;
      head.append(th);
    }
    const body = table.createTBody();
    for (const row of json.results.bindings) {
      const tr = body.insertRow();
      for (const name of json.head.vars) tr.append(cell(row[name]));
    }
    box.append(table);
    const n = json.results.bindings.length;
    return `${n} row${n === 1 ? "" : "s"}`;
  }

  function showTriples(text) {
    const pre = document.createElement("pre");
    pre.textContent = text;
    $("results").replaceChildren(pre);
  }

  function run() {
    $("error").hidden = true;
    const started = performance.now();
    try {
      const text = boundText();
      let answer;
      try {
        answer = select(text, RESULTS_JSON);
      } catch (error) {
        if (!/RDF format/.test(error.message)) throw error;   // CONSTRUCT or DESCRIBE: triples, not rows
        showTriples(select(text, "application/n-triples"));
        state.lastText = state.lastJson = null;
        setDownloads(false);
        $("status").textContent = `triples, in ${Math.round(performance.now() - started)} ms`;
        return;
      }
      state.lastText = text;
      state.lastJson = answer;
      window.kgQueryPage.results = JSON.parse(answer);
      const summary = showTable(window.kgQueryPage.results);
      setDownloads(true);
      $("status").textContent = `${summary}, in ${Math.round(performance.now() - started)} ms`;
    } catch (error) {
      $("results").replaceChildren();
      window.kgQueryPage.results = null;
      setDownloads(false);
      $("error").textContent = error instanceof QueryError ? error.message : "error: " + error;
      $("error").hidden = false;
      $("status").textContent = "query failed";
    }
  }

  function setDownloads(on) {
    $("download-csv").disabled = $("download-json").disabled = !on;
  }

  function download(name, type, content) {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([content], { type }));
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
  }

  function field(param) {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.id = "param-" + param.name;
    input.name = param.name;
    if (param.kind === "integer") {
      input.type = "number";
      if (param.low !== null) input.min = param.low;
      if (param.high !== null) input.max = param.high;
    } else {
      input.type = "text";
      if (param.kind !== "string") input.setAttribute("list", param.kind + "-names");
    }
    if (param.default !== null) input.value = param.default;
    input.required = param.default === null;
    input.placeholder = param.type;
    label.htmlFor = input.id;
    label.textContent = `${param.name} (${param.type}): ${param.description}`;
    const row = document.createElement("div");
    row.className = "param";
    row.append(label, input);
    return row;
  }

  function choose(name) {
    const query = data.queries.find((q) => q.name === name);
    state.query = query;
    $("editor").value = query.text;
    $("query-description").textContent = query.description;
    $("params").replaceChildren(...query.params.map(field));
  }

  async function start() {
    window.kgQueryPage = { choose, run, results: null };
    const [quads] = await Promise.all([
      gunzip(window.kgGraphQuads, "application/n-quads").text(),
      oxigraph.init({ module_or_path: gunzip(window.kgOxigraphWasm, "application/wasm") }),
    ]);
    performance.mark("kg-compiled");
    state.store = new oxigraph.Store();
    // kg publish wrote these quads with Oxigraph: no need to check them again; a fresh store: nothing to roll back
    state.store.load(quads, { format: "application/n-quads", lenient: true, no_transaction: true });
    performance.mark("kg-loaded");
    for (const button of document.querySelectorAll("#examples button")) {
      button.addEventListener("click", () => choose(button.dataset.query));
    }
    $("editor").addEventListener("input", () => { if (state.query && !state.query.params.length) state.query = null; });
    $("query-form").addEventListener("submit", (event) => { event.preventDefault(); run(); });
    $("download-csv").addEventListener("click", () => {
      download("results.csv", "text/csv", select(state.lastText, "text/csv"));
    });
    $("download-json").addEventListener("click", () => download("results.json", RESULTS_JSON, state.lastJson));
    $("run").disabled = false;
    $("status").textContent = `${state.store.size} facts loaded`;
    window.kgQueryPage.readyAt = performance.now();     // since navigation start: what bench/site.py reports
    document.body.dataset.ready = "true";
  }

  start().catch((error) => {
    $("status").textContent = "could not load the graph: " + error;
  });
})();
