// The citation graph page: reads the JSON block pyvis rendered (nodes, edges, options and the
// taxonomy), draws it with vis-network, wires the controls.
// Text from the graph only ever goes into the page through textContent, never as HTML.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("graph-data").textContent);
  const nodes = data.nodes;      // pyvis's nodes: each paper's two positions, size and facts
  const edges = data.edges;      // pyvis's edges: [citing, cited, influential]
  const options = JSON.parse(data.options);   // pyvis hands vis-network's options over as JSON text
  const byId = (id) => document.getElementById(id);
  const container = byId("graph");
  const LABEL_SIZE = data.labelSize;   // pixels on screen, whatever the zoom
  const LABEL_LIMIT = 400;             // labels drawn at most, however far one zooms out

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
  // Nodes carry no vis-network label: drawLabels below draws them, never overlapping.
  const nodeSet = new vis.DataSet(nodes.map((n, i) => ({ id: i, x: n.x, y: n.y, size: n.size, color: colourOf(n) })));
  const nodeView = new vis.DataView(nodeSet, { filter: (n) => visible[n.id] === 1 });
  // Citations reach vis-network only as hidden springs, once physics is freed (see drawEdges).
  const springs = new vis.DataSet();
  let shownEdges = [];          // indices into edges whose two papers are shown

  const network = new vis.Network(container, { nodes: nodeView, edges: springs }, options);

  // a small graph fills the view (vis-network stops its first fit at 1:1)
  network.fit({ maxZoomLevel: 1.5, animation: false });

  // --- labels: most important first (kg.page.label_order), each drawn only where it overlaps
  // no label already drawn, at a fixed size on screen; zooming in spreads the papers, so more fit.
  const shortLabel = (title) => {
    const name = title.split(":")[0].trim();
    return name.length <= 32 ? name : name.slice(0, 30).trimEnd() + "…";
  };
  const labelWidths = new Float32Array(nodes.length).fill(-1);
  const labelFont = (n) => `${n.listed ? "600 " : ""}${LABEL_SIZE}px system-ui, sans-serif`;
  let labelBoxes = [];          // what the last frame drew: {id, x, y, w, h} in screen pixels
  let yearBoxes = [];           // the timeline's year labels, drawn first

  class Placed {                // boxes on a grid of cells, to test overlaps without a full scan
    constructor() { this.cells = new Map(); }
    keys(box) {
      const keys = [];
      for (let cx = Math.floor(box.x / 100); cx <= Math.floor((box.x + box.w) / 100); cx++) {
        for (let cy = Math.floor(box.y / 100); cy <= Math.floor((box.y + box.h) / 100); cy++) keys.push(cx + "," + cy);
      }
      return keys;
    }
    overlaps(box) {
      return this.keys(box).some((key) => (this.cells.get(key) || []).some((o) =>
        box.x < o.x + o.w && o.x < box.x + box.w && box.y < o.y + o.h && o.y < box.y + box.h));
    }
    add(box) {
      for (const key of this.keys(box)) {
        if (!this.cells.has(key)) this.cells.set(key, []);
        this.cells.get(key).push(box);
      }
    }
  }

  function screenFrame() {
    const scale = network.getScale();
    const view = network.getViewPosition();
    const width = container.clientWidth;
    const height = container.clientHeight;
    return { scale, width, height, x: (x) => (x - view.x) * scale + width / 2, y: (y) => (y - view.y) * scale + height / 2 };
  }
  function onScreen(ctx, draw) {
    const ratio = (network.canvas && network.canvas.pixelRatio) || window.devicePixelRatio || 1;
    ctx.save();
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    draw();
    ctx.restore();
  }

  function drawYearLabels(ctx, frame, placed) {
    yearBoxes = [];
    if (layoutMode !== "year") return;
    onScreen(ctx, () => {
      ctx.textBaseline = "top";
      ctx.textAlign = "left";
      for (const band of data.years) {
        ctx.font = `${band.papers ? "600 " : ""}${LABEL_SIZE}px system-ui, sans-serif`;
        const w = ctx.measureText(band.label).width + 8;
        const left = frame.x(band.left);
        const right = frame.x(band.left + band.width);
        const box = { x: Math.max(left, Math.min((left + right - w) / 2, right - w)), y: 4, w, h: LABEL_SIZE + 6 };
        if (box.x + w < 0 || box.x > frame.width || placed.overlaps(box)) continue;
        placed.add(box);
        yearBoxes.push({ label: band.label, ...box });
        ctx.fillStyle = "rgba(255, 255, 255, 0.9)";
        ctx.fillRect(box.x, box.y, box.w, box.h);
        ctx.fillStyle = band.papers ? "#333" : "#888";
        ctx.fillText(band.label, box.x + 4, box.y + 3);
      }
    });
  }

  function drawLabels(ctx) {
    const frame = screenFrame();
    const placed = new Placed();
    drawYearLabels(ctx, frame, placed);
    const bodies = network.body.nodes;
    const boxes = [];
    onScreen(ctx, () => {
      ctx.textBaseline = "top";
      ctx.textAlign = "left";
      ctx.lineJoin = "round";
      for (const i of data.labelOrder) {
        const body = bodies[i];
        if (!visible[i] || !body) continue;
        const x = frame.x(body.x);
        const y = frame.y(body.y);
        if (x < 0 || x > frame.width || y < 0 || y > frame.height) continue;
        const n = nodes[i];
        ctx.font = labelFont(n);
        if (labelWidths[i] < 0) labelWidths[i] = ctx.measureText(shortLabel(n.title)).width;
        const text = shortLabel(n.title);
        // under its dot, moved in from the edges so that it is read whole
        const box = { id: i, text, x: Math.max(0, Math.min(x - labelWidths[i] / 2, frame.width - labelWidths[i])),
          y: y + body.options.size * frame.scale + 2, w: labelWidths[i], h: LABEL_SIZE + 2 };
        if (box.y + box.h > frame.height) continue;
        // kept clear of the labels already drawn by a margin, so that neighbours read as two
        // and the labels do not fill the view as a wall of text
        if (placed.overlaps({ x: box.x - 8, y: box.y - 5, w: box.w + 16, h: box.h + 10 })) continue;
        placed.add(box);
        boxes.push(box);
        ctx.lineWidth = 3;
        ctx.strokeStyle = "rgba(255, 255, 255, 0.9)";
        ctx.strokeText(text, box.x, box.y + 1);
        ctx.fillStyle = n.listed ? "#222" : "#555";
        ctx.fillText(text, box.x, box.y + 1);
        if (boxes.length >= LABEL_LIMIT) break;
      }
    });
    labelBoxes = boxes;
  }

  // --- the timeline: year bands shaded behind the papers -------------------------------------
  let layoutMode = "force";
  function shadeYears(ctx) {
    if (layoutMode !== "year") return;
    const top = network.DOMtoCanvas({ x: 0, y: 0 }).y;
    const bottom = network.DOMtoCanvas({ x: 0, y: container.clientHeight }).y;
    let shaded = 0;
    for (const band of data.years) {
      if (!band.papers) {
        ctx.fillStyle = "rgba(0, 0, 0, 0.08)";
        ctx.fillRect(band.left + band.width / 2 - 1, top, 2, bottom - top);
        continue;
      }
      ctx.fillStyle = shaded++ % 2 ? "rgba(60, 90, 140, 0.07)" : "rgba(60, 90, 140, 0.02)";
      ctx.fillRect(band.left, top, band.width, bottom - top);
    }
  }
  // --- citations: drawn before the dots, each style in one path (one stroke, one fill of
  // arrowheads), skipping lines wholly off screen; on large graphs hidden while the view moves.
  let moving = false;
  let drawnEdges = { plain: 0, influential: [], selected: [] };
  const ARROW = 7;              // arrowhead length in graph units
  function drawEdges(ctx) {
    drawnEdges = { plain: 0, influential: [], selected: [] };
    if (moving && data.large) return;
    const bodies = network.body.nodes;
    const scale = network.getScale();
    const low = network.DOMtoCanvas({ x: 0, y: 0 });
    const high = network.DOMtoCanvas({ x: container.clientWidth, y: container.clientHeight });
    const selected = new Set(network.getSelectedNodes());
    const arrows = ARROW * scale >= 2;       // smaller than that, an arrowhead is a smudge
    const paths = { plain: [new Path2D(), new Path2D()], influential: [new Path2D(), new Path2D()],
      selected: [new Path2D(), new Path2D()] };
    for (const i of shownEdges) {
      const [a, b, influential] = edges[i];
      const from = bodies[a];
      const to = bodies[b];
      if (!from || !to) continue;
      if ((from.x < low.x && to.x < low.x) || (from.x > high.x && to.x > high.x) ||
          (from.y < low.y && to.y < low.y) || (from.y > high.y && to.y > high.y)) continue;
      const style = selected.has(a) || selected.has(b) ? "selected" : influential ? "influential" : "plain";
      if (style === "plain") drawnEdges.plain += 1;
      else drawnEdges[style].push(i);
      const [line, heads] = paths[style];
      line.moveTo(from.x, from.y);
      line.lineTo(to.x, to.y);
      if (!arrows) continue;
      const dx = to.x - from.x;
      const dy = to.y - from.y;
      const length = Math.hypot(dx, dy);
      const reach = to.options.size + 1;
      if (length <= reach + ARROW) continue;
      const ux = dx / length;
      const uy = dy / length;
      const tipX = to.x - ux * reach;
      const tipY = to.y - uy * reach;
      heads.moveTo(tipX, tipY);
      heads.lineTo(tipX - ux * ARROW - uy * ARROW / 2, tipY - uy * ARROW + ux * ARROW / 2);
      heads.lineTo(tipX - ux * ARROW + uy * ARROW / 2, tipY - uy * ARROW - ux * ARROW / 2);
      heads.closePath();
    }
    for (const style of ["plain", "influential", "selected"]) {
      const { width, colour } = data.edgeStyles[style];
      ctx.lineWidth = width;
      ctx.strokeStyle = ctx.fillStyle = colour;
      ctx.stroke(paths[style][0]);
      ctx.fill(paths[style][1]);
    }
  }
  let stillTimer = null;
  const whileMoving = () => {
    moving = true;
    clearTimeout(stillTimer);
    stillTimer = setTimeout(() => { moving = false; network.redraw(); }, 200);
  };
  network.on("zoom", whileMoving);
  network.on("dragging", whileMoving);

  network.on("beforeDrawing", (ctx) => { shadeYears(ctx); drawEdges(ctx); });
  network.on("afterDrawing", drawLabels);

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
    if (n.citesListed) parts.push(`cites ${n.citesListed} listed paper${n.citesListed === 1 ? "" : "s"}`);
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
    if (n.listedTitle) parts.push(element("p", "Listed as: " + n.listedTitle, "listed-title"));
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
    shownEdges = [];
    edges.forEach(([a, b], i) => { if (visible[a] && visible[b]) shownEdges.push(i); });
    network.redraw();
    statusMessage = "";
    showStatus();
  }
  function showStatus() {
    status.textContent = `Showing ${nodeView.length} of ${nodes.length} papers and ${shownEdges.length} of ` +
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
      label.append(box, element("span", h.label, h.count ? "name" : "name empty"), element("span", h.count, "count"));
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

  // --- one legend, for what the colour means now ------------------------------------------
  // Each colour once, in the groups' order, counting the papers drawn in it (a paper under two
  // headings or in two clusters takes the colour of its first).
  function legendEntries() {
    const groups = colourBy === "cluster" ? data.clusters : data.headings.filter((h) => h.parent === null);
    const painted = new Map();
    for (const n of nodes) painted.set(colourOf(n), (painted.get(colourOf(n)) || 0) + 1);
    const entries = groups.filter((g) => g.colour !== data.otherColour && painted.has(g.colour))
      .map((g) => [g.colour, g.label, painted.get(g.colour)]);
    if (painted.has(data.otherColour)) {
      entries.push([data.otherColour, colourBy === "cluster" ? "smaller clusters" : "other headings",
        painted.get(data.otherColour)]);
    }
    if (painted.has(data.outsideColour)) {
      entries.push([data.outsideColour, colourBy === "cluster" ? "in no cluster" : "outside works, not on the list",
        painted.get(data.outsideColour)]);
    }
    return entries;
  }
  function showLegend() {
    byId("legend-title").textContent = colourBy === "cluster" ? "Colour: related-work cluster" : "Colour: top-level heading";
    byId("legend").replaceChildren(...legendEntries().map(([colour, label, count]) => {
      const item = element("li");
      item.dataset.colour = colour;
      const swatch = element("span", null, "swatch");
      swatch.style.background = colour;
      item.append(swatch, element("span", label, "name"), element("span", count, "count"));
      return item;
    }));
  }
  function setUpColouring() {
    showLegend();
    if (!data.clusters.length) return;
    byId("colour-control").hidden = false;
    byId("colour-by").addEventListener("change", (event) => {
      colourBy = event.target.value;
      nodeSet.update(nodes.map((n, i) => ({ id: i, color: colourOf(n) })));
      showLegend();
    });
  }

  // --- prior and derivative works -----------------------------------------------------------
  function buildWorkList(id, works, countLine) {
    const list = byId(id);
    if (!works.length) {
      list.replaceChildren(element("li", "none in this graph", "hint"));
      return;
    }
    list.replaceChildren(...works.map((i) => {
      const n = nodes[i];
      const button = element("button", n.title + (n.year ? ` (${n.year})` : ""));
      button.type = "button";
      button.dataset.node = String(i);
      button.append(element("span", countLine(n), "count"));
      button.addEventListener("click", () => focusNode(i));
      const item = element("li");
      item.append(button);
      return item;
    }));
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
  function setPhysics(on) {
    if (on && !springs.length) springs.add(edges.map(([a, b], i) => ({ id: i, from: a, to: b })));
    physics = on;
    network.setOptions({ physics: { enabled: physics } });
    layoutButton.textContent = physics ? "Freeze layout" : "Free layout";
    layoutButton.setAttribute("aria-pressed", String(physics));
  }
  layoutButton.addEventListener("click", () => setPhysics(!physics));
  // Force: the precomputed citation layout. Year: the timeline, year on the x axis (no physics,
  // which would pull papers out of their year).
  function setLayout(mode) {
    if (physics) setPhysics(false);
    layoutMode = mode;
    const year = mode === "year";
    nodeSet.update(nodes.map((n, i) => ({ id: i, x: year ? n.yearX : n.x, y: year ? n.yearY : n.y })));
    layoutButton.disabled = year;
    network.fit({ maxZoomLevel: 1.5, animation: false });
  }
  document.querySelectorAll("input[name=layout]").forEach((input) => input.addEventListener("change", () => {
    if (input.checked) setLayout(input.value);
  }));

  buildHeadingTree();
  setUpColouring();
  buildWorkList("prior-works", data.prior, (n) => `cited by ${n.citedInList} listed`);
  buildWorkList("derivative-works", data.derivative, (n) => `cites ${n.citesListed} listed`);
  setUpYears();
  for (const input of [yearFrom, yearTo, minCited]) input.addEventListener("input", applyFilters);
  document.querySelectorAll("input[name=works]").forEach((input) => input.addEventListener("change", applyFilters));
  applyFilters();

  // For tests and benchmarks: the network and its views, and when the first frame was drawn.
  window.kgPage = { data, network, nodeView, shownEdges: () => shownEdges, drawnEdges: () => drawnEdges, focusNode, setLayout, physics: () => physics,
    layout: () => layoutMode, labelBoxes: () => labelBoxes, yearBoxes: () => yearBoxes };
  network.once("afterDrawing", () => requestAnimationFrame(() => {
    window.kgPage.readyAt = performance.now();
    document.body.dataset.ready = "true";
  }));
})();
