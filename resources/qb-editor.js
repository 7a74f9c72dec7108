/*
 * Shared editor helpers for @qbsync/node-red-quickbooks, loaded by every node's .html from
 * resources/@qbsync/node-red-quickbooks/qb-editor.js. Node-RED loads a node's src scripts before running
 * its inline ones, so the registerType definitions may use QBSync (validators, labels) as well as the
 * edit dialogs. Admin calls use relative URLs (no leading "/") so the editor adds httpAdminRoot and the
 * access token.
 */
(function () {
  'use strict';
  if (window.QBSync) return;

  function t(key) {
    return RED._('@qbsync/node-red-quickbooks/qb-rule:qb-rule.test.' + key.replace(/^test\./, ''));
  }

  function pretty(value) {
    return value === undefined ? t('test.noResult') : JSON.stringify(value, null, 2);
  }

  /**
   * Turns <input id="node-input-<field>"> into a JSONata typedInput (its expand button opens Node-RED's
   * expression editor), pre-filled with the default rule from rules/, plus a panel that tests the rule
   * server-side (POST qbsync/rules/test) against the rule's sample or pasted JSON.
   * options: { field, ruleName: function () -> string, container: selector }
   */
  function ruleField(options) {
    var input = $('#node-input-' + options.field);
    input.typedInput({ types: ['jsonata'] });
    var panel = $(options.container).addClass('qb-rule-panel');
    panel.empty();
    var buttons = $('<div class="form-row" style="display:flex; gap:6px;"></div>').appendTo(panel);
    var reset = $('<button type="button" class="red-ui-button red-ui-button-small"></button>')
      .text(t('test.reset')).appendTo(buttons);
    var test = $('<button type="button" class="red-ui-button red-ui-button-small"></button>')
      .text(t('test.run')).appendTo(buttons);
    $('<label style="width:auto"></label>').text(t('test.sample')).appendTo(panel);
    var sample = $('<textarea class="qb-rule-sample" rows="8" style="width:100%; font-family:monospace;"></textarea>')
      .appendTo(panel);
    var result = $('<pre class="qb-rule-result" style="max-height:200px; overflow:auto; white-space:pre-wrap;"></pre>')
      .appendTo(panel);

    // An <input> drops line breaks from its value; like Node-RED's own JSONata typedInput (whose
    // expression editor maps tabs back to line breaks), keep a multi-line rule's line breaks as tabs.
    function oneLine(source) {
      return String(source).replace(/\r?\n/g, '\t');
    }

    function loadDefault(overwrite) {
      var name = options.ruleName();
      if (!name) return;
      $.getJSON('qbsync/rules/' + encodeURIComponent(name)).done(function (rule) {
        if (overwrite || !input.typedInput('value')) input.typedInput('value', oneLine(rule.source));
        if (overwrite || !sample.val()) sample.val(rule.samples && rule.samples[0] ? pretty(rule.samples[0].input) : '{}');
      });
    }

    function showError(message) {
      result.addClass('qb-rule-error').css('color', '#c00').text(message);
    }

    reset.on('click', function () { loadDefault(true); });
    test.on('click', function () {
      result.removeClass('qb-rule-error').text(t('test.running'));
      $.ajax({
        url: 'qbsync/rules/test',
        method: 'POST',
        contentType: 'application/json',
        data: JSON.stringify({ name: options.ruleName(), expression: input.typedInput('value'), sample: sample.val() }),
      }).done(function (outcome) {
        if (outcome.ok) result.css('color', '').text(pretty(outcome.result));
        else showError(outcome.error.message);
      }).fail(function (xhr) {
        showError(xhrError(xhr));
      });
    });
    loadDefault(false);
    return { reload: function () { loadDefault(true); } };
  }

  /**
   * Shows `rows` (a selector) when test(control) is true, now and on every change of `control` (a
   * selector or jQuery object: a select or a checkbox). Returns the update function.
   */
  function showWhen(control, rows, test) {
    var el = $(control);
    function update() { $(rows).toggle(!!test(el)); }
    el.on('change', update);
    update();
    return update;
  }

  /**
   * The connection rows every QuickBooks node has: an edition select (Online | Desktop) that shows the
   * matching config-node input (#node-input-qbo: qbo-connection, #node-input-qbwc: qbwc-server).
   * Returns a function giving the current edition ('qbo' or 'qbd').
   */
  function connectionField(onChange) {
    var select = $('#node-input-edition');
    function edition() { return select.val() === 'qbd' ? 'qbd' : 'qbo'; }
    showWhen(select, '.qb-row-qbo', function () { return edition() === 'qbo'; });
    showWhen(select, '.qb-row-qbwc', function () { return edition() === 'qbd'; });
    if (onChange) {
      select.on('change', function () { onChange(edition()); });
      onChange(edition());
    }
    return edition;
  }

  /**
   * connectionField plus the node's rule fields (ruleField each), in order. rules: [{ field, container,
   * rule, byEdition }]: `rule` is the default rule's name, or with byEdition its prefix, completed with
   * the current edition ('invoice' → 'invoice.qbo'); those fields reload their default when the edition
   * changes. Returns the edition function of connectionField.
   */
  function connectionRules(rules) {
    var byEdition = [];
    var edition = connectionField(function () {
      byEdition.forEach(function (field) { field.reload(); });
    });
    rules.forEach(function (r) {
      var field = ruleField({
        field: r.field,
        container: r.container,
        ruleName: function () { return r.byEdition ? r.rule + '.' + edition() : r.rule; },
      });
      if (r.byEdition) byEdition.push(field);
    });
    return edition;
  }

  /**
   * Validator of a connection default (qbo, qbwc): required when the node's edition is `edition`
   * ('qbo' or 'qbd'), ignored otherwise.
   */
  function requiredForEdition(edition) {
    return function (v) { return (this.edition === 'qbd' ? 'qbd' : 'qbo') !== edition || !!v; };
  }

  /** label: the node's name, else its `property` (when given), else `fallback`. */
  function nameLabel(fallback, property) {
    return function () { return this.name || (property ? this[property] : '') || fallback; };
  }

  /** labelStyle: italic when the node has a name. */
  function labelStyle() {
    return this.name ? 'node_label_italic' : '';
  }

  /** outputLabels: output i is the node's translation of keys[i]. */
  function outputLabels(keys) {
    return function (index) { return this._(keys[index]); };
  }

  /**
   * The message of a failed admin call: the body's `error` (a string, or an object with a message;
   * the body is parsed from the text when the call did not ask for JSON), else `fallback`, else the
   * HTTP status text.
   */
  function xhrError(xhr, fallback) {
    var body = xhr.responseJSON;
    if (body === undefined) {
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
    }
    var error = body && body.error;
    if (error && typeof error === 'object') error = error.message;
    return error || (fallback !== undefined ? fallback : xhr.statusText);
  }

  /**
   * "Preview on QuickBooks data" in a matcher's dialog: posts the rules being edited to the console's
   * preview (qbsync/console/api/connections/<id>/preview), which runs them over the stored records and
   * the mirror beside the deployed rules, writing nothing; shows the counts and the records that change.
   * options: { kind: 'item' | 'customer', container: selector }
   */
  function rulePreview(options) {
    function p(key, vars) { return RED._('@qbsync/node-red-quickbooks/qb-rule:qb-rule.preview.' + key, vars); }
    var panel = $(options.container).empty();
    var button = $('<button type="button" class="red-ui-button red-ui-button-small qb-rule-preview-run"></button>').text(p('button')).appendTo(panel);
    $('<div class="form-tips" style="margin-top:4px"></div>').text(p('help')).appendTo(panel);
    var out = $('<div class="qb-rule-preview-result" style="margin-top:4px; white-space:pre-wrap;"></div>').appendTo(panel);
    button.on('click', function () {
      var edition = $('#node-input-edition').val() === 'qbd' ? 'qbd' : 'qbo';
      var id = $(edition === 'qbd' ? '#node-input-qbwc' : '#node-input-qbo').val();
      if (!id || id === '_ADD_') return out.css('color', '#c00').text(p('noConnection'));
      out.css('color', '').text(p('running'));
      $.ajax({
        url: 'qbsync/console/api/connections/' + encodeURIComponent(id) + '/preview', method: 'POST', contentType: 'application/json',
        data: JSON.stringify({ kind: options.kind, appRule: $('#node-input-appRule').typedInput('value'), qbRule: $('#node-input-qbRule').typedInput('value') }),
      }).done(function (r) {
        var lines = [p('counts', { cm: r.current.matched, ci: r.current.issues, em: r.edited.matched, ei: r.edited.issues, changed: r.changed })];
        var side = function (s) { return s.status === 'matched' ? p('matched') + ' ' + (s.qbName || s.qbId) : s.issue; };
        r.changes.forEach(function (c) { lines.push(p('change', { name: c.appName, before: side(c.before), after: side(c.after) })); });
        out.css('color', '').text(lines.join('\n'));
      }).fail(function (xhr) {
        var body = xhr.responseJSON || {};
        out.css('color', '#c00').text(xhrError(xhr) + (body.problems ? ': ' + body.problems.map(function (x) { return x.field + ' ' + x.message; }).join('; ') : ''));
      });
    });
  }

  window.QBSync = {
    rulePreview: rulePreview,
    ruleField: ruleField,
    connectionField: connectionField,
    connectionRules: connectionRules,
    showWhen: showWhen,
    requiredForEdition: requiredForEdition,
    nameLabel: nameLabel,
    labelStyle: labelStyle,
    outputLabels: outputLabels,
    xhrError: xhrError,
  };
})();
