// faultline's space-time (Lamport) diagram: lanes for nodes and clients, messages as arrows.
//
// The page embeds the run compactly (report/diagram.cc: columns of varints in base64) and
// this script draws only the window in view on a canvas, so a run of a million messages
// stays as quick to open as a short one and nothing is left out. Scroll or drag to move
// through time, Ctrl+scroll (or the buttons) to zoom, hover for a message's details. Each
// diagram opens on its focus: the first anomaly, or the start of the run.
//
// When the page has drawn, <body> carries data-render-ms (milliseconds from navigation start
// to the diagrams drawn), data-draw-ms (of which this script's decoding and drawing) and
// data-diagrams (how many were drawn): the tests read them.
(function () {
  'use strict';
  const scriptStarted = performance.now();

  const LANE_HEIGHT = 30;
  const AXIS_HEIGHT = 26;
  const GUTTER = 64;
  const OVERVIEW_HEIGHT = 40;
  const ARROWS_DRAWN_MAX = 20000;  // past this, the window shows message density
  const LONG_ARROW_NS = 1e9;       // arrows longer than this are kept aside for the window search

  const COLORS = {
    ok: '#2e7d32', fail: '#c62828', info: '#ef6c00', dropped: '#d32f2f', duplicate: '#7b1fa2',
    tampered: '#ff6f00', lane: '#b0bec5', text: '#37474f', muted: '#78909c', anomaly: 'rgba(198,40,40,0.10)',
    fault: 'rgba(198,40,40,0.08)', faultEdge: 'rgba(198,40,40,0.55)', network: 'rgba(239,108,0,0.07)',
    crashed: 'rgba(55,71,79,0.28)', paused: 'rgba(120,144,156,0.25)',
    leader: '#1565c0', candidate: '#f9a825', 'pre-candidate': '#fbc02d', follower: '#90a4ae',
  };
  const TYPE_PALETTE = ['#455a64', '#1e88e5', '#00897b', '#5e35b1', '#6d4c41', '#3949ab', '#00838f', '#558b2f',
    '#8e24aa', '#546e7a', '#0277bd', '#2e7d32'];

  // Decodes `count` unsigned LEB128 varints from base64 into a Float64Array (exact to 2^53).
  function varints(base64, count) {
    const out = new Float64Array(count);
    if (!count) return out;
    const binary = atob(base64);
    let value = 0, scale = 1, n = 0;
    for (let i = 0; i < binary.length && n < count; i++) {
      const byte = binary.charCodeAt(i);
      value += (byte & 0x7f) * scale;
      if (byte & 0x80) {
        scale *= 128;
      } else {
        out[n++] = value;
        value = 0;
        scale = 1;
      }
    }
    return out;
  }

  function prefixSums(values) {
    let sum = 0;
    for (let i = 0; i < values.length; i++) {
      sum += values[i];
      values[i] = sum;
    }
    return values;
  }

  // First index whose value is >= x in a sorted array.
  function lowerBound(values, x) {
    let lo = 0, hi = values.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (values[mid] < x) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  function formatTime(ns) {
    if (ns === 0) return '0 s';
    const s = ns / 1e9;
    if (Math.abs(s) >= 100) return s.toFixed(1) + ' s';
    if (Math.abs(s) >= 1) return s.toFixed(3) + ' s';
    return (ns / 1e6).toFixed(3) + ' ms';
  }

  function formatSpan(ns) {
    if (ns >= 1e9) return (ns / 1e9).toPrecision(3) + ' s';
    if (ns >= 1e6) return (ns / 1e6).toPrecision(3) + ' ms';
    if (ns >= 1e3) return (ns / 1e3).toPrecision(3) + ' µs';
    return Math.round(ns) + ' ns';
  }

  function niceStep(span, ticks) {
    const raw = span / ticks;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
    return 10 * power;
  }

  class Diagram {
    constructor(root, data) {
      this.root = root;
      this.data = data;
      this.lanes = data.lanes;
      this.decode();
      this.build();
      const focus = data.focus || [0, Math.max(1, data.end)];
      this.setWindow(focus[0], focus[1]);
      this.group = null;
    }

    decode() {
      const d = this.data, a = d.arrows, o = d.ops;
      this.count = a.count;
      this.sent = prefixSums(varints(a.sent, a.count));
      const duration = varints(a.duration, a.count);
      this.ended = new Float64Array(a.count);
      for (let i = 0; i < a.count; i++) this.ended[i] = this.sent[i] + duration[i];
      this.from = varints(a.from, a.count);
      this.to = varints(a.to, a.count);
      this.type = varints(a.type, a.count);
      this.flags = varints(a.flags, a.count);
      this.longArrows = [];
      for (let i = 0; i < a.count; i++) if (duration[i] > LONG_ARROW_NS) this.longArrows.push(i);
      this.opCount = o.count;
      this.opInvoked = prefixSums(varints(o.invoked, o.count));
      const opDuration = varints(o.duration, o.count);
      this.opCompleted = new Float64Array(o.count);
      this.opLongest = 0;
      for (let i = 0; i < o.count; i++) {
        this.opCompleted[i] = this.opInvoked[i] + opDuration[i];
        this.opLongest = Math.max(this.opLongest, opDuration[i]);
      }
      this.opLane = varints(o.lane, o.count);
      this.opOutcome = varints(o.outcome, o.count);
      this.opHighlighted = new Set(o.highlight || []);
      // Each lane's roles as spans: [from, to, role, term].
      this.roleSpans = this.lanes.map(() => []);
      const last = this.lanes.map(() => null);
      for (const [t, lane, role, term] of d.roles) {
        if (last[lane]) { last[lane][1] = t; this.roleSpans[lane].push(last[lane]); }
        last[lane] = [t, d.end, role, term];
      }
      last.forEach((span, lane) => { if (span) this.roleSpans[lane].push(span); });
      // Messages sent over the whole run, for the overview.
      this.overviewBins = new Float64Array(400);
      const end = Math.max(1, d.end);
      for (let i = 0; i < a.count; i++) {
        this.overviewBins[Math.min(399, Math.floor(this.sent[i] / end * 400))]++;
      }
    }

    build() {
      const root = this.root;
      root.innerHTML = '';
      const bar = document.createElement('div');
      bar.className = 'toolbar';
      const button = (label, title, action) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = label;
        b.title = title;
        b.addEventListener('click', action);
        bar.appendChild(b);
        return b;
      };
      button('−', 'Zoom out', () => this.zoom(2));
      button('+', 'Zoom in', () => this.zoom(0.5));
      button('◀', 'Earlier', () => this.pan(-0.5));
      button('▶', 'Later', () => this.pan(0.5));
      if (this.data.anomaly) {
        button('anomaly', 'The first anomaly', () => this.setWindow(this.data.focus[0], this.data.focus[1]));
      }
      button('start', 'The start of the run', () => {
        const span = this.t1 - this.t0;
        this.setWindow(0, span);
      });
      button('whole run', 'Everything (as message density when crowded)', () => this.setWindow(0, this.data.end));
      this.status = document.createElement('span');
      this.status.className = 'status';
      bar.appendChild(this.status);
      root.appendChild(bar);
      this.canvas = document.createElement('canvas');
      this.canvas.className = 'main';
      root.appendChild(this.canvas);
      this.overview = document.createElement('canvas');
      this.overview.className = 'overview';
      root.appendChild(this.overview);
      this.tip = document.createElement('div');
      this.tip.className = 'tip';
      root.appendChild(this.tip);
      this.height = AXIS_HEIGHT + this.lanes.length * LANE_HEIGHT + 8;
      this.canvas.style.height = this.height + 'px';
      this.overview.style.height = OVERVIEW_HEIGHT + 'px';
      this.listen();
    }

    listen() {
      const canvas = this.canvas;
      canvas.addEventListener('wheel', (event) => {
        event.preventDefault();
        if (event.ctrlKey || event.metaKey) {
          const rect = canvas.getBoundingClientRect();
          this.zoom(Math.exp(event.deltaY * 0.002), this.timeAt(event.clientX - rect.left));
        } else {
          const delta = Math.abs(event.deltaX) > Math.abs(event.deltaY) ? event.deltaX : event.deltaY;
          this.pan(delta / Math.max(1, this.plotWidth()));
        }
      }, { passive: false });
      let dragging = null;
      canvas.addEventListener('pointerdown', (event) => {
        dragging = { x: event.clientX, t0: this.t0, t1: this.t1 };
        canvas.setPointerCapture(event.pointerId);
      });
      canvas.addEventListener('pointerup', () => { dragging = null; });
      canvas.addEventListener('pointermove', (event) => {
        if (dragging) {
          const dt = (event.clientX - dragging.x) / this.plotWidth() * (dragging.t1 - dragging.t0);
          this.setWindow(dragging.t0 - dt, dragging.t1 - dt);
          return;
        }
        this.hover(event);
      });
      canvas.addEventListener('pointerleave', () => { this.tip.style.display = 'none'; });
      const jump = (event) => {
        const rect = this.overview.getBoundingClientRect();
        const t = (event.clientX - rect.left - GUTTER) / Math.max(1, rect.width - GUTTER) * this.data.end;
        const span = this.t1 - this.t0;
        this.setWindow(t - span / 2, t + span / 2);
      };
      let overviewDrag = false;
      this.overview.addEventListener('pointerdown', (event) => {
        overviewDrag = true;
        this.overview.setPointerCapture(event.pointerId);
        jump(event);
      });
      this.overview.addEventListener('pointermove', (event) => { if (overviewDrag) jump(event); });
      this.overview.addEventListener('pointerup', () => { overviewDrag = false; });
      window.addEventListener('resize', () => this.draw());
    }

    plotWidth() { return Math.max(50, this.canvas.clientWidth - GUTTER - 8); }
    timeAt(x) { return this.t0 + (x - GUTTER) / this.plotWidth() * (this.t1 - this.t0); }
    xOf(t) { return GUTTER + (t - this.t0) / (this.t1 - this.t0) * this.plotWidth(); }
    yOf(lane) { return AXIS_HEIGHT + lane * LANE_HEIGHT + LANE_HEIGHT / 2; }

    setWindow(t0, t1, fromGroup) {
      const end = Math.max(1, this.data.end);
      let span = Math.max(1000, Math.min(t1 - t0, end * 1.2));
      let start = Math.min(Math.max(t0, -span * 0.1), end - span * 0.9);
      this.t0 = start;
      this.t1 = start + span;
      this.draw();
      if (this.group && !fromGroup) {
        for (const other of this.group) if (other !== this) other.setWindow(this.t0, this.t1, true);
      }
    }

    zoom(factor, around) {
      const center = around === undefined ? (this.t0 + this.t1) / 2 : around;
      this.setWindow(center - (center - this.t0) * factor, center + (this.t1 - center) * factor);
    }

    pan(fraction) {
      const dt = (this.t1 - this.t0) * fraction;
      this.setWindow(this.t0 + dt, this.t1 + dt);
    }

    // The arrows that overlap the window, by index; null past `limit` (then `counted` holds how many).
    visibleArrows(limit) {
      const found = [];
      let counted = 0;
      const first = lowerBound(this.sent, this.t0 - LONG_ARROW_NS);
      const last = lowerBound(this.sent, this.t1 + 1);
      for (let i = first; i < last; i++) {
        if (this.ended[i] < this.t0 || this.ended[i] - this.sent[i] > LONG_ARROW_NS) continue;
        counted++;
        if (counted <= limit) found.push(i);
      }
      for (const i of this.longArrows) {
        if (this.sent[i] > this.t1 || this.ended[i] < this.t0) continue;
        counted++;
        if (counted <= limit) found.push(i);
      }
      this.visibleCount = counted;
      return counted > limit ? null : found;
    }

    draw() {
      const started = performance.now();
      const ratio = window.devicePixelRatio || 1;
      const width = Math.max(200, this.canvas.clientWidth);
      this.canvas.width = Math.round(width * ratio);
      this.canvas.height = Math.round(this.height * ratio);
      const g = this.canvas.getContext('2d');
      g.setTransform(ratio, 0, 0, ratio, 0, 0);
      g.clearRect(0, 0, width, this.height);
      g.font = '11px system-ui, sans-serif';
      this.drawBackground(g);
      this.drawLanes(g);
      // Operations and messages that began before the window stay out of the lane names.
      g.save();
      g.beginPath();
      g.rect(GUTTER, 0, this.plotWidth() + 8, this.height);
      g.clip();
      this.drawOps(g);
      const visible = this.visibleArrows(ARROWS_DRAWN_MAX);
      this.drawn = [];
      if (visible) {
        for (const i of visible) this.drawArrow(g, i);
      } else {
        this.drawDensity(g);
      }
      g.restore();
      this.drawAxis(g);
      this.drawOverview();
      const note = visible ? `${this.visibleCount.toLocaleString()} messages in view`
        : `${this.visibleCount.toLocaleString()} messages in view: density shown, zoom in to see each`;
      this.status.textContent = `${formatTime(this.t0)} – ${formatTime(this.t1)} (${formatSpan(this.t1 - this.t0)})` +
        ` · ${note}` +
        ` · ${this.count.toLocaleString()} in the run`;
      this.lastDrawMs = performance.now() - started;
    }

    drawBackground(g) {
      const top = AXIS_HEIGHT, bottom = this.height - 4;
      for (const fault of this.data.faults) {
        if (fault.to < this.t0 || fault.from > this.t1) continue;
        const x0 = Math.max(GUTTER, this.xOf(fault.from)), x1 = Math.min(GUTTER + this.plotWidth(), this.xOf(fault.to));
        const lanes = fault.lanes.length ? fault.lanes : null;
        g.fillStyle = lanes ? COLORS.fault : COLORS.network;
        if (lanes) {
          for (const lane of lanes) {
            g.fillRect(x0, this.yOf(lane) - LANE_HEIGHT / 2 + 1, Math.max(1, x1 - x0), LANE_HEIGHT - 2);
          }
        } else {
          g.fillRect(x0, top, Math.max(1, x1 - x0), bottom - top);
        }
        g.fillStyle = COLORS.faultEdge;
        g.fillRect(x0, top, 1, bottom - top);
        g.fillText(fault.label, x0 + 3, top + 10 + (fault.row || 0) * 11);
      }
      if (this.data.anomaly) {
        const [from, to] = this.data.anomaly;
        const x0 = this.xOf(from), x1 = this.xOf(to);
        if (x1 >= GUTTER && x0 <= GUTTER + this.plotWidth()) {
          g.fillStyle = COLORS.anomaly;
          g.fillRect(Math.max(GUTTER, x0), top, Math.max(2, x1 - Math.max(GUTTER, x0)), bottom - top);
          g.strokeStyle = COLORS.fail;
          g.lineWidth = 1.5;
          g.beginPath();
          g.moveTo(x1, top);
          g.lineTo(x1, bottom);
          g.stroke();
        }
      }
    }

    drawLanes(g) {
      const right = GUTTER + this.plotWidth();
      this.lanes.forEach((lane, index) => {
        const y = this.yOf(index);
        g.fillStyle = COLORS.text;
        g.textAlign = 'right';
        g.fillText(lane.name, GUTTER - 8, y + 4);
        g.textAlign = 'left';
        g.strokeStyle = COLORS.lane;
        g.lineWidth = 1;
        g.beginPath();
        g.moveTo(GUTTER, y);
        g.lineTo(right, y);
        g.stroke();
        for (const [from, to, role, term] of this.roleSpans[index]) {
          if (to < this.t0 || from > this.t1 || role === 'down') continue;
          const x0 = Math.max(GUTTER, this.xOf(from)), x1 = Math.min(right, this.xOf(to));
          g.strokeStyle = COLORS[role] || COLORS.follower;
          g.lineWidth = role === 'leader' ? 4 : role === 'follower' ? 1.5 : 3;
          g.beginPath();
          g.moveTo(x0, y);
          g.lineTo(x1, y);
          g.stroke();
          if (role !== 'follower' && x1 - x0 > 70) {
            g.fillStyle = COLORS[role] || COLORS.text;
            g.fillText(`${role} t${term}`, x0 + 3, y - 5);
          }
        }
      });
      for (const [lane, from, to, state] of this.data.spans) {
        if (to < this.t0 || from > this.t1) continue;
        const x0 = Math.max(GUTTER, this.xOf(from)), x1 = Math.min(right, this.xOf(to));
        g.fillStyle = COLORS[state] || COLORS.paused;
        g.fillRect(x0, this.yOf(lane) - 9, Math.max(2, x1 - x0), 18);
        if (x1 - x0 > 50) {
          g.fillStyle = COLORS.text;
          g.fillText(state, x0 + 3, this.yOf(lane) + 4);
        }
      }
    }

    drawOps(g) {
      if (!this.opCount) return;
      const labels = this.data.ops.labels;
      const first = lowerBound(this.opInvoked, this.t0 - this.opLongest);
      const last = lowerBound(this.opInvoked, this.t1 + 1);
      // Too many to tell apart: the window is zoomed out past the operations.
      if (last - first > ARROWS_DRAWN_MAX) return;
      const outcomeColor = [COLORS.info, COLORS.ok, COLORS.fail, COLORS.info];
      for (let i = first; i < last; i++) {
        if (this.opCompleted[i] < this.t0) continue;
        const y = this.yOf(this.opLane[i]);
        const x0 = this.xOf(this.opInvoked[i]), x1 = this.xOf(this.opCompleted[i]);
        const width = Math.max(2, x1 - x0);
        const outcome = this.opOutcome[i];
        g.fillStyle = outcomeColor[outcome] || COLORS.info;
        // An operation of unknown outcome is an outline: it may have happened anywhere along it.
        g.globalAlpha = outcome === 3 ? 0.12 : 0.35;
        g.fillRect(x0, y - 12, width, 9);
        g.globalAlpha = 1;
        if (outcome === 3) {
          g.strokeStyle = COLORS.info;
          g.lineWidth = 1;
          g.setLineDash([3, 3]);
          g.strokeRect(x0, y - 12, width, 9);
          g.setLineDash([]);
        }
        if (this.opHighlighted.has(i)) {
          g.strokeStyle = COLORS.fail;
          g.lineWidth = 2;
          g.strokeRect(x0 - 1, y - 13, width + 2, 11);
        }
        if (width > 60 && labels[i]) {
          g.fillStyle = COLORS.text;
          g.save();
          g.beginPath();
          g.rect(x0, y - 14, width, 12);
          g.clip();
          g.fillText(labels[i], x0 + 2, y - 4);
          g.restore();
        }
      }
    }

    drawArrow(g, i) {
      const flags = this.flags[i];
      const dropped = flags & 1, duplicate = flags & 2, tampered = flags & 4, inFlight = flags & 8;
      const x0 = this.xOf(this.sent[i]), y0 = this.yOf(this.from[i]);
      let x1 = this.xOf(this.ended[i]), y1 = this.yOf(this.to[i]);
      if (dropped) {
        x1 = Math.max(x1, x0 + 10);
        y1 = y0 + (y1 - y0) * 0.6;
      }
      g.strokeStyle = dropped ? COLORS.dropped : duplicate ? COLORS.duplicate : tampered ? COLORS.tampered
        : TYPE_PALETTE[this.type[i] % TYPE_PALETTE.length];
      g.fillStyle = g.strokeStyle;
      g.lineWidth = tampered ? 2 : 1;
      g.setLineDash(duplicate || inFlight ? [4, 3] : []);
      g.beginPath();
      g.moveTo(x0, y0);
      g.lineTo(x1, y1);
      g.stroke();
      g.setLineDash([]);
      if (dropped) {
        g.lineWidth = 2;
        g.beginPath();
        g.moveTo(x1 - 4, y1 - 4); g.lineTo(x1 + 4, y1 + 4);
        g.moveTo(x1 + 4, y1 - 4); g.lineTo(x1 - 4, y1 + 4);
        g.stroke();
      } else if (!inFlight) {
        const angle = Math.atan2(y1 - y0, x1 - x0);
        g.beginPath();
        g.moveTo(x1, y1);
        g.lineTo(x1 - 6 * Math.cos(angle - 0.4), y1 - 6 * Math.sin(angle - 0.4));
        g.lineTo(x1 - 6 * Math.cos(angle + 0.4), y1 - 6 * Math.sin(angle + 0.4));
        g.closePath();
        g.fill();
      }
      if (tampered) g.fillText('!', (x0 + x1) / 2 + 3, (y0 + y1) / 2);
      this.drawn.push([i, x0, y0, x1, y1]);
    }

    // Too many messages to draw one by one: each lane shows how many it sent per pixel column.
    drawDensity(g) {
      const width = Math.ceil(this.plotWidth());
      const bins = this.lanes.map(() => new Float64Array(width));
      const first = lowerBound(this.sent, this.t0), last = lowerBound(this.sent, this.t1 + 1);
      const scale = width / (this.t1 - this.t0);
      let peak = 1;
      for (let i = first; i < last; i++) {
        const column = Math.min(width - 1, Math.floor((this.sent[i] - this.t0) * scale));
        const count = ++bins[this.from[i]][column];
        if (count > peak) peak = count;
      }
      bins.forEach((row, lane) => {
        const y = this.yOf(lane);
        g.fillStyle = '#1e88e5';
        for (let x = 0; x < width; x++) {
          if (!row[x]) continue;
          const h = Math.max(1, (LANE_HEIGHT - 6) * Math.sqrt(row[x] / peak));
          g.fillRect(GUTTER + x, y - h / 2, 1, h);
        }
      });
    }

    drawAxis(g) {
      const span = this.t1 - this.t0;
      const step = niceStep(span, Math.max(2, this.plotWidth() / 110));
      g.fillStyle = '#fff';
      g.fillRect(0, 0, this.canvas.clientWidth, AXIS_HEIGHT - 6);
      g.fillStyle = COLORS.muted;
      g.strokeStyle = '#eceff1';
      g.lineWidth = 1;
      for (let t = Math.ceil(this.t0 / step) * step; t <= this.t1; t += step) {
        const x = this.xOf(t);
        g.beginPath();
        g.moveTo(x, AXIS_HEIGHT - 6);
        g.lineTo(x, this.height - 4);
        g.stroke();
        g.fillText(formatTime(t), x + 2, 12);
      }
    }

    drawOverview() {
      const ratio = window.devicePixelRatio || 1;
      const width = Math.max(200, this.overview.clientWidth);
      this.overview.width = Math.round(width * ratio);
      this.overview.height = Math.round(OVERVIEW_HEIGHT * ratio);
      const g = this.overview.getContext('2d');
      g.setTransform(ratio, 0, 0, ratio, 0, 0);
      g.clearRect(0, 0, width, OVERVIEW_HEIGHT);
      const plot = width - GUTTER - 8, end = Math.max(1, this.data.end);
      const x = (t) => GUTTER + t / end * plot;
      g.fillStyle = '#f6f8fa';
      g.fillRect(GUTTER, 0, plot, OVERVIEW_HEIGHT);
      for (const fault of this.data.faults) {
        g.fillStyle = fault.lanes.length ? 'rgba(198,40,40,0.18)' : 'rgba(239,108,0,0.15)';
        g.fillRect(x(fault.from), 0, Math.max(1, x(fault.to) - x(fault.from)), OVERVIEW_HEIGHT);
      }
      let peak = 1;
      for (const count of this.overviewBins) peak = Math.max(peak, count);
      g.fillStyle = '#90a4ae';
      const binWidth = plot / this.overviewBins.length;
      this.overviewBins.forEach((count, i) => {
        const h = (OVERVIEW_HEIGHT - 4) * count / peak;
        g.fillRect(GUTTER + i * binWidth, OVERVIEW_HEIGHT - h, Math.max(1, binWidth - 0.5), h);
      });
      if (this.data.anomaly) {
        g.fillStyle = 'rgba(198,40,40,0.35)';
        g.fillRect(x(this.data.anomaly[0]), 0, Math.max(2, x(this.data.anomaly[1]) - x(this.data.anomaly[0])),
          OVERVIEW_HEIGHT);
        g.fillStyle = COLORS.fail;
        g.fillRect(x(this.data.anomaly[0]), 0, 2, OVERVIEW_HEIGHT);
      }
      g.strokeStyle = COLORS.leader;
      g.lineWidth = 2;
      g.strokeRect(x(Math.max(0, this.t0)), 1, Math.max(3, x(Math.min(end, this.t1)) - x(Math.max(0, this.t0))),
        OVERVIEW_HEIGHT - 2);
      g.fillStyle = COLORS.muted;
      g.font = '11px system-ui, sans-serif';
      g.fillText('whole run', 4, 24);
    }

    hover(event) {
      const rect = this.canvas.getBoundingClientRect();
      const px = event.clientX - rect.left, py = event.clientY - rect.top;
      let best = null, bestDistance = 6;
      for (const [i, x0, y0, x1, y1] of this.drawn) {
        const dx = x1 - x0, dy = y1 - y0;
        const length = dx * dx + dy * dy;
        const t = length ? Math.max(0, Math.min(1, ((px - x0) * dx + (py - y0) * dy) / length)) : 0;
        const distance = Math.hypot(px - (x0 + t * dx), py - (y0 + t * dy));
        if (distance < bestDistance) { best = i; bestDistance = distance; }
      }
      let text = null;
      if (best !== null) {
        text = this.describeArrow(best);
      } else {
        const op = this.opAt(px, py);
        if (op !== null) text = this.describeOp(op);
      }
      if (!text) {
        this.tip.style.display = 'none';
        return;
      }
      this.tip.textContent = text;
      this.tip.style.display = 'block';
      const left = Math.min(px + 14, this.canvas.clientWidth - 360);
      this.tip.style.left = Math.max(0, left) + 'px';
      this.tip.style.top = (py + 46) + 'px';
    }

    describeArrow(i) {
      const d = this.data, flags = this.flags[i];
      const from = this.lanes[this.from[i]].name, to = this.lanes[this.to[i]].name;
      let text = `${d.types[this.type[i]]}  ${from} → ${to}\nsent ${formatTime(this.sent[i])}`;
      if (flags & 1) {
        text += `, dropped ${formatTime(this.ended[i])} (${d.reasons[flags >> 4] || 'dropped'})`;
      } else if (flags & 8) {
        text += ', still in flight when the run ended';
      } else {
        text += `, delivered ${formatTime(this.ended[i])} (after ${formatSpan(this.ended[i] - this.sent[i])})`;
      }
      if (flags & 2) text += '\na duplicate delivery';
      if (flags & 4) text += '\ntampered with in flight';
      const body = d.bodies[i];
      if (body) text += '\n' + body;
      return text;
    }

    opAt(px, py) {
      if (!this.opCount) return null;
      const t = this.timeAt(px);
      const first = lowerBound(this.opInvoked, t - this.opLongest), last = lowerBound(this.opInvoked, t + 1);
      for (let i = first; i < last; i++) {
        if (this.opCompleted[i] < t) continue;
        const y = this.yOf(this.opLane[i]);
        if (py >= y - 13 && py <= y - 2) return i;
      }
      return null;
    }

    describeOp(i) {
      const outcome = ['info', 'ok', 'fail', 'info'][this.opOutcome[i]];
      return `${this.data.ops.labels[i]}\n${this.lanes[this.opLane[i]].name}: invoked ${formatTime(this.opInvoked[i])}` +
        `, ${outcome} at ${formatTime(this.opCompleted[i])} (after ${formatSpan(this.opCompleted[i] - this.opInvoked[i])})`;
    }
  }

  const diagrams = [];
  const groups = {};
  for (const root of document.querySelectorAll('.diagram[data-source]')) {
    const source = document.getElementById(root.dataset.source);
    if (!source) continue;
    const diagram = new Diagram(root, JSON.parse(source.textContent));
    diagrams.push(diagram);
    if (root.dataset.sync) (groups[root.dataset.sync] = groups[root.dataset.sync] || []).push(diagram);
  }
  // Diagrams of one group (the runs of a scenario page) move and zoom together.
  for (const members of Object.values(groups)) for (const diagram of members) diagram.group = members;
  // For the tests and for a person at the console: the diagrams of the page.
  window.faultlineDiagrams = diagrams;
  document.body.dataset.diagrams = String(diagrams.length);
  document.body.dataset.drawMs = (performance.now() - scriptStarted).toFixed(0);
  document.body.dataset.renderMs = performance.now().toFixed(0);
})();
