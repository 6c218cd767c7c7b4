// The operator page: plain DOM and a small SVG chart, no framework, nothing fetched from elsewhere.
// Every value shown goes in as text (textContent), never as HTML.
'use strict';
(function () {
  const meta = (name) => document.querySelector(`meta[name="${name}"]`).content;
  const TOKEN = meta('taskgate-token');
  const REFRESH_MS = Number(meta('taskgate-refresh')) * 1000;
  const ACTIONS = meta('taskgate-actions') === 'on';
  const $ = (selector) => document.querySelector(selector);
  let snapshot;
  let selectedRun;
  let tasksShown = '';

  /** An element with attributes (on* as listeners) and children (strings become text). */
  function h(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
      else if (key === 'class') element.className = value;
      else element.setAttribute(key, value === true ? '' : value);
    }
    for (const child of children.flat()) if (child !== undefined && child !== null) element.append(child instanceof Node ? child : String(child));
    return element;
  }

  function svg(tag, attributes) {
    const element = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
    return element;
  }

  const time = (iso) => (iso ? new Date(iso).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z') : '-');
  const shortTime = (iso) => (iso ? new Date(iso).toISOString().slice(11, 19) : '-');
  function duration(ms) {
    if (ms === undefined || ms === null) return '-';
    if (ms < 1000) return `${Math.round(ms)}ms`;
    const s = ms / 1000;
    if (s < 60) return `${s.toFixed(1)}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
    return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  }
  const status = (text) => h('span', { class: `status status-${text}` }, text);

  async function call(method, path, body) {
    const response = await fetch(path, {
      method,
      headers: method === 'GET' ? {} : { 'content-type': 'application/json', 'x-taskgate-token': TOKEN },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
    if (!response.ok) throw Object.assign(new Error(answer.error || `HTTP ${response.status}`), { answer });
    return answer;
  }

  /** A gate's last 30 minutes: runs per minute as bars, the backlog as a line, each on its own scale. */
  function chart(points) {
    const width = 150, height = 34, step = width / points.length;
    const root = svg('svg', { class: 'chart', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
    const maxRuns = Math.max(1, ...points.map((p) => p.runs));
    const measured = points.filter((p) => p.backlog !== null);
    const maxBacklog = Math.max(1, ...measured.map((p) => p.backlog));
    points.forEach((p, i) => {
      if (p.runs > 0) {
        const barHeight = Math.max(1, (p.runs / maxRuns) * (height - 4));
        root.append(svg('rect', { class: 'runs', x: (i * step + 0.5).toFixed(1), y: (height - barHeight).toFixed(1), width: (step - 1).toFixed(1), height: barHeight.toFixed(1) }));
      }
    });
    const line = points.map((p, i) => (p.backlog === null ? null : `${(i * step + step / 2).toFixed(1)},${(height - 2 - (p.backlog / maxBacklog) * (height - 6)).toFixed(1)}`)).filter(Boolean);
    if (line.length > 0) root.append(svg('polyline', { class: 'backlog', points: line.join(' ') }));
    const title = svg('title', {});
    title.textContent = `runs/min max ${maxRuns}; backlog max ${measured.length ? maxBacklog : 'not measured yet'}`;
    root.append(title);
    return root;
  }

  function renderGates(gates) {
    $('#gates tbody').replaceChildren(
      ...gates.map((gate) =>
        h('tr', { class: gate.alerts.length ? 'hot' : '', 'data-gate': gate.gate },
          h('td', {}, gate.gate),
          h('td', { class: 'num' }, gate.visible),
          h('td', { class: 'num' }, gate.inFlight),
          h('td', { class: 'num' }, gate.delayed),
          h('td', { class: 'num' }, gate.deadLetters),
          h('td', { class: 'num' }, gate.oldestAgeSeconds === null ? '-' : duration(gate.oldestAgeSeconds * 1000)),
          h('td', { class: 'num' }, gate.concurrency ?? '-', gate.rate ? ` · ${gate.rate.perSecond}/s (${gate.rate.tokens ?? '?'} of ${gate.rate.burst} tokens, ${gate.rate.usedLastMinute} in the last minute, ${gate.waitingForRate ?? 0} waiting)` : ''),
          h('td', {}, chart(gate.chart)),
          h('td', {}, gate.alerts.map((alert) => h('span', { class: /dead letter/.test(alert) ? 'alert dlq' : 'alert' }, alert))),
        ),
      ),
    );
  }

  function renderFailures(groups) {
    $('#failures tbody').replaceChildren(
      ...(groups.length === 0 ? [h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'no failures in the last 24 hours and no dead letters'))] : []),
      ...groups.map((group) =>
        h('tr', { 'data-group': group.key },
          h('td', { class: 'status status-dead' }, group.reason),
          h('td', { class: 'mono', title: group.example }, group.signature || '(no error text)'),
          h('td', { class: 'num' }, group.count, h('div', { class: 'muted' }, `${group.deadLetters} in DLQ · ${group.runs} runs`)),
          h('td', {}, time(group.first)),
          h('td', {}, time(group.last)),
          h('td', {}, group.tasks.join(', ')),
          h('td', {}, group.deadLetters > 0 ? h('button', { class: 'act', type: 'button', onclick: () => redriveDryRun({ group: group.key }, `group ${group.reason}`) }, 'Redrive…') : ''),
        ),
      ),
    );
  }

  async function redriveDryRun(filter, label) {
    const panel = $('#redrive-panel');
    panel.hidden = false;
    panel.replaceChildren(h('p', {}, `Counting the dead letters of ${label}…`));
    panel.scrollIntoView({ block: 'nearest' });
    try {
      const counted = await call('POST', '/ui/api/redrive', { filter, dryRun: true });
      const where = counted.gates.map((g) => `${g.matched} on ${g.gate}`).join(', ');
      panel.replaceChildren(
        h('p', { id: 'redrive-count' }, `${counted.matched} dead letter(s) of ${label} would go back to their gate's queue${where ? ` (${where})` : ''}, paced to the gate.`),
        counted.matched > 0 ? h('button', { class: 'act', type: 'button', id: 'redrive-confirm', onclick: () => redriveNow(filter) }, `Redrive ${counted.matched}`) : '',
        ' ',
        h('button', { type: 'button', onclick: () => (panel.hidden = true) }, 'Cancel'),
      );
    } catch (error) {
      panel.replaceChildren(h('p', { class: 'error' }, error.message));
    }
  }

  async function redriveNow(filter) {
    const panel = $('#redrive-panel');
    try {
      await call('POST', '/ui/api/redrive', { filter, dryRun: false, confirm: true });
      panel.replaceChildren(h('p', {}, 'Redrive started; its progress shows below.'));
      refresh();
    } catch (error) {
      panel.replaceChildren(h('p', { class: 'error' }, error.message));
    }
  }

  function renderJobs(jobs) {
    $('#jobs').replaceChildren(
      ...jobs.map((job) => h('p', { class: job.state === 'failed' ? 'error' : 'muted', 'data-job': job.state }, `redrive ${job.state}: ${job.moved} moved${job.state === 'running' ? '' : ` of ${job.matched}`}, started ${shortTime(job.startedAt)}${job.error ? ` — ${job.error}` : ''}`)),
    );
  }

  function renderSchedules(schedules) {
    $('#schedules tbody').replaceChildren(
      ...schedules.map((s) =>
        h('tr', { 'data-schedule': s.name },
          h('td', {}, s.name),
          h('td', {}, s.task ?? '-'),
          h('td', { class: 'mono' }, s.expression),
          h('td', {}, s.description),
          h('td', {}, s.timeZone),
          h('td', {}, s.enabled ? s.next.map(time).join(', ') || '-' : '-'),
          h('td', {}, status(s.enabled ? 'enabled' : 'paused')),
          h('td', {}, s.lastRun ? [status(s.lastRun.status), ` ${time(s.lastRun.startedAt)}`] : '-'),
          h('td', {}, h('button', { class: 'act', type: 'button', onclick: () => act(`/ui/api/schedules/${encodeURIComponent(s.name)}/${s.enabled ? 'pause' : 'resume'}`) }, s.enabled ? 'Pause' : 'Resume')),
        ),
      ),
    );
  }

  async function act(path, body) {
    try {
      await call('POST', path, body);
      refresh();
    } catch (error) {
      $('#problem').textContent = error.message;
    }
  }

  function renderRuns(runs) {
    $('#runs tbody').replaceChildren(
      ...(runs.length === 0 ? [h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'no runs match'))] : []),
      ...runs.map((run) =>
        h('tr', { class: `clickable${selectedRun === `${run.task}#${run.id}` ? ' selected' : ''}`, 'data-run': run.id, onclick: () => showRun(run) },
          h('td', {}, time(run.startedAt)),
          h('td', {}, run.task),
          h('td', { class: 'mono' }, run.id.length > 24 ? `${run.id.slice(0, 23)}…` : run.id),
          h('td', {}, status(run.status)),
          h('td', { class: 'num' }, run.attempts),
          h('td', { class: 'num' }, duration(run.durationMs)),
          h('td', {}, run.source),
          h('td', {}, [run.reason, run.error].filter(Boolean).join(': ').slice(0, 90)),
        ),
      ),
    );
    const open = selectedRun && runs.find((run) => `${run.task}#${run.id}` === selectedRun);
    if (open) showRun(open, true);
  }

  function showRun(run, keep) {
    selectedRun = `${run.task}#${run.id}`;
    const panel = $('#run-detail');
    panel.hidden = false;
    let payload = run.payload ?? '(not recorded)';
    try { payload = JSON.stringify(JSON.parse(run.payload), null, 2); } catch { /* kept as recorded (cut) */ }
    const row = (term, value) => [h('dt', {}, term), h('dd', {}, value)];
    panel.replaceChildren(
      h('h3', {}, `${run.task} `, status(run.status)),
      h('dl', {},
        row('run id', h('span', { class: 'mono' }, run.id)),
        row('gate · source', `${run.gate} · ${run.source}`),
        row('scheduled · started', `${time(run.scheduledAt)} · ${time(run.startedAt)}`),
        row('lateness', run.latenessSeconds === undefined ? '-' : `${run.latenessSeconds}s`),
        row('attempts · duration', `${run.attempts} · ${duration(run.durationMs)}`),
        row('finished', time(run.finishedAt)),
        row('reason', run.reason ?? '-'),
        row('error', run.error ? h('pre', {}, run.error) : '-'),
        row('payload', h('pre', { id: 'run-payload' }, payload)),
      ),
      h('button', { type: 'button', onclick: () => { selectedRun = undefined; panel.hidden = true; } }, 'Close'),
    );
    if (!keep) renderRuns(snapshot.runs);
  }

  /** The trigger form's fields, one per property of the task's payload schema. */
  function renderTriggerFields() {
    const task = snapshot.tasks.find((t) => t.name === $('#trigger [name=task]').value);
    $('#trigger-description').textContent = task ? `${task.description || ''} (gate ${task.gate})` : '';
    const properties = (task && task.payload.properties) || {};
    const required = new Set((task && task.payload.required) || []);
    $('#trigger-fields').replaceChildren(
      ...Object.entries(properties).flatMap(([name, schema]) => {
        const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
        const input = type === 'boolean' ? h('input', { type: 'checkbox', name, 'data-type': type })
          : h('input', { name, 'data-type': type || 'json', placeholder: schema.default !== undefined ? `default ${JSON.stringify(schema.default)}` : type || 'JSON', type: type === 'integer' || type === 'number' ? 'text' : 'text', inputmode: type === 'integer' || type === 'number' ? 'numeric' : undefined });
        return [h('label', {}, `${name}${required.has(name) ? ' *' : ''}`, input), h('p', { class: 'field-error', 'data-field': name })];
      }),
      Object.keys(properties).length === 0 ? h('p', { class: 'muted' }, 'this task takes no payload fields') : '',
    );
  }

  function triggerPayload() {
    const payload = {};
    for (const input of document.querySelectorAll('#trigger-fields input')) {
      const type = input.dataset.type;
      if (type === 'boolean') { if (input.checked) payload[input.name] = true; continue; }
      const text = input.value.trim();
      if (text === '') continue;
      if (type === 'string') payload[input.name] = text;
      else if (type === 'integer' || type === 'number') payload[input.name] = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
      else { try { payload[input.name] = JSON.parse(text); } catch { payload[input.name] = text; } }
    }
    return payload;
  }

  async function trigger(event) {
    event.preventDefault();
    for (const slot of document.querySelectorAll('#trigger .field-error')) slot.textContent = '';
    const result = $('#trigger-result');
    result.className = '';
    result.textContent = 'sending…';
    try {
      const sent = await call('POST', '/ui/api/trigger', { task: $('#trigger [name=task]').value, payload: triggerPayload() });
      result.textContent = `sent ${sent.task} to gate ${sent.gate}: run id ${sent.runId}`;
      refresh();
    } catch (error) {
      result.className = 'error';
      result.textContent = error.message;
      for (const issue of (error.answer && error.answer.fields) || []) {
        const slot = document.querySelector(`#trigger .field-error[data-field="${CSS.escape(issue.field.split('.')[0])}"]`) || document.querySelector('#trigger .field-error[data-field="(payload)"]');
        slot.textContent = slot.textContent ? `${slot.textContent}; ${issue.message}` : `${issue.field}: ${issue.message}`;
      }
    }
  }

  /** The redrive form's filter: times as durations ago (2h) or ISO times. */
  function redriveByForm(event) {
    event.preventDefault();
    const form = event.target;
    const when = (text) => {
      const match = /^(\d+)([smhd])$/.exec(text.trim());
      if (match) return new Date(Date.now() - Number(match[1]) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[match[2]]).toISOString();
      return text.trim() ? new Date(text.trim()).toISOString() : undefined;
    };
    let filter;
    try {
      filter = { gate: form.gate.value || undefined, task: form.task.value || undefined, from: when(form.from.value), to: when(form.to.value) };
    } catch {
      $('#problem').textContent = 'give times as 2h, 30m, 1d or an ISO time';
      return;
    }
    const label = [filter.gate && `gate ${filter.gate}`, filter.task && `task ${filter.task}`, filter.from && `since ${time(filter.from)}`, filter.to && `until ${time(filter.to)}`].filter(Boolean).join(', ') || 'every gate';
    redriveDryRun(filter, label);
  }

  async function purge(event) {
    event.preventDefault();
    const form = event.target;
    const result = $('#purge-result');
    try {
      const done = await call('POST', '/ui/api/purge', { gate: form.gate.value, confirm: form.confirm.value.trim() });
      result.className = '';
      result.textContent = `purged ${done.purged} dead letter(s) of ${done.gate}`;
      form.confirm.value = '';
      refresh();
    } catch (error) {
      result.className = 'error';
      result.textContent = error.message;
    }
  }

  function fillSelect(select, names, keepFirst) {
    const current = select.value;
    const first = keepFirst ? [select.options[0]] : [];
    select.replaceChildren(...first, ...names.map((name) => h('option', { value: name }, name)));
    if ([...select.options].some((o) => o.value === current)) select.value = current;
  }

  function render(data) {
    snapshot = data;
    $('#target').textContent = data.target.label;
    $('#mode').textContent = data.target.actions ? 'actions on' : 'read-only';
    $('#mode').className = data.target.actions ? 'badge' : 'badge ro';
    document.body.classList.toggle('read-only', !data.target.actions);
    $('#updated').textContent = `updated ${shortTime(data.target.generatedAt)}`;
    $('#problem').textContent = data.warnings.join('; ');
    const names = data.tasks.map((t) => t.name).join(',');
    if (names !== tasksShown) {
      tasksShown = names;
      fillSelect($('#run-filter [name=task]'), data.tasks.map((t) => t.name), true);
      fillSelect($('#trigger [name=task]'), data.tasks.map((t) => t.name), false);
      fillSelect($('#purge [name=gate]'), data.gates.map((g) => g.gate), false);
      fillSelect($('#redrive [name=gate]'), data.gates.map((g) => g.gate), true);
      fillSelect($('#redrive [name=task]'), data.tasks.map((t) => t.name), true);
      renderTriggerFields();
    }
    renderGates(data.gates);
    renderFailures(data.failures);
    renderJobs(data.jobs);
    renderSchedules(data.schedules);
    renderRuns(data.runs);
    // For the measurements: when the page first showed data (performance.getEntriesByName).
    if (performance.getEntriesByName('taskgate:first-render').length === 0) performance.mark('taskgate:first-render');
  }

  let inFlight = false;
  async function refresh() {
    if (inFlight) return;
    inFlight = true;
    const filter = new URLSearchParams([...new FormData($('#run-filter')).entries()].filter(([, v]) => v !== ''));
    try {
      render(await call('GET', `/ui/api/snapshot?${filter}`));
    } catch (error) {
      $('#problem').textContent = `cannot refresh: ${error.message}`;
    } finally {
      inFlight = false;
    }
  }

  document.body.classList.toggle('read-only', !ACTIONS);
  $('#run-filter').addEventListener('change', refresh);
  $('#run-filter').addEventListener('submit', (event) => { event.preventDefault(); refresh(); });
  $('#trigger').addEventListener('submit', trigger);
  $('#trigger [name=task]').addEventListener('change', renderTriggerFields);
  $('#purge').addEventListener('submit', purge);
  $('#redrive').addEventListener('submit', redriveByForm);
  refresh();
  // While the tab is hidden nothing is read: a forgotten tab costs no AWS calls.
  setInterval(() => { if (!document.hidden) refresh(); }, REFRESH_MS);
})();
