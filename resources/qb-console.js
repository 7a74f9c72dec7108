/*
 * The QuickBooks console of @qbsync/node-red-quickbooks: one script for the editor's "QuickBooks"
 * sidebar tab (plugin qbsync-console) and for the page of its own at <admin root>/qbsync/console.
 * It talks only to the admin routes under qbsync/console/api (reading needs qbsync.read, every button
 * qbsync.write), renders data as text (never as HTML), and refreshes what it shows when the runtime
 * pushes a change over Node-RED's comms (topic qbsync/console/<connection id>).
 *
 *   QBConsole.mount(element, env)   env: { api(method, url, body) -> Promise, t(key, vars), subscribe(fn), openPage? }
 *   QBConsole.standalone(element)   the page of its own: logs in with Node-RED's adminAuth if needed
 */
(function () {
  'use strict';
  if (window.QBConsole) return;

  var API = 'qbsync/console/api/';

  // ------------------------------------------------------------------ small DOM helpers

  /** h('tag.class', {attr: value, on: {click: fn}}, children...) — text children become text nodes. */
  function h(spec, attrs) {
    var parts = spec.split('.');
    var el = document.createElement(parts[0] || 'div');
    if (parts.length > 1) el.className = parts.slice(1).join(' ');
    var children = Array.prototype.slice.call(arguments, 2);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) return;
        if (k === 'on') Object.keys(v).forEach(function (ev) { el.addEventListener(ev, v[ev]); });
        else if (k === 'text') el.textContent = String(v);
        else if (k === 'value') el.value = v;
        else if (k === 'checked') el.checked = !!v;
        else el.setAttribute(k, v === true ? '' : String(v));
      });
    }
    children.forEach(function add(c) {
      if (c === undefined || c === null || c === false) return;
      if (Array.isArray(c)) return c.forEach(add);
      el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    });
    return el;
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }

  function fmt(n) {
    return typeof n === 'number' ? n.toLocaleString('en-US') : String(n === undefined || n === null ? '' : n);
  }

  function ago(seconds) {
    if (seconds === undefined || seconds === null) return '';
    if (seconds < 90) return seconds + ' s';
    if (seconds < 5400) return Math.round(seconds / 60) + ' min';
    if (seconds < 172800) return Math.round(seconds / 3600) + ' h';
    return Math.round(seconds / 86400) + ' d';
  }

  function today() {
    var d = new Date();
    return d.getFullYear() + '-' + ('0' + (d.getMonth() + 1)).slice(-2) + '-' + ('0' + d.getDate()).slice(-2);
  }

  /** A button keyboard users reach (a real <button>), with an optional data-qbc name for tests. */
  function button(label, onClick, opts) {
    opts = opts || {};
    return h('button.red-ui-button.red-ui-button-small.qbc-button' + (opts.primary ? '.primary' : ''), {
      type: 'button', 'data-qbc': opts.name, title: opts.title, disabled: opts.disabled, on: { click: onClick },
    }, label);
  }

  // ------------------------------------------------------------------ the console

  /**
   * An issue's title and resolution from the console's catalog (keys by issue code), else as the
   * server words them (an issue this catalog does not know yet).
   */
  function issueTexts(t, r) {
    function pick(key, fallback) {
      var v = t(key);
      return typeof v === 'string' && v && v.indexOf(key) < 0 ? v : fallback;
    }
    return r.issue ? [pick('issues.' + r.issue, r.title), pick('resolutions.' + r.issue, r.resolution)] : [r.title, r.resolution];
  }

  function Console(root, env) {
    this.root = root;
    this.env = env;
    this.t = env.t;
    this.tab = 'connections';
    this.connectionId = undefined;
    this.connections = [];
    this.state = {};
    /** Messages that outlive a re-drawn card (a finished Connect), by connection id. */
    this.notices = {};
    this.refreshTimer = undefined;
    this.build();
  }

  Console.prototype.api = function (method, url, body) {
    return this.env.api(method, API + url, body);
  };

  /** Shows an answer's error (400 problems name their fields) in a message area. */
  Console.prototype.showError = function (area, err) {
    var t = this.t;
    var msg = err && err.status === 403 ? t('forbidden') : t('error', { message: (err && err.message) || String(err) });
    clear(area).appendChild(h('div.qbc-error', { role: 'alert' }, msg));
    if (err && err.problems) area.appendChild(h('ul.qbc-problems', null, err.problems.map(function (p) { return h('li', null, p.field + ': ' + p.message); })));
  };

  Console.prototype.showOk = function (area, text) {
    clear(area).appendChild(h('div.qbc-ok', { role: 'status' }, text));
  };

  Console.prototype.build = function () {
    var self = this;
    var t = this.t;
    clear(this.root).classList.add('qbc');
    this.select = h('select.qbc-connection', { 'data-qbc': 'connection', 'aria-label': t('connection'), on: { change: function () { self.connectionId = self.select.value; self.render(); } } });
    var tools = h('div.qbc-toolbar', null,
      h('label.qbc-connection-label', null, t('connection'), ' ', this.select),
      button(t('refresh'), function () { self.reload(); }, { name: 'refresh' }),
      this.env.openPage ? button(t('openPage'), function () { self.env.openPage(); }, { name: 'open-page' }) : null,
      button(t('help'), function () { self.help.hidden = !self.help.hidden; }, { name: 'help' }),
      this.env.logout ? button(t('login.logout'), function () { self.env.logout(); }, { name: 'logout' }) : null,
      this.liveBadge = h('span.qbc-live', { title: t('live'), hidden: true }, '● ' + t('live')));
    this.help = h('div.qbc-help', { hidden: true }, ['p1', 'p2', 'p3', 'p4', 'p5'].map(function (k) { return h('p', null, t('helpText.' + k)); }));
    this.tabBar = h('div.qbc-tabs', { role: 'tablist', 'aria-label': t('title') });
    // Arrow keys move between tabs (the tablist pattern); Tab moves on into the open tab.
    this.tabBar.addEventListener('keydown', function (e) {
      if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft' && e.key !== 'Home' && e.key !== 'End') return;
      var tabs = Array.prototype.slice.call(self.tabBar.querySelectorAll('[role=tab]'));
      var at = tabs.indexOf(document.activeElement);
      var next = e.key === 'Home' ? 0 : e.key === 'End' ? tabs.length - 1 : (at + (e.key === 'ArrowRight' ? 1 : -1) + tabs.length) % tabs.length;
      e.preventDefault();
      self.tab = tabs[next].getAttribute('data-qbc').slice('tab-'.length);
      self.render();
      var again = self.tabBar.querySelector('[data-qbc="tab-' + self.tab + '"]');
      if (again) again.focus();
    });
    this.panel = h('div.qbc-panel', { role: 'tabpanel' });
    this.root.appendChild(tools);
    this.root.appendChild(this.help);
    this.root.appendChild(this.tabBar);
    this.root.appendChild(this.panel);
    if (this.env.subscribe) {
      this.env.subscribe(function (topic, data) { self.onLive(topic, data); });
      this.liveBadge.hidden = false;
    }
    // Intuit's consent window (Connect) reports back here when it is done.
    window.addEventListener('message', function (e) {
      var d = e.data;
      if (!d || d.source !== 'qbo-connection' || e.origin !== location.origin) return;
      // Kept beside the connection (not only in its card): a live refresh re-draws the cards meanwhile.
      if (d.ok) self.notices[d.nodeId] = self.t('connections.connected', { realmId: d.realmId });
      Promise.resolve(self.refreshData()).then(function () {
        var area = self.panel.querySelector('[data-qbc="connection-' + d.nodeId + '"] > .qbc-msg');
        if (area && d.ok) self.showOk(area, self.notices[d.nodeId]);
      });
    });
    this.reload();
  };

  /** Runtime pushes: refresh the open tab (gathered, so a burst of changes is one reload). */
  Console.prototype.onLive = function (topic, data) {
    var self = this;
    var id = data && data.connection;
    if (id && id !== this.connectionId && this.tab !== 'connections') return;
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(function () {
      self.refreshTimer = undefined;
      // An admin choosing in a list row (a candidate, a check box) keeps it: refresh once they leave it.
      var active = document.activeElement;
      if (active && self.panel.contains(active) && /^(SELECT|TEXTAREA)$/.test(active.tagName)) {
        active.addEventListener('blur', function () { self.onLive(topic, data); }, { once: true });
        return;
      }
      if (topic === 'qbsync/console/deployed') self.reload();
      else self.refreshData();
    }, 150);
  };

  Console.prototype.reload = function () {
    var self = this;
    return this.api('GET', 'connections').then(function (r) {
      self.connections = r.connections || [];
      clear(self.select);
      self.connections.forEach(function (c) {
        self.select.appendChild(h('option', { value: c.id }, c.name + ' (' + self.t('edition.' + c.edition) + ')'));
      });
      if (!self.connections.some(function (c) { return c.id === self.connectionId; })) self.connectionId = self.connections[0] && self.connections[0].id;
      if (self.connectionId) self.select.value = self.connectionId;
      self.render();
    }, function (err) { self.showError(self.panel, err); });
  };

  Console.prototype.current = function () {
    var id = this.connectionId;
    return this.connections.filter(function (c) { return c.id === id; })[0];
  };

  /** The tabs this connection has: those whose nodes use it (Connections and General always). */
  Console.prototype.tabs = function () {
    var c = this.current();
    var types = ((c && c.nodes) || []).map(function (n) { return n.type; });
    var has = function (t) { return types.indexOf(t) >= 0; };
    var tabs = ['connections', 'general'];
    if (has('qb-item-matcher')) tabs.push('items');
    if (has('qb-customer-matcher')) tabs.push('customers');
    if (has('qb-invoice-creator')) tabs.push('invoices');
    if (has('qb-date-range-exporter') || has('qb-importer') || has('qb-charge-mapper')) tabs.push('blubilling');
    if (has('qb-item-matcher') || has('qb-customer-matcher')) tabs.push('preview');
    return tabs;
  };

  Console.prototype.render = function () {
    var self = this;
    var t = this.t;
    var tabs = this.tabs();
    if (tabs.indexOf(this.tab) < 0) this.tab = 'connections';
    clear(this.tabBar);
    tabs.forEach(function (name) {
      var selected = name === self.tab;
      self.tabBar.appendChild(h('button.qbc-tab' + (selected ? '.selected' : ''), {
        type: 'button', role: 'tab', 'aria-selected': selected ? 'true' : 'false', 'data-qbc': 'tab-' + name, tabindex: selected ? '0' : '-1',
        on: { click: function () { self.tab = name; self.render(); } },
      }, t('tabs.' + name)));
    });
    clear(this.panel);
    if (!this.connections.length) {
      this.panel.appendChild(h('p.qbc-empty', null, t('noConnections')));
      return;
    }
    this.state = {};
    var view = this.views[this.tab];
    this.panel.setAttribute('data-qbc-tab', this.tab);
    view.build.call(this, this.panel);
    this.refreshData();
  };

  /** Reloads the data areas of the open tab (forms keep what an admin typed). */
  Console.prototype.refreshData = function () {
    var view = this.views[this.tab];
    if (view && view.load) return view.load.call(this);
  };

  /** A paged, searchable, filterable table area. spec: {name, url, filters:[[value,label]], columns:[label], row(r)->tr} */
  Console.prototype.pagedList = function (container, spec) {
    var self = this;
    var t = this.t;
    var st = { offset: 0, limit: spec.limit || 25, q: '', filter: spec.filter || '' };
    var search = h('input.qbc-search', { type: 'search', placeholder: t('search'), 'aria-label': t('search'), 'data-qbc': spec.name + '-search' });
    var timer;
    search.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { st.q = search.value; st.offset = 0; list.load(); }, 250);
    });
    var filter = spec.filters ? h('select.qbc-filter', { 'aria-label': t('filter'), 'data-qbc': spec.name + '-filter', on: { change: function () { st.filter = filter.value; st.offset = 0; list.load(); } } },
      h('option', { value: '' }, t('all')),
      spec.filters.map(function (f) { return h('option', { value: f[0] }, f[1]); })) : null;
    if (filter) filter.value = st.filter;
    var head = h('tr', null, spec.columns.map(function (c) { return h('th', { scope: 'col' }, c); }));
    var body = h('tbody');
    var info = h('span.qbc-range');
    var prev = button(t('prev'), function () { st.offset = Math.max(0, st.offset - st.limit); list.load(); }, { name: spec.name + '-prev' });
    var next = button(t('next'), function () { st.offset += st.limit; list.load(); }, { name: spec.name + '-next' });
    var msg = h('div.qbc-msg');
    container.appendChild(h('div.qbc-listbar', null, search, filter, spec.tools || null));
    container.appendChild(msg);
    container.appendChild(h('div.qbc-tablewrap', null, h('table.qbc-table', { 'data-qbc': spec.name }, h('thead', null, head), body)));
    container.appendChild(h('div.qbc-pager', null, prev, info, next));
    var list = {
      st: st,
      msg: msg,
      setFilter: function (value) { st.filter = value; st.offset = 0; if (filter) filter.value = value; return list.load(); },
      load: function () {
        var qs = 'offset=' + st.offset + '&limit=' + st.limit + (st.q ? '&q=' + encodeURIComponent(st.q) : '') + (st.filter ? '&filter=' + encodeURIComponent(st.filter) : '');
        return self.api('GET', spec.url() + (spec.url().indexOf('?') >= 0 ? '&' : '?') + qs).then(function (r) {
          clear(body);
          clear(msg);
          if (spec.onData) spec.onData(r);
          if (!r.rows.length) body.appendChild(h('tr', null, h('td.qbc-empty', { colspan: spec.columns.length }, t('empty'))));
          r.rows.forEach(function (row) { body.appendChild(spec.row(row)); });
          info.textContent = r.total ? t('range', { from: fmt(r.offset + 1), to: fmt(Math.min(r.offset + r.limit, r.total)), total: fmt(r.total) }) : '';
          prev.disabled = r.offset === 0;
          next.disabled = r.offset + r.limit >= r.total;
        }, function (err) { self.showError(msg, err); });
      },
    };
    return list;
  };

  /** Runs an action: disables the button while it runs, shows the outcome, then reloads the tab's data. */
  Console.prototype.act = function (btn, area, promise, okText) {
    var self = this;
    if (btn) btn.disabled = true;
    return promise.then(function (r) {
      if (btn) btn.disabled = false;
      if (area) self.showOk(area, typeof okText === 'function' ? okText(r) : okText || self.t('done'));
      self.refreshData();
      return r;
    }, function (err) {
      if (btn) btn.disabled = false;
      if (area) self.showError(area, err);
    });
  };

  function td() {
    return h.apply(null, ['td', null].concat(Array.prototype.slice.call(arguments)));
  }

  function pre(value) {
    return h('pre.qbc-pre', null, JSON.stringify(value, null, 2));
  }

  var views = {};
  Console.prototype.views = views;

  // ------------------------------------------------------------------ Connections

  views.connections = {
    build: function (panel) {
      this.state.list = h('div.qbc-cards', { 'data-qbc': 'connections' });
      this.state.msg = h('div.qbc-msg');
      panel.appendChild(this.state.msg);
      panel.appendChild(this.state.list);
    },
    load: function () {
      var self = this;
      var t = this.t;
      var st = this.state;
      return this.api('GET', 'connections').then(function (r) {
        if (self.state !== st) return; // another tab opened meanwhile
        self.connections = r.connections || [];
        var list = clear(st.list);
        self.connections.forEach(function (c) {
          var msg = h('div.qbc-msg');
          if (self.notices[c.id]) self.showOk(msg, self.notices[c.id]);
          var mirror = Object.keys(c.mirror || {}).map(function (entity) {
            var m = c.mirror[entity];
            return h('li', { 'data-qbc': 'mirror-' + entity }, m.syncedAt
              ? t('connections.age', { count: fmt(m.count), entity: t('entity.' + entity), age: ago(m.ageSeconds) })
              : t('connections.neverSynced', { entity: t('entity.' + entity) }));
          });
          var bar = null;
          if (c.progressBar) {
            var p = c.progressBar;
            bar = h('div.qbc-progress', null,
              h('progress', { max: p.total || '', value: p.total ? p.done : '', 'data-qbc': 'progress', 'aria-label': c.progress }),
              ' ', p.total ? t('connections.progress', { entity: p.entity, done: fmt(p.done), total: fmt(p.total) }) : t('connections.progressNoTotal', { entity: p.entity, done: fmt(p.done) }));
          }
          var desktop = null;
          if (c.desktop) {
            var last = c.desktop.lastRun;
            desktop = h('dl.qbc-dl', null,
              h('dt', null, t('connections.lastRun')),
              h('dd', { 'data-qbc': 'last-run' }, last ? t('connections.lastRunValue', { at: new Date(last.at).toLocaleString(), outcome: t('connections.outcome.' + last.outcome), summary: last.summary }) : t('connections.noRun'),
                last && last.errors && last.errors.length ? h('ul.qbc-action', null, last.errors.map(function (e) { return h('li', null, e); })) : null),
              h('dt', null, t('connections.nextRun')),
              h('dd', { 'data-qbc': 'next-run' }, t('connections.nextRunValue', { count: fmt(c.desktop.nextRun.count), review: fmt(c.desktop.nextRun.review) }),
                Object.keys(c.desktop.nextRun.byKind).length ? ' (' + Object.keys(c.desktop.nextRun.byKind).map(function (k) { return k + ' ' + c.desktop.nextRun.byKind[k]; }).join(', ') + ')' : ''));
          }
          var buttons = h('div.qbc-buttons', null,
            c.edition === 'qbo' ? button(t('connections.connect'), function (e) {
              self.act(e.target, msg, self.env.api('POST', 'qbo-connection/' + encodeURIComponent(c.id) + '/auth').then(function (r) { window.open(r.url, 'qbo-connection-auth', 'width=800,height=700'); return r; }), t('connections.connectOpened'));
            }, { name: 'connect-' + c.id }) : null,
            button(t('connections.resync'), function (e) {
              self.act(e.target, msg, self.api('POST', 'connections/' + encodeURIComponent(c.id) + '/resync', {}), t('connections.resyncQueued'));
            }, { name: 'resync-' + c.id, primary: true }),
            c.edition === 'qbd' ? button(t('connections.qwc'), function (e) {
              self.act(e.target, msg, self.env.api('GET', 'qbwc-server/' + encodeURIComponent(c.id) + '/qwc', undefined, 'text').then(function (xml) {
                var a = document.createElement('a');
                a.href = URL.createObjectURL(new Blob([xml], { type: 'application/xml' }));
                a.download = (c.name || 'qbsync').replace(/[^\w.-]+/g, '_') + '.qwc';
                document.body.appendChild(a);
                a.click();
                a.remove();
                return xml;
              }));
            }, { name: 'qwc-' + c.id }) : null);
          list.appendChild(h('section.qbc-card', { 'data-qbc': 'connection-' + c.id },
            h('h3', null, c.name, ' ', h('span.qbc-muted', null, t('edition.' + c.edition))),
            h('div', null, h('span.qbc-badge.qbc-state-' + c.state, { 'data-qbc': 'state' }, t('state.' + c.state) || c.state), c.message ? h('span.qbc-muted', null, ' ' + c.message) : null),
            bar,
            h('div.qbc-sub', null, t('connections.mirror')), h('ul.qbc-mirror', null, mirror),
            desktop,
            (c.nodes && c.nodes.length) ? h('div.qbc-muted', null, t('connections.nodes') + ': ' + c.nodes.map(function (n) { return n.name || n.type; }).join(', ')) : null,
            buttons, msg));
        });
        var tabsBefore = self.tabBar.children.length;
        if (tabsBefore !== self.tabs().length) self.render();
      }, function (err) { if (self.state === st) self.showError(st.msg, err); });
    },
  };

  // ------------------------------------------------------------------ General

  views.general = {
    build: function (panel) {
      this.state.form = h('form.qbc-form', { 'data-qbc': 'general', on: { submit: function (e) { e.preventDefault(); } } });
      this.state.msg = h('div.qbc-msg');
      panel.appendChild(h('p.qbc-muted', null, this.t('general.intro')));
      panel.appendChild(this.state.form);
      panel.appendChild(this.state.msg);
    },
    load: function () {
      var self = this;
      var t = this.t;
      var st = this.state;
      if (st.loaded) return; // the form keeps what an admin is choosing; Save reloads it
      return this.api('GET', 'connections/' + encodeURIComponent(this.connectionId) + '/general').then(function (g) {
        if (self.state !== st) return; // another tab opened meanwhile
        st.loaded = true;
        var form = clear(st.form);
        var fields = {};
        g.fields.forEach(function (f) {
          var options = f === 'defaultTermsId' ? g.terms : g.accounts;
          var sel = h('select', { id: 'qbc-general-' + f, name: f, 'data-qbc': 'general-' + f },
            h('option', { value: '' }, t('general.notSet')),
            options.map(function (o) { return h('option', { value: o.id }, o.name + (o.type ? ' (' + o.type + ')' : '')); }));
          sel.value = g.settings[f] || '';
          if (g.settings[f] && sel.value !== g.settings[f]) sel.appendChild(h('option', { value: g.settings[f], selected: true }, g.settings[f]));
          fields[f] = sel;
          form.appendChild(h('div.qbc-row', null, h('label', { for: 'qbc-general-' + f }, t('general.' + f)), sel,
            h('div.qbc-muted', null, f === 'defaultTermsId' ? t('general.defaultTermsHelp') : t('general.accountsHelp'))));
        });
        ['invoiceCreation', 'itemsSync', 'customersSync'].forEach(function (f) {
          var box = h('input', { type: 'checkbox', id: 'qbc-general-' + f, name: f, 'data-qbc': 'general-' + f, checked: g.settings[f] });
          fields[f] = box;
          form.appendChild(h('div.qbc-row', null, h('label', { for: 'qbc-general-' + f }, t('general.' + f)), box, ' ', h('span', null, t('general.on'))));
        });
        form.appendChild(h('div.qbc-buttons', null, button(t('general.save'), function (e) {
          var body = {};
          Object.keys(fields).forEach(function (f) { body[f] = fields[f].type === 'checkbox' ? fields[f].checked : fields[f].value; });
          self.act(e.target, st.msg, self.api('POST', 'connections/' + encodeURIComponent(self.connectionId) + '/general', body), t('saved'));
        }, { name: 'general-save', primary: true })));
      }, function (err) { if (self.state === st) self.showError(st.msg, err); });
    },
  };

  // ------------------------------------------------------------------ Items and Customers

  function matchesView(kind) {
    return {
      build: function (panel) {
        var self = this;
        var t = this.t;
        var base = function () { return 'connections/' + encodeURIComponent(self.connectionId); };
        var counts = h('div.qbc-counts', { 'data-qbc': kind + '-counts' });
        var issueFilters = (kind === 'item' ? ['missing-sku', 'duplicate-sku', 'item-not-found', 'ambiguous-sku', 'duplicate-item-name'] : ['missing-email', 'customer-not-found', 'duplicate-customer-name', 'duplicate-match'])
          .map(function (c) { return [c, t('issues.' + c)]; });
        var resyncMsg = h('div.qbc-msg');
        panel.appendChild(h('div.qbc-buttons', null, button(t('matches.resync'), function (e) {
          self.act(e.target, resyncMsg, self.api('POST', base() + '/matches/' + kind + '/resync', {}));
        }, { name: kind + '-resync', primary: true })));
        panel.appendChild(resyncMsg);
        panel.appendChild(counts);
        var list = this.pagedList(panel, {
          name: kind + '-list',
          url: function () { return base() + '/matches/' + kind; },
          filters: [['issue', t('matches.filterIssue')], ['matched', t('matches.filterMatched')], ['pending', t('matches.filterPending')], ['linked', t('matches.filterLinked')]].concat(issueFilters),
          columns: [t('matches.record'), t('matches.key'), t('matches.match'), t('matches.actions')],
          onData: function (r) {
            clear(counts).appendChild(h('div', null, t('matches.counts', { matched: fmt(r.counts.matched), issues: fmt(r.counts.issues), pending: fmt(r.counts.pending), total: fmt(r.counts.total) })));
            Object.keys(r.counts.byIssue).forEach(function (code) {
              counts.appendChild(button(t('issues.' + code) + ': ' + fmt(r.counts.byIssue[code]), function () { list.setFilter(code); }, { name: 'count-' + code }));
            });
          },
          row: function (r) {
            var msg = h('div.qbc-msg');
            var actions = h('div.qbc-actions');
            var matchCell;
            if (r.status === 'matched') matchCell = h('div', null, t('matches.matched', { name: r.qbName || r.qbId }), r.linked ? ' ' + t('matches.linked') : '');
            else if (r.status === 'pending') matchCell = h('div', null, t('matches.pending'));
            else {
              var texts = issueTexts(t, r);
              matchCell = h('div', null, h('strong.qbc-issue', null, texts[0]), h('div.qbc-resolution', null, texts[1]));
            }
            if (r.candidates && r.candidates.length && r.status !== 'matched') {
              var sel = h('select', { 'aria-label': t('matches.choose'), 'data-qbc': 'candidates-' + r.appId },
                r.candidates.map(function (c) {
                  return h('option', { value: c.id }, c.email ? t('matches.candidate', { name: c.name, email: c.email }) : t('matches.candidateNoEmail', { name: c.name }));
                }));
              actions.appendChild(h('label.qbc-muted', null, t('matches.choose'), ' ', sel));
              actions.appendChild(button(t('matches.link'), function (e) {
                self.act(e.target, msg, self.api('POST', base() + '/matches/' + kind + '/link', { appId: r.appId, qbId: sel.value }));
              }, { name: 'link-' + r.appId, primary: true }));
            }
            if (r.linked) {
              actions.appendChild(button(t('matches.unlink'), function (e) {
                self.act(e.target, msg, self.api('POST', base() + '/matches/' + kind + '/unlink', { appId: r.appId }));
              }, { name: 'unlink-' + r.appId }));
            }
            if (r.creatable) {
              actions.appendChild(button(t('matches.create'), function (e) {
                self.act(e.target, msg, self.api('POST', base() + '/matches/' + kind + '/create', { appIds: [r.appId] }), function (res) {
                  return t('matches.created', { state: (res.results[0] && (res.results[0].state || res.results[0].reason)) || '' });
                });
              }, { name: 'create-' + r.appId }));
            }
            actions.appendChild(msg);
            return h('tr', { 'data-qbc-row': r.appId }, td(h('div', null, r.appName), h('div.qbc-muted', null, r.appId)), td(r.key || '—'), td(matchCell), td(actions));
          },
        });
        this.state.list = list;
        // The mirror browser.
        var entity = kind === 'item' ? 'items' : 'customers';
        panel.appendChild(h('h3.qbc-sub', null, t('matches.mirrorTitle', { entity: t('entity.' + entity) })));
        if (kind === 'item') panel.appendChild(h('p.qbc-muted', null, t('matches.mirrorHelp')));
        this.state.mirror = this.pagedList(panel, {
          name: entity + '-mirror',
          url: function () { return base() + '/mirror/' + entity; },
          filters: [['active', t('matches.onlyActive')], ['inactive', t('matches.onlyInactive')]],
          columns: [t('matches.name'), kind === 'item' ? t('matches.sku') : t('matches.email'), t('matches.active'), t('matches.id')],
          limit: 10,
          row: function (r) {
            return h('tr', null, td(h('span.qbc-copy', null, r.name)), td((kind === 'item' ? r.sku : r.email) || '—'), td(r.active ? t('yes') : t('no')), td(h('span.qbc-muted', null, r.id)));
          },
        });
      },
      load: function () {
        return Promise.all([this.state.list.load(), this.state.mirror.load()]);
      },
    };
  }
  views.items = matchesView('item');
  views.customers = matchesView('customer');

  // ------------------------------------------------------------------ Invoices

  views.invoices = {
    build: function (panel) {
      var self = this;
      var t = this.t;
      var base = function () { return 'connections/' + encodeURIComponent(self.connectionId); };
      this.state.list = this.pagedList(panel, {
        name: 'invoices',
        url: function () { return base() + '/invoices'; },
        filters: ['needs-action', 'queued', 'created', 'updated', 'error', 'disabled'].map(function (s) { return [s, t('invoices.statuses.' + s)]; }),
        columns: [t('invoices.order'), t('invoices.status'), t('invoices.qbNumber'), t('invoices.qbId'), t('invoices.action'), t('invoices.attempts'), ''],
        row: function (r) {
          var msg = h('div.qbc-msg');
          return h('tr', { 'data-qbc-row': r.orderId },
            td(r.orderNumber), td(h('span.qbc-badge.qbc-inv-' + r.status, null, t('invoices.statuses.' + r.status) || r.status)),
            td(r.qbNumber || '—'), td(r.qbId || '—'),
            td(h('ul.qbc-action', null, (r.actions || []).map(function (a) { return h('li', null, a); }))),
            td(fmt(r.attempts)),
            td(r.retryable ? button(t('invoices.retry'), function (e) {
              self.act(e.target, msg, self.api('POST', base() + '/invoices/retry', { orderId: r.orderId }), function (res) { return t('invoices.retried', { status: res.status }); });
            }, { name: 'retry-' + r.orderId }) : null, msg));
        },
      });
    },
    load: function () {
      return this.state.list.load();
    },
  };

  // ------------------------------------------------------------------ BluBilling

  function checkboxes(name, values, t) {
    return h('span.qbc-checks', null, values.map(function (v) {
      return h('label', null, h('input', { type: 'checkbox', value: v, checked: true, 'data-qbc': name + '-' + v }), ' ', t('blubilling.' + v));
    }));
  }

  function checked(container) {
    return Array.prototype.slice.call(container.querySelectorAll('input[type=checkbox]')).filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
  }

  views.blubilling = {
    build: function (panel) {
      var self = this;
      var t = this.t;
      var base = function () { return 'connections/' + encodeURIComponent(self.connectionId); };
      var c = this.current();
      var types = ((c && c.nodes) || []).map(function (n) { return n.type; });

      if (types.indexOf('qb-importer') >= 0) {
        var from = h('input', { type: 'date', value: '2000-01-01', 'data-qbc': 'import-from', 'aria-label': t('blubilling.from') });
        var to = h('input', { type: 'date', value: today(), 'data-qbc': 'import-to', 'aria-label': t('blubilling.to') });
        var which = checkboxes('import', ['items', 'customers', 'invoices'], t);
        var dateField = h('select', { 'data-qbc': 'import-dateField', 'aria-label': t('blubilling.dateField') }, h('option', { value: 'modified' }, t('blubilling.modified')), h('option', { value: 'txn' }, t('blubilling.txn')));
        var importMsg = h('div.qbc-msg');
        panel.appendChild(h('section.qbc-section', { 'data-qbc': 'import' }, h('h3', null, t('blubilling.import')),
          h('div.qbc-row', null, h('label', null, t('blubilling.from'), ' ', from), ' ', h('label', null, t('blubilling.to'), ' ', to)),
          h('div.qbc-row', null, t('blubilling.entitiesImport'), ' ', which),
          h('div.qbc-row', null, h('label', null, t('blubilling.dateField'), ' ', dateField)),
          h('div.qbc-buttons', null, button(t('blubilling.startImport'), function (e) {
            self.act(e.target, importMsg, self.api('POST', base() + '/imports', { from: from.value, to: to.value, entities: checked(which), dateField: dateField.value }), function (r) {
              return t('blubilling.importQueued', { count: r.queued.length }) + (r.warnings && r.warnings.length ? ' ' + r.warnings.join(' ') : '');
            });
          }, { name: 'import-start', primary: true })), importMsg,
          this.state.imports = h('div', { 'data-qbc': 'imports' })));
      }

      if (types.indexOf('qb-charge-mapper') >= 0) {
        var chargeCounts = h('div.qbc-muted');
        var chargeSection = h('section.qbc-section', { 'data-qbc': 'charges' }, h('h3', null, t('blubilling.charges')), chargeCounts);
        panel.appendChild(chargeSection);
        this.state.charges = this.pagedList(chargeSection, {
          name: 'charges',
          url: function () { return base() + '/charges'; },
          filters: [['missing-price-code', t('issues.missing-price-code')], ['unmapped-charge', t('issues.unmapped-charge')]],
          columns: [t('blubilling.charge'), t('blubilling.priceCode'), t('blubilling.instruction')],
          limit: 10,
          onData: function (r) { chargeCounts.textContent = t('blubilling.chargesCounts', { mapped: fmt(r.mapped), unmapped: fmt(r.unmapped) }); },
          row: function (r) { var texts = issueTexts(t, r); return h('tr', null, td(r.appName), td(r.key || '—'), td(h('strong', null, texts[0]), h('div.qbc-resolution', null, texts[1]))); },
        });
        // BluBilling's Item List (Fig 6): the Name to enter exactly as a charge's Price Code.
        chargeSection.appendChild(h('h4.qbc-sub', null, t('matches.mirrorTitle', { entity: t('entity.items') })));
        chargeSection.appendChild(h('p.qbc-muted', null, t('matches.mirrorHelp')));
        this.state.itemList = this.pagedList(chargeSection, {
          name: 'blubilling-items',
          url: function () { return base() + '/mirror/items'; },
          filters: [['active', t('matches.onlyActive')], ['inactive', t('matches.onlyInactive')]],
          columns: [t('matches.name'), t('matches.sku'), t('matches.active')],
          limit: 10,
          row: function (r) { return h('tr', null, td(h('span.qbc-copy', null, r.name)), td(r.sku || '—'), td(r.active ? t('yes') : t('no'))); },
        });
      }

      if (types.indexOf('qb-date-range-exporter') >= 0) {
        var xfrom = h('input', { type: 'date', value: today().slice(0, 8) + '01', 'data-qbc': 'export-from', 'aria-label': t('blubilling.from') });
        var xto = h('input', { type: 'date', value: today(), 'data-qbc': 'export-to', 'aria-label': t('blubilling.to') });
        var xwhich = checkboxes('export', ['customers', 'invoices', 'payments'], t);
        var exportMsg = h('div.qbc-msg');
        panel.appendChild(h('section.qbc-section', { 'data-qbc': 'export' }, h('h3', null, t('blubilling.export')),
          h('div.qbc-row', null, h('label', null, t('blubilling.from'), ' ', xfrom), ' ', h('label', null, t('blubilling.to'), ' ', xto)),
          h('div.qbc-row', null, t('blubilling.entitiesExport'), ' ', xwhich),
          h('div.qbc-buttons', null, button(t('blubilling.startExport'), function (e) {
            self.act(e.target, exportMsg, self.api('POST', base() + '/exports', { from: xfrom.value, to: xto.value, entities: checked(xwhich) }), function (r) {
              return t('blubilling.exportResult', { queued: r.queued.length, held: r.held.length, matched: r.matched.length }) +
                (r.held.length ? ' ' + r.held.map(function (o) { return o.label + ': ' + o.actions.join(' '); }).join(' · ') : '');
            });
          }, { name: 'export-start', primary: true })), exportMsg));

        // The review queue.
        var queueSection = h('section.qbc-section', { 'data-qbc': 'queue' }, h('h3', null, t('blubilling.queue')));
        panel.appendChild(queueSection);
        var queueMsg = h('div.qbc-msg');
        var selected = {};
        var selectAll = h('input', { type: 'checkbox', 'aria-label': t('blubilling.selectAll'), 'data-qbc': 'queue-all', on: { change: function () {
          Array.prototype.forEach.call(queueSection.querySelectorAll('input.qbc-pick'), function (b) { b.checked = selectAll.checked; selected[b.value] = b.checked; });
        } } });
        var keys = function () { return Object.keys(selected).filter(function (k) { return selected[k]; }); };
        var bulk = function (what, okKey) {
          return function (e) {
            var chosen = keys();
            if (!chosen.length) return self.showError(queueMsg, { message: t('blubilling.noSelection') });
            self.act(e.target, queueMsg, self.api('POST', base() + '/queue/' + what, { keys: chosen }), function (r) {
              selected = {};
              selectAll.checked = false;
              return t(okKey, { count: r.approved !== undefined ? r.approved : r.skipped });
            });
          };
        };
        this.state.queue = this.pagedList(queueSection, {
          name: 'queue',
          url: function () { return base() + '/queue'; },
          filters: [['queued', 'queued'], ['approved', 'approved'], ['sent', 'sent'], ['error', 'error']],
          tools: h('span.qbc-buttons', null, h('label', null, selectAll, ' ', t('blubilling.selectAll')),
            button(t('blubilling.approve'), bulk('approve', 'blubilling.approved'), { name: 'queue-approve', primary: true }),
            button(t('blubilling.skip'), bulk('skip', 'blubilling.skipped'), { name: 'queue-skip' })),
          columns: [t('blubilling.select'), t('blubilling.operation'), t('blubilling.summary'), t('blubilling.state'), t('blubilling.willSend')],
          row: function (r) {
            var box = h('input.qbc-pick', { type: 'checkbox', value: r.key, checked: !!selected[r.key], 'aria-label': r.summary, 'data-qbc': 'pick-' + r.key,
              on: { change: function () { selected[r.key] = box.checked; } } });
            return h('tr', { 'data-qbc-row': r.key }, td(box), td(r.operation), td(r.summary), td(r.state),
              td(r.preview ? h('details', null, h('summary', null, r.preview.entity || (r.preview.from + ' … ' + r.preview.to)), pre(r.preview.fields || r.preview)) : '—'));
          },
        });
        queueSection.appendChild(queueMsg);

        // Previous History.
        var historySection = h('section.qbc-section', { 'data-qbc': 'history' }, h('h3', null, t('blubilling.history')));
        panel.appendChild(historySection);
        var detail = h('div.qbc-detail', { 'data-qbc': 'history-detail' });
        this.state.history = this.pagedList(historySection, {
          name: 'history',
          url: function () { return base() + '/history'; },
          filters: [['In Queue', 'In Queue'], ['Complete', 'Complete'], ['Error', 'Error'], ['Skipped', 'Skipped']],
          columns: [t('blubilling.when'), t('blubilling.operation'), t('blubilling.summary'), t('blubilling.status'), t('blubilling.result'), ''],
          row: function (r) {
            return h('tr', { 'data-qbc-row': r.key }, td(new Date(r.createdAt).toLocaleString()), td(r.operation), td(r.summary),
              td(h('span.qbc-badge.qbc-hist-' + r.status.replace(/\s/g, ''), null, r.status)), td(r.qbId || (r.count !== undefined ? fmt(r.count) : '') || (r.error || '—')),
              td(button(t('blubilling.open'), function () {
                self.api('GET', base() + '/jobs/' + encodeURIComponent(r.key)).then(function (j) {
                  clear(detail).appendChild(h('h4', null, t('blubilling.detail', { key: r.key })));
                  detail.appendChild(pre(j));
                }, function (err) { self.showError(detail, err); });
              }, { name: 'open-' + r.key })));
          },
        });
        historySection.appendChild(detail);
        panel.appendChild(this.state.scheduler = h('section.qbc-section', { 'data-qbc': 'scheduler' }));
      }
    },
    load: function () {
      var self = this;
      var t = this.t;
      var base = 'connections/' + encodeURIComponent(this.connectionId);
      var work = [];
      var st = this.state;
      if (st.imports) {
        work.push(this.api('GET', base + '/imports').then(function (r) {
          if (self.state !== st) return;
          var rows = (r.imports || []).map(function (i) {
            var bar = i.status === 'In Queue' && i.total ? h('progress', { max: i.total, value: Math.min(i.count, i.total), 'aria-label': i.entity }) : null;
            return h('tr', null, td(i.entity), td(i.status), td(bar, ' ', i.total ? fmt(i.count) + ' / ' + fmt(i.total) : fmt(i.count)));
          });
          clear(st.imports).appendChild(h('table.qbc-table', { 'data-qbc': 'imports-table' }, h('thead', null, h('tr', null, h('th', null, t('blubilling.entity')), h('th', null, t('blubilling.status')), h('th', null, t('blubilling.count')))), h('tbody', null, rows)));
        }, function (err) { self.showError(st.imports, err); }));
      }
      if (st.charges) work.push(st.charges.load(), st.itemList.load());
      if (st.queue) work.push(st.queue.load());
      if (st.history) work.push(st.history.load());
      if (st.scheduler) {
        work.push(this.api('GET', base + '/scheduler').then(function (r) {
          clear(st.scheduler).appendChild(h('h3', null, t('blubilling.scheduler')));
          r.schedules.forEach(function (s) {
            st.scheduler.appendChild(h('p', { 'data-qbc': 'next-export' }, s.enabled ? t('blubilling.nextExport', { name: s.name || s.nodeId, date: s.exportDate, from: s.from, to: s.to }) : t('blubilling.schedulerOff', { name: s.name || s.nodeId })));
          });
        }, function (err) { self.showError(st.scheduler, err); }));
      }
      return Promise.all(work);
    },
  };

  // ------------------------------------------------------------------ Rule preview

  views.preview = {
    build: function (panel) {
      var self = this;
      var t = this.t;
      var c = this.current();
      var kinds = ((c && c.nodes) || []).map(function (n) { return n.type === 'qb-item-matcher' ? 'item' : n.type === 'qb-customer-matcher' ? 'customer' : null; }).filter(Boolean);
      var kind = h('select', { 'data-qbc': 'preview-kind', 'aria-label': t('preview.kind') }, kinds.map(function (k) { return h('option', { value: k }, t('tabs.' + k + 's')); }));
      var appRule = h('textarea.qbc-code', { rows: 4, 'data-qbc': 'preview-appRule', 'aria-label': t('preview.appRule') });
      var qbRule = h('textarea.qbc-code', { rows: 4, 'data-qbc': 'preview-qbRule', 'aria-label': t('preview.qbRule') });
      var out = h('div', { 'data-qbc': 'preview-result' });
      var fill = function () {
        self.api('GET', 'connections/' + encodeURIComponent(self.connectionId) + '/preview?kind=' + kind.value).then(function (r) {
          appRule.value = r.appRule;
          qbRule.value = r.qbRule;
        }, function (err) { self.showError(out, err); });
      };
      kind.addEventListener('change', fill);
      panel.appendChild(h('p.qbc-muted', null, t('preview.intro')));
      panel.appendChild(h('div.qbc-row', null, h('label', null, t('preview.kind'), ' ', kind)));
      panel.appendChild(h('label.qbc-block', null, t('preview.appRule'), appRule));
      panel.appendChild(h('label.qbc-block', null, t('preview.qbRule'), qbRule));
      panel.appendChild(h('div.qbc-buttons', null, button(t('preview.run'), function (e) {
        e.target.disabled = true;
        self.api('POST', 'connections/' + encodeURIComponent(self.connectionId) + '/preview', { kind: kind.value, appRule: appRule.value, qbRule: qbRule.value }).then(function (r) {
          e.target.disabled = false;
          views.preview.show.call(self, out, r);
        }, function (err) { e.target.disabled = false; self.showError(out, err); });
      }, { name: 'preview-run', primary: true })));
      panel.appendChild(out);
      fill();
    },
    show: function (out, r) {
      var t = this.t;
      var codes = {};
      Object.keys(r.current.byIssue).concat(Object.keys(r.edited.byIssue)).forEach(function (k) { codes[k] = true; });
      var rows = [[t('preview.matched'), r.current.matched, r.edited.matched], [t('preview.issues'), r.current.issues, r.edited.issues]]
        .concat(Object.keys(codes).map(function (k) { return ['· ' + t('issues.' + k), r.current.byIssue[k] || 0, r.edited.byIssue[k] || 0]; }));
      var side = function (s) { return s.status === 'matched' ? t('matches.matched', { name: s.qbName || s.qbId }) : t('issues.' + s.issue); };
      clear(out).appendChild(h('table.qbc-table', { 'data-qbc': 'preview-counts' },
        h('thead', null, h('tr', null, h('th', null, ''), h('th', null, t('preview.current')), h('th', null, t('preview.edited')))),
        h('tbody', null, rows.map(function (x) { return h('tr' + (x[1] !== x[2] ? '.qbc-changed' : ''), null, td(x[0]), td(fmt(x[1])), td(fmt(x[2]))); }))));
      out.appendChild(h('p', { 'data-qbc': 'preview-changed' }, t('preview.changed', { count: fmt(r.changed) })));
      if (r.changes.length) {
        out.appendChild(h('table.qbc-table', { 'data-qbc': 'preview-changes' },
          h('thead', null, h('tr', null, h('th', null, t('matches.record')), h('th', null, t('preview.before')), h('th', null, t('preview.after')))),
          h('tbody', null, r.changes.map(function (c) { return h('tr', null, td(c.appName), td(side(c.before)), td(side(c.after))); }))));
      }
      out.appendChild(h('p.qbc-muted', null, t('preview.took', { records: fmt(r.records), qb: fmt(r.qbRecords), ms: fmt(r.ms) })));
    },
  };

  // ------------------------------------------------------------------ environments

  /** i18next-style interpolation (__name__), for the page of its own. */
  function translator(catalog) {
    return function (key, vars) {
      var v = ('console.' + key).split('.').reduce(function (o, k) { return o && o[k]; }, catalog);
      if (typeof v !== 'string') return 'console.' + key; // shows as an untranslated key
      return v.replace(/__(\w+)__/g, function (_, name) { return vars && vars[name] !== undefined ? String(vars[name]) : ''; });
    };
  }

  var TOKENS = 'auth-tokens';

  function token() {
    try {
      var tokens = JSON.parse(localStorage.getItem(TOKENS) || 'null');
      return tokens && tokens.access_token;
    } catch (e) {
      return undefined;
    }
  }

  /** fetch against the admin root (the page lives at <admin root>/qbsync/console). */
  function fetchApi(base, method, url, body, as) {
    var headers = { Accept: 'application/json' };
    var tk = token();
    if (tk) headers.Authorization = 'Bearer ' + tk;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(base + url, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) }).then(function (res) {
      return res.text().then(function (text) {
        var data;
        try { data = JSON.parse(text); } catch (e) { data = text; }
        if (!res.ok) {
          var err = new Error((data && data.error) || data || res.statusText || String(res.status));
          err.status = res.status;
          err.problems = data && data.problems;
          throw err;
        }
        return as === 'text' ? text : data;
      });
    });
  }

  /** Node-RED's comms over a websocket of our own: auth with the token, then subscribe. */
  function comms(base, onMessage) {
    var retry = 1000;
    function open() {
      var url = new URL(base + 'comms', location.href);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      var ws = new WebSocket(url.href);
      var subscribe = function () { ws.send(JSON.stringify({ subscribe: 'qbsync/console/#' })); };
      ws.onopen = function () {
        var tk = token();
        // With adminAuth, Node-RED wants the token alone first; subscribe once it answers {auth: "ok"}.
        if (tk) ws.send(JSON.stringify({ auth: tk }));
        else {
          retry = 1000;
          subscribe();
        }
      };
      ws.onmessage = function (e) {
        var msgs;
        try { msgs = JSON.parse(e.data); } catch (err) { return; }
        (Array.isArray(msgs) ? msgs : [msgs]).forEach(function (m) {
          if (m && m.auth === 'ok') {
            retry = 1000;
            subscribe();
          } else if (m && m.topic) onMessage(m.topic, m.data);
        });
      };
      ws.onclose = function () { setTimeout(open, retry); retry = Math.min(retry * 2, 30000); };
    }
    open();
  }

  function standalone(root) {
    var base = location.pathname.replace(/qbsync\/console\/?$/, '');
    if (base.slice(-1) !== '/') base += '/';
    var lang = (navigator.language || 'en-US');
    fetchApi(base, 'GET', 'qbsync/console/messages?lng=' + encodeURIComponent(lang)).then(function (catalog) {
      var t = translator(catalog);
      document.title = t('title');
      return fetchApi(base, 'GET', 'auth/login').catch(function () { return {}; }).then(function (login) {
        var start = function () {
          var listeners = [];
          var env = {
            t: t,
            api: function (method, url, body, as) {
              return fetchApi(base, method, url, body, as).catch(function (err) {
                // An expired or revoked token: sign in again.
                if (err.status === 401 && token() && login && login.type) {
                  localStorage.removeItem(TOKENS);
                  location.reload();
                }
                throw err;
              });
            },
            subscribe: function (fn) { listeners.push(fn); },
            logout: login && login.type ? function () { localStorage.removeItem(TOKENS); location.reload(); } : undefined,
          };
          comms(base, function (topic, data) { listeners.forEach(function (fn) { fn(topic, data); }); });
          root.appendChild(h('h1.qbc-title', null, t('title')));
          var holder = h('div');
          root.appendChild(holder);
          window.qbConsole = new Console(holder, env);
        };
        if (!login || login.type !== 'credentials' || token()) return start();
        // Node-RED's adminAuth (credentials): the same token endpoint the editor uses.
        var user = h('input', { type: 'text', id: 'qbc-username', autocomplete: 'username', 'data-qbc': 'login-username' });
        var pass = h('input', { type: 'password', id: 'qbc-password', autocomplete: 'current-password', 'data-qbc': 'login-password' });
        var msg = h('div.qbc-msg');
        var form = h('form.qbc-login', { 'data-qbc': 'login' }, h('h1.qbc-title', null, t('login.title')),
          h('div.qbc-row', null, h('label', { for: 'qbc-username' }, t('login.username')), user),
          h('div.qbc-row', null, h('label', { for: 'qbc-password' }, t('login.password')), pass),
          h('button.red-ui-button.primary', { type: 'submit', 'data-qbc': 'login-submit' }, t('login.submit')), msg);
        form.addEventListener('submit', function (e) {
          e.preventDefault();
          fetchApi(base, 'POST', 'auth/token', { client_id: 'node-red-editor', grant_type: 'password', scope: '', username: user.value, password: pass.value }).then(function (tokens) {
            localStorage.setItem(TOKENS, JSON.stringify(tokens));
            clear(root);
            start();
          }, function () { clear(msg).appendChild(h('div.qbc-error', { role: 'alert' }, t('login.failed'))); });
        });
        root.appendChild(form);
        user.focus();
      });
    }, function (err) {
      root.textContent = String(err && err.message);
    });
  }

  window.QBConsole = {
    mount: function (root, env) { return new Console(root, env); },
    standalone: standalone,
    translator: translator,
  };
})();
