// The citation graph page: reads the JSON block pyvis rendered (nodes, edges, options and the
// taxonomy), draws it with vis-network, wires the controls.
// Text from the graph only ever goes into the page through textContent, never as HTML.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("graph-data").textContent);
  const nodes = data.nodes;      // pyvis's nodes: each paper's position, size, label and facts
  const edges = data.edges;      // pyvis's edges: [citing, cited, influential]
  const options = JSON.parse(data.options);   // pyvis hands vis-network's options over as JSON text
  const large = data.large;      // labels only once zoomed in (see kg.page.LARGE_NODES)
  const byId = (id) => document.getElementById(id);
  const container = byId("graph");
  const LABEL_SIZE = options.nodes.font.size;
  const READABLE = options.nodes.scaling.label.drawThreshold;

  // Listed neighbours of each outside work: it is shown only beside a shown listed paper.
  const listedNeighbours = nodes.map(() => []);
  for (const [a, b] of edges) {
    if (nodes[a].listed && !nodes[b].listed) listedNeighbours[b].push(a);
    if (nodes[b].listed && !nodes[a].listed) listedNeighbours[a].push(b);
  }
  // Title words the way kg.page.title_words makes them: lower-case letters and digits.
  const words = (text) => text.normalize("NFKD").toLowerCase().replace(/[^0-9a-z]+/g, " ").trim();
  const searchTitles = nodes.map((n) => words(n.title));

  let colourBy = "heading";
  const colourOf = (n) => {
    if (colourBy === "cluster") {
      return n.clusters && n.clusters.length ? data.clusters[n.clusters[0]].colour : data.outsideColour;
    }
    return n.listed && n.top !== null && n.top !== undefined ? data.headings[n.top].colour : data.outsideColour;
  };

  const visible = new Uint8Array(nodes.length).fill(1);
  // A label costs as much to set up as its node: on large graphs labels are added when zoomed in.
  const nodeSet = new vis.DataSet(nodes.map((n, i) => ({
    id: i, x: n.x, y: n.y, size: n.size, label: large ? undefined : n.label, color: colourOf(n),
  })));
  const edgeSet = new vis.DataSet(edges.map(([a, b, influential], i) => (influential
    ? { id: i, from: a, to: b, ...data.influentialEdge }
    : { id: i, from: a, to: b })));
  const nodeView = new vis.DataView(nodeSet, { filter: (n) => visible[n.id] === 1 });
  const edgeView = new vis.DataView(edgeSet, { filter: (e) => visible[e.from] === 1 && visible[e.to] === 1 });

  const network = new vis.Network(container, { nodes: nodeView, edges: edgeView }, options);

  // a small graph fills the view (vis-network stops its first fit at 1:1)
  network.fit({ maxZoomLevel: 1.5, animation: false });

  // --- labels on large graphs: those of the listed papers in view, once they are big enough to read
  if (large) {
    const labelled = new Uint8Array(nodes.length);
    let timer = null;
    const labelInView = () => {
      if (network.getScale() * LABEL_SIZE < READABLE) return;
      const box = container.getBoundingClientRect();
      const low = network.DOMtoCanvas({ x: 0, y: 0 });
      const high = network.DOMtoCanvas({ x: box.width, y: box.height });
      const positions = network.getPositions();
      const updates = [];
      for (const id in positions) {
        const at = positions[id];
        if (nodes[id].label && !labelled[id] && at.x >= low.x && at.x <= high.x && at.y >= low.y && at.y <= high.y) {
          labelled[id] = 1;
          updates.push({ id: Number(id), label: nodes[id].label });
        }
      }
      if (updates.length) nodeSet.update(updates);
    };
    const later = () => { clearTimeout(timer); timer = setTimeout(labelInView, 150); };
    for (const event of ["zoom", "dragEnd", "animationFinished"]) network.on(event, later);
  }

  // --- text helpers -------------------------------------------------------------------------
  function element(tag, text, className) {
    const el = document.createElement(tag);
    if (text !== undefined && text !== null) el.textContent = String(text);
    if (className) el.className = className;
    return el;
  }
  function authorLine(n) {
    if (!n.authors) return null;
    return n.authors.join(", ") + (n.moreAuthors ? ` and ${n.moreAuthors} more` : "");
  }
  function headingLine(n) {
    if (!n.listed) return "Outside work: not on the list, reached through citations";
    return "Listed under: " + n.headings.map((h) => data.headings[h].label).join("; ");
  }
  function citationLine(n) {
    const parts = [`cited by ${n.citedInList || 0} listed paper${n.citedInList === 1 ? "" : "s"}`];
    if (n.citations !== undefined) {
      parts.push(`${n.citations} citations on Semantic Scholar` +
        (n.influential !== undefined ? ` (${n.influential} influential)` : ""));
    }
    return parts.join("; ");
  }
  function clusterLine(n) {
    if (!n.clusters || !n.clusters.length) return null;
    return "Cluster: " + n.clusters.map((c) => data.clusters[c].label).join("; ");
  }
  function factLines(n) {
    return [
      ["authors", authorLine(n)],
      ["when", [n.year, n.venue].filter((v) => v !== undefined).join(" · ") || null],
      ["headings", headingLine(n)],
      ["clusters", clusterLine(n)],
      ["citations", citationLine(n)],
      ["tldr", n.tldr ? "TL;DR: " + n.tldr : null],
    ].filter(([, text]) => text);
  }

  // --- hover tooltip ------------------------------------------------------------------------
  const tooltip = byId("tooltip");
  network.on("hoverNode", (params) => {
    const n = nodes[params.node];
    tooltip.replaceChildren(element("strong", n.title), ...factLines(n).map(([cls, text]) => element("p", text, cls)));
    const box = container.getBoundingClientRect();
    const x = box.left + params.pointer.DOM.x + 14;
    const y = box.top + params.pointer.DOM.y + 14;
    tooltip.style.left = Math.min(x, window.innerWidth - 390) + "px";
    tooltip.style.top = Math.min(y, window.innerHeight - 160) + "px";
    tooltip.hidden = false;
  });
  network.on("blurNode", () => { tooltip.hidden = true; });
  network.on("dragStart", () => { tooltip.hidden = true; });

  // --- details panel (click) ----------------------------------------------------------------
  const details = byId("details");
  function link(url, text) {
    if (!/^https?:\/\//i.test(url)) return null;
    const a = element("a", text);
    a.href = url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }
  function showDetails(i) {
    const n = nodes[i];
    const close = element("button", "×", "close");
    close.type = "button";
    close.title = "close";
    close.addEventListener("click", () => { details.hidden = true; network.unselectAll(); });
    const parts = [close, element("h2", n.title)];
    if (n.sourceTitle) parts.push(element("p", "Title at the source: " + n.sourceTitle, "source-title"));
    for (const [cls, text] of factLines(n)) parts.push(element("p", text, cls));
    const links = element("p", null, "links");
    const anchors = [
      ...(n.pages || []).map((url) => link(url, "paper")),
      ...(n.code || []).map((url) => link(url, "code")),
      n.s2 ? link(data.s2PaperPage + encodeURIComponent(n.s2), "Semantic Scholar") : null,
    ].filter(Boolean);
    links.append(...anchors);
    if (anchors.length) parts.push(links);
    parts.push(element("p", n.iri, "iri"));
    details.replaceChildren(...parts);
    details.hidden = false;
  }
  network.on("click", (params) => {
    if (params.nodes.length) showDetails(params.nodes[0]);
    else details.hidden = true;
  });

  // --- filters ------------------------------------------------------------------------------
  const headingBoxes = [];
  const yearFrom = byId("year-from");
  const yearTo = byId("year-to");
  const minCited = byId("min-cited");
  const status = byId("status");
  let statusMessage = "";

  function applyFilters() {
    const checked = headingBoxes.map((box) => box.checked);
    const from = yearFrom.value === "" ? -Infinity : Number(yearFrom.value);
    const to = yearTo.value === "" ? Infinity : Number(yearTo.value);
    const least = Number(minCited.value) || 0;
    const withOutside = document.querySelector("input[name=works]:checked").value === "all";
    const passes = (n) => (n.year === undefined || (n.year >= from && n.year <= to)) && (n.citedInList || 0) >= least;
    nodes.forEach((n, i) => {
      if (n.listed) visible[i] = passes(n) && (!n.headings.length || n.headings.some((h) => checked[h])) ? 1 : 0;
    });
    nodes.forEach((n, i) => {
      if (!n.listed) visible[i] = withOutside && passes(n) && listedNeighbours[i].some((j) => visible[j]) ? 1 : 0;
    });
    nodeView.refresh();
    edgeView.refresh();
    statusMessage = "";
    showStatus();
  }
  function showStatus() {
    status.textContent = `Showing ${nodeView.length} of ${nodes.length} papers and ${edgeView.length} of ` +
      `${edges.length} citations.` + (statusMessage ? " " + statusMessage : "");
  }

  function buildHeadingTree() {
    const lists = data.headings.map(() => null);
    const root = byId("headings");
    data.headings.forEach((h, i) => {
      const item = element("li");
      const label = element("label");
      const box = element("input");
      box.type = "checkbox";
      box.checked = true;
      box.dataset.heading = String(i);
      const swatch = element("span", null, "swatch");
      if (h.colour) swatch.style.background = h.colour;
      label.append(box, swatch, element("span", h.label, h.count ? "name" : "name empty"), element("span", h.count, "count"));
      item.append(label);
      headingBoxes.push(box);
      (h.parent === null ? root : subList(h.parent)).append(item);
      lists[i] = item;
    });
    function subList(parent) {
      let list = lists[parent].querySelector(":scope > ul");
      if (!list) lists[parent].append((list = element("ul")));
      return list;
    }
    root.addEventListener("change", (event) => {
      const item = event.target.closest("li");
      item.querySelectorAll("input[type=checkbox]").forEach((box) => { box.checked = event.target.checked; });
      applyFilters();
    });
    const setAll = (value) => () => { headingBoxes.forEach((box) => { box.checked = value; }); applyFilters(); };
    byId("headings-all").addEventListener("click", setAll(true));
    byId("headings-none").addEventListener("click", setAll(false));
  }

  function buildClusterLegend() {
    if (!data.clusters.length) return;
    byId("colour-control").hidden = false;
    const list = byId("clusters");
    for (const c of data.clusters) {
      const label = element("label");
      const swatch = element("span", null, "swatch");
      swatch.style.background = c.colour;
      label.append(swatch, element("span", c.label, "name"), element("span", c.count, "count"));
      const item = element("li");
      item.append(label);
      list.append(item);
    }
    byId("colour-by").addEventListener("change", (event) => {
      colourBy = event.target.value;
      byId("cluster-legend").hidden = colourBy !== "cluster";
      document.querySelectorAll("#headings .swatch").forEach((s) => { s.hidden = colourBy === "cluster"; });
      nodeSet.update(nodes.map((n, i) => ({ id: i, color: colourOf(n) })));
    });
  }

  function setUpYears() {
    const years = nodes.map((n) => n.year).filter((y) => y !== undefined);
    if (!years.length) {
      yearFrom.disabled = yearTo.disabled = true;
      return;
    }
    const low = Math.min(...years);
    const high = Math.max(...years);
    for (const input of [yearFrom, yearTo]) { input.min = low; input.max = high; }
    yearFrom.value = low;
    yearTo.value = high;
  }

  // --- search -------------------------------------------------------------------------------
  const search = byId("search");
  const results = byId("search-results");
  function matches(query) {
    const wanted = words(query).split(" ").filter(Boolean);
    if (!wanted.length) return [];
    const found = [];
    searchTitles.forEach((title, i) => { if (wanted.every((w) => title.includes(w))) found.push(i); });
    // listed papers first, then titles that start with the words, then shorter titles
    const start = wanted.join(" ");
    const rank = (i) => [nodes[i].listed ? 0 : 1, searchTitles[i].startsWith(start) ? 0 : 1, searchTitles[i].length, i];
    return found.map((i) => [rank(i), i]).sort((a, b) => {
      for (let k = 0; k < 4; k++) if (a[0][k] !== b[0][k]) return a[0][k] - b[0][k];
      return 0;
    }).map(([, i]) => i);
  }
  function focusNode(i) {
    const n = nodes[i];
    showDetails(i);
    if (!visible[i]) {
      statusMessage = `“${n.title}” is hidden by the filters.`;
      showStatus();
      return;
    }
    network.selectNodes([i]);
    network.focus(i, { scale: Math.max(network.getScale(), 1.2), animation: { duration: 300, easingFunction: "easeInOutQuad" } });
    statusMessage = "";
    showStatus();
  }
  search.addEventListener("input", () => {
    const found = matches(search.value);
    results.replaceChildren(...found.slice(0, 10).map((i) => {
      const button = element("button", nodes[i].title + (nodes[i].year ? ` (${nodes[i].year})` : ""));
      button.type = "button";
      button.addEventListener("click", () => focusNode(i));
      const item = element("li");
      item.append(button);
      return item;
    }));
    if (search.value.trim() && !found.length) results.replaceChildren(element("li", "No paper title has these words.", "hint"));
  });
  search.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    const found = matches(search.value);
    if (found.length) focusNode(found[0]);
  });

  // --- layout -------------------------------------------------------------------------------
  const layoutButton = byId("layout-toggle");
  let physics = false;
  layoutButton.addEventListener("click", () => {
    physics = !physics;
    network.setOptions({ physics: { enabled: physics } });
    layoutButton.textContent = physics ? "Freeze layout" : "Free layout";
    layoutButton.setAttribute("aria-pressed", String(physics));
  });

  buildHeadingTree();
  buildClusterLegend();
  setUpYears();
  for (const input of [yearFrom, yearTo, minCited]) input.addEventListener("input", applyFilters);
  document.querySelectorAll("input[name=works]").forEach((input) => input.addEventListener("change", applyFilters));
  applyFilters();

  // For tests and benchmarks: the network and its views, and when the first frame was drawn.
  window.kgPage = { data, network, nodeView, edgeView, focusNode, physics: () => physics };
  network.once("afterDrawing", () => requestAnimationFrame(() => {
    window.kgPage.readyAt = performance.now();
    document.body.dataset.ready = "true";
  }));
})();
