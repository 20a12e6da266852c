// walferry dashboard: reads /api/status (what walferry status --output json says, with the repositories, HA and the
// lag of the last minutes) every 2 seconds and draws it. Read-only; every text goes in through textContent.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const COLORS = ['#2f6fdb', '#d9480f', '#7048e8', '#0c8599', '#c2255c', '#5c940d'];
const REFRESH_MS = 2000;

function el(name, attrs, text) {
  const e = name.startsWith('svg:') ? document.createElementNS(SVG, name.slice(4)) : document.createElement(name);
  for (const [k, v] of Object.entries(attrs || {})) {
    e.setAttribute(k, v);
  }
  if (text !== undefined && text !== null) {
    e.textContent = text;
  }
  return e;
}

function clear(node) {
  while (node.firstChild) {
    node.removeChild(node.firstChild);
  }
}

function bytes(n) {
  if (n === null || n === undefined) {
    return '-';
  }
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return (i === 0 ? v : v.toFixed(1)) + ' ' + units[i];
}

function seconds(s) {
  if (s === null || s === undefined) {
    return '-';
  }
  if (s < 60) {
    return s.toFixed(1) + ' s';
  }
  if (s < 3600) {
    return Math.floor(s / 60) + ' min ' + Math.round(s % 60) + ' s';
  }
  return (s / 3600).toFixed(1) + ' h';
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '-';
}

function row(tbody, cells) {
  const tr = el('tr');
  for (const c of cells) {
    const td = typeof c === 'object' && c !== null ? el('td', c.cls ? {class: c.cls} : {}, c.text) : el('td', {}, c);
    tr.appendChild(td);
  }
  tbody.appendChild(tr);
  return tr;
}

function lagText(n) {
  if (n.diverged) {
    return 'DIVERGED';
  }
  if (n.lagBytes === null || n.lagBytes === undefined) {
    return 'unknown';
  }
  return bytes(n.lagBytes) + (n.lagSeconds === null || n.lagSeconds === undefined ? '' : ' · ' + seconds(n.lagSeconds));
}

function drawMap(doc) {
  const svg = document.getElementById('map');
  clear(svg);
  // one row of nodes, grouped by region (in the order the configuration lists them); streaming links arc above the
  // row, the archive sits below it
  const regions = [];
  for (const n of doc.nodes) {
    if (!regions.includes(n.region)) {
      regions.push(n.region);
    }
  }
  const nodes = regions.flatMap(r => doc.nodes.filter(n => n.region === r));
  const colW = 210;
  const gap = 40;
  const nodeH = 62;
  const top = 50 + 22 * nodes.length;
  const archiveY = top + nodeH + 110;
  const width = Math.max(nodes.length * (colW + gap) + 40, 640);
  const height = archiveY + 60;
  svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
  svg.setAttribute('height', height);
  const defs = el('svg:defs');
  const marker = el('svg:marker', {id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse'});
  marker.appendChild(el('svg:path', {d: 'M 0 0 L 10 5 L 0 10 z', fill: '#687082'}));
  defs.appendChild(marker);
  svg.appendChild(defs);
  const pos = {};
  nodes.forEach((n, i) => {
    pos[n.name] = {x: 20 + gap / 2 + i * (colW + gap), y: top, w: colW, h: nodeH};
  });
  for (const r of regions) {
    const xs = nodes.filter(n => n.region === r).map(n => pos[n.name].x);
    const x = Math.min(...xs) - gap / 2 + 4;
    const w = Math.max(...xs) + colW + gap / 2 - 4 - x;
    svg.appendChild(el('svg:rect', {class: 'region', x: x, y: top - 28, width: w, height: nodeH + 40, rx: 8}));
    svg.appendChild(el('svg:text', {class: 'region-name', x: x + 10, y: top - 10}, r));
  }
  const archive = {x: width / 2 - 150, y: archiveY, w: 300, h: 40};
  const primary = doc.nodes.find(n => n.role === 'primary' && n.writable);
  const links = el('svg:g');
  svg.appendChild(links);
  let arc = 0;
  for (const n of nodes) {
    if (n.role !== 'replica') {
      continue;
    }
    const p = pos[n.name];
    const streaming = n.receiveLsn !== null && n.receiveLsn !== undefined;
    const behind = (n.lagBytes || 0) > 0;
    const cls = 'link' + (behind ? ' behind' : '') + (streaming ? '' : ' archive');
    const label = (streaming ? 'streams, ' : 'from the archive, ') + 'lag ' + lagText(n);
    if (streaming && primary && pos[primary.name]) {
      const q = pos[primary.name];
      const x1 = q.x + q.w / 2;
      const x2 = p.x + p.w / 2;
      const cy = top - 40 - 24 * arc++;
      links.appendChild(el('svg:path', {class: cls, d: 'M ' + x1 + ' ' + top + ' Q ' + (x1 + x2) / 2 + ' ' + (2 * cy - top) + ' ' + x2 + ' ' + top,
        'marker-end': 'url(#arrow)'}));
      links.appendChild(el('svg:text', {class: 'link-label', x: (x1 + x2) / 2, y: cy - 4, 'text-anchor': 'middle', 'data-link': n.name}, label));
    } else {
      const x1 = archive.x + archive.w / 2;
      const x2 = p.x + p.w / 2;
      links.appendChild(el('svg:line', {class: cls, x1: x1, y1: archive.y, x2: x2, y2: top + nodeH, 'marker-end': 'url(#arrow)'}));
      links.appendChild(el('svg:text', {class: 'link-label', x: x2, y: top + nodeH + 20, 'text-anchor': 'middle', 'data-link': n.name}, label));
    }
  }
  if (primary && pos[primary.name]) {
    const q = pos[primary.name];
    links.appendChild(el('svg:line', {class: 'link archive', x1: q.x + q.w / 2, y1: top + nodeH, x2: archive.x + archive.w / 2,
      y2: archive.y, 'marker-end': 'url(#arrow)'}));
  }
  svg.appendChild(el('svg:rect', {class: 'archive-box', x: archive.x, y: archive.y, width: archive.w, height: archive.h, rx: 6}));
  const repos = (doc.repositories || []).map(r => r.name).join(', ');
  svg.appendChild(el('svg:text', {x: archive.x + archive.w / 2, y: archive.y + 25, 'text-anchor': 'middle'},
    'archive: ' + (repos || 'repositories')));
  for (const n of nodes) {
    const p = pos[n.name];
    const up = n.state === 'up';
    const g = el('svg:g', {class: 'node ' + (up ? n.role : 'down'), 'data-node': n.name, 'data-role': up ? n.role : n.state,
      'data-lag-bytes': n.lagBytes === null || n.lagBytes === undefined ? '' : n.lagBytes,
      'data-lag-seconds': n.lagSeconds === null || n.lagSeconds === undefined ? '' : n.lagSeconds});
    g.appendChild(el('svg:rect', {x: p.x, y: p.y, width: p.w, height: p.h, rx: 6}));
    g.appendChild(el('svg:text', {class: 'name', x: p.x + 10, y: p.y + 18}, n.name));
    let role = up ? n.role + (n.timeline ? ', timeline ' + n.timeline : '') : n.state.toUpperCase();
    if (up && n.role === 'primary' && n.writable === false) {
      role = 'primary (read-only)';
    }
    g.appendChild(el('svg:text', {x: p.x + 10, y: p.y + 35}, role));
    const detail = !up ? (n.error || '') : n.role === 'primary' ? 'at ' + n.currentLsn : 'lag ' + lagText(n);
    const shown = detail.length > 34 ? detail.slice(0, 33) + '…' : detail;
    const t = el('svg:text', {class: 'lag', x: p.x + 10, y: p.y + 52}, shown);
    t.appendChild(el('svg:title', {}, detail));
    g.appendChild(t);
    svg.appendChild(g);
  }
}

function drawChart(id, doc, value, format) {
  const svg = document.getElementById(id);
  clear(svg);
  const w = 560;
  const h = 150;
  const left = 70;
  svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
  const now = Date.parse(doc.time);
  const span = 10 * 60 * 1000;
  const names = Object.keys(doc.history || {});
  let max = 0;
  for (const name of names) {
    for (const p of doc.history[name]) {
      const v = value(p);
      if (v !== null && v > max) {
        max = v;
      }
    }
  }
  max = max > 0 ? max * 1.1 : 1;
  svg.appendChild(el('svg:line', {class: 'axis', x1: left, y1: h - 20, x2: w, y2: h - 20}));
  svg.appendChild(el('svg:line', {class: 'axis', x1: left, y1: 5, x2: left, y2: h - 20}));
  svg.appendChild(el('svg:text', {x: left - 5, y: 14, 'text-anchor': 'end'}, format(max)));
  svg.appendChild(el('svg:text', {x: left - 5, y: h - 20, 'text-anchor': 'end'}, format(0)));
  svg.appendChild(el('svg:text', {x: left, y: h - 4}, '-10 min'));
  svg.appendChild(el('svg:text', {x: w, y: h - 4, 'text-anchor': 'end'}, 'now'));
  names.forEach((name, i) => {
    const pts = doc.history[name].filter(p => value(p) !== null).map(p => {
      const x = left + (w - left) * (1 - (now - p[0]) / span);
      const y = (h - 20) - (h - 25) * value(p) / max;
      return x.toFixed(1) + ',' + y.toFixed(1);
    });
    if (pts.length > 0) {
      svg.appendChild(el('svg:polyline', {class: 'series', points: pts.join(' '), stroke: COLORS[i % COLORS.length]}));
    }
  });
}

function drawLegend(doc) {
  const legend = document.getElementById('legend');
  clear(legend);
  Object.keys(doc.history || {}).forEach((name, i) => {
    const span = el('span');
    const swatch = el('i');
    swatch.style.background = COLORS[i % COLORS.length];
    span.appendChild(swatch);
    span.appendChild(document.createTextNode(name));
    legend.appendChild(span);
  });
}

function drawTables(doc) {
  const slots = document.querySelector('#slots tbody');
  clear(slots);
  for (const n of doc.nodes) {
    for (const s of n.slots || []) {
      row(slots, [n.name, s.name, s.active ? 'active' : {text: 'INACTIVE', cls: 'warn'}, bytes(s.heldBytes)]);
    }
  }
  if (!slots.firstChild) {
    row(slots, [{text: 'no slots', cls: ''}, '', '', '']);
  }
  const archivers = document.querySelector('#archivers tbody');
  clear(archivers);
  for (const n of doc.nodes) {
    const a = n.archiver;
    if (!a) {
      continue;
    }
    const failing = a.failed > 0 && a.lastFailedTime && (!a.lastArchivedTime || a.lastFailedTime > a.lastArchivedTime);
    row(archivers, [n.name, failing ? {text: 'FAILING at ' + a.lastFailed, cls: 'bad'} : 'ok',
      (a.lastArchived || '-') + (a.lastArchivedTime ? ' at ' + when(a.lastArchivedTime) : ''), String(a.failed)]);
  }
  const repos = document.querySelector('#repositories tbody');
  clear(repos);
  for (const r of doc.repositories || []) {
    if (r.error) {
      row(repos, [r.name, {text: 'UNREADABLE: ' + r.error, cls: 'bad'}, '-', '-', '-']);
      continue;
    }
    row(repos, [r.name, 'ok', String(r.segments), (r.newestSegment || '-') + (r.newestWalStored ? ' at ' + when(r.newestWalStored) : ''),
      bytes(r.storedBytes)]);
  }
  const ha = document.querySelector('#ha tbody');
  clear(ha);
  const summary = document.getElementById('ha-summary');
  if (!doc.ha) {
    summary.textContent = 'not configured';
    return;
  }
  summary.textContent = doc.ha.unavailable ? 'etcd does not answer: ' + doc.ha.unavailable
    : 'leader: ' + (doc.ha.leader || 'NONE');
  for (const m of doc.ha.members || []) {
    row(ha, [m.node, m.decision]);
  }
}

function drawBackups(doc) {
  const svg = document.getElementById('backups');
  clear(svg);
  const repos = doc.repositories || [];
  const w = 1000;
  const left = 130;
  const lane = 46;
  const h = 30 + Math.max(1, repos.length) * lane;
  svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
  svg.setAttribute('height', h);
  const now = Date.parse(doc.time);
  let from = now - 24 * 3600 * 1000;
  for (const r of repos) {
    for (const b of r.backupHistory || []) {
      from = Math.min(from, Date.parse(b.start));
    }
  }
  const x = t => left + (w - left - 10) * (t - from) / Math.max(1, now - from);
  svg.appendChild(el('svg:text', {x: left, y: h - 4}, when(new Date(from).toISOString())));
  svg.appendChild(el('svg:text', {x: w - 10, y: h - 4, 'text-anchor': 'end'}, 'now'));
  repos.forEach((r, i) => {
    const y = 10 + i * lane;
    svg.appendChild(el('svg:text', {x: 0, y: y + 20}, r.name));
    svg.appendChild(el('svg:line', {class: 'axis', x1: left, y1: y + 30, x2: w - 10, y2: y + 30}));
    if (r.pitrFrom && r.pitrTo) {
      const x1 = x(Date.parse(r.pitrFrom));
      const x2 = x(Date.parse(r.pitrTo));
      const band = el('svg:rect', {class: 'window', x: x1, y: y + 8, width: Math.max(2, x2 - x1), height: 14, 'data-repository': r.name});
      band.appendChild(el('svg:title', {}, 'point-in-time recovery from ' + when(r.pitrFrom) + ' to ' + when(r.pitrTo)));
      svg.appendChild(band);
    }
    for (const b of r.backupHistory || []) {
      const bx = x(Date.parse(b.stop));
      if (b.pitr && r.pitrTo) {
        svg.appendChild(el('svg:line', {class: 'backup-window', x1: bx, y1: y + 26, x2: x(Date.parse(r.pitrTo)), y2: y + 26}));
      }
      const mark = el('svg:circle', {class: 'backup', cx: bx, cy: y + 30, r: 5, 'data-backup': b.id});
      mark.appendChild(el('svg:title', {}, 'backup ' + b.id + ', ended ' + when(b.stop) + ', ' + bytes(b.bytes)
        + (b.pitr ? '; recovers to any time after it' : '; its WAL has a gap: no recovery past it')));
      svg.appendChild(mark);
    }
    if (!r.backupHistory || r.backupHistory.length === 0) {
      svg.appendChild(el('svg:text', {x: left + 10, y: y + 20, class: 'muted'}, r.error ? 'unreadable' : 'no backup'));
    }
  });
}

function render(doc) {
  document.getElementById('cluster').textContent = doc.cluster;
  const health = document.getElementById('health');
  health.textContent = doc.healthy ? 'healthy' : 'needs attention';
  health.className = 'badge ' + (doc.healthy ? 'ok' : 'bad');
  document.getElementById('updated').textContent = 'as of ' + when(doc.time);
  const problem = document.getElementById('problem');
  problem.hidden = doc.problems.length === 0;
  problem.textContent = doc.problems.join('; ');
  drawMap(doc);
  drawChart('lag-seconds', doc, p => p[2], seconds);
  drawChart('lag-bytes', doc, p => p[1], bytes);
  drawLegend(doc);
  drawTables(doc);
  drawBackups(doc);
  document.body.dataset.updated = doc.time;
}

async function refresh() {
  try {
    const r = await fetch('api/status', {cache: 'no-store'});
    if (!r.ok) {
      throw new Error('the dashboard answered ' + r.status);
    }
    render(await r.json());
  } catch (e) {
    const problem = document.getElementById('problem');
    problem.hidden = false;
    problem.textContent = 'cannot read the status: ' + e.message;
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

refresh();
